"""Background tasks of the social layer: timeline fan-out in batches, follow backfill, the
periodic re-send of timeline work left in the outbox, the trim of timelines to their bound and
the purge of expired mutes. Each is
idempotent (see the services)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from prometheus_client import Gauge

from core.tasks import RETRY_POLICY
from tweets.services import mutes_expired_purge, tag_uses_purge, timelines

TIMELINE_WORK_PENDING = Gauge(
    "minitter_timeline_work_pending",
    "Fan-outs and backfills recorded but not yet handed to the broker (or done).",
    multiprocess_mode="mostrecent",
)


@shared_task(**RETRY_POLICY)
def timeline_fan_out_plan(tweet_id: int) -> int:
    """A tweet's fan-out: one batch task per TIMELINE_FANOUT_BATCH_SIZE followers, or the one
    batch written here."""
    return timelines.timeline_fan_out_plan(tweet_id=tweet_id)


@shared_task(**RETRY_POLICY)
def timeline_fan_out_batch(tweet_id: int, first_follow_id: int, next_follow_id: int | None) -> int:
    """One batch of a tweet's fan-out."""
    return timelines.timeline_fan_out_batch(
        tweet_id=tweet_id, first_follow_id=first_follow_id, next_follow_id=next_follow_id
    )


@shared_task(**RETRY_POLICY)
def timeline_backfill(follow_id: int) -> int:
    """A new follow's backfill."""
    return timelines.timeline_backfill_run(follow_id=follow_id)


@shared_task(**RETRY_POLICY)
def timeline_work_resend() -> int:
    """Periodic: send again timeline work older than TIMELINE_WORK_RETRY_SECONDS."""
    pending = timelines.timeline_work_resend(
        older_than=timedelta(seconds=settings.TIMELINE_WORK_RETRY_SECONDS)
    )
    TIMELINE_WORK_PENDING.set(pending)
    return pending


@shared_task(**RETRY_POLICY)
def timelines_trim() -> int:
    """Periodic (every TIMELINE_TRIM_INTERVAL_SECONDS): keep each home timeline's
    TIMELINE_MAX_ENTRIES newest entries."""
    return timelines.timelines_trim()


@shared_task(**RETRY_POLICY)
def tag_uses_old_delete() -> int:
    """Periodic: delete the tag uses too old to count towards trending."""
    return tag_uses_purge()


@shared_task(**RETRY_POLICY)
def mutes_expired_delete() -> int:
    """Periodic: delete mutes that have ended (reads ignore them already; this keeps the table
    from growing with them)."""
    return mutes_expired_purge()
