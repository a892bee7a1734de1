"""Background tasks of the media app (periodic: see CELERY_BEAT_SCHEDULE in the settings)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core.tasks import retry_policy
from media.services import STORAGE_ERRORS, media_cleanup_unattached


@shared_task(**retry_policy(*STORAGE_ERRORS))
def media_cleanup() -> int:
    """Remove uploads never attached within MEDIA_UNATTACHED_GRACE_HOURS (the same work as
    ``manage.py media_cleanup``). Idempotent: a second run finds nothing left to remove. A store
    that cannot be reached leaves the uploads of the range being removed in place, and the task
    is retried like after a database error."""
    hours = settings.MEDIA_UNATTACHED_GRACE_HOURS
    return len(media_cleanup_unattached(older_than=timedelta(hours=hours)))
