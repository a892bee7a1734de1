"""Background tasks of the media app (periodic: see CELERY_BEAT_SCHEDULE in the settings)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core.tasks import RETRY_POLICY
from media.services import media_cleanup_unattached


@shared_task(**RETRY_POLICY)
def media_cleanup() -> int:
    """Remove uploads never attached within MEDIA_UNATTACHED_GRACE_HOURS (the same work as
    ``manage.py media_cleanup``). Idempotent: a second run finds nothing left to remove."""
    hours = settings.MEDIA_UNATTACHED_GRACE_HOURS
    return len(media_cleanup_unattached(older_than=timedelta(hours=hours)))
