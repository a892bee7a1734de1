"""Remove uploads never attached to a tweet or a profile, or that nothing uses any more."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from media.services import STORAGE_ERRORS, media_cleanup_unattached

MAX_HOURS = 100 * 365 * 24


class Command(BaseCommand):
    help = (
        "Delete uploads (rows and stored objects) not attached within the grace period "
        "(MEDIA_UNATTACHED_GRACE_HOURS, 24 by default), and older ones nothing uses any more, "
        "in primary-key ranges of 1,000 uploads, each in its own transaction. Progress goes to "
        "stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=int,
            default=None,
            help="Grace period in hours (default: MEDIA_UNATTACHED_GRACE_HOURS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )

    def handle(self, *args, older_than_hours, dry_run, **options):
        hours = (
            older_than_hours
            if older_than_hours is not None
            else settings.MEDIA_UNATTACHED_GRACE_HOURS
        )
        if not 0 <= hours <= MAX_HOURS:
            raise CommandError(
                "The grace period (--older-than-hours, else MEDIA_UNATTACHED_GRACE_HOURS) must be "
                f"from 0 to {MAX_HOURS:,} hours (100 years)."
            )
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        try:
            stale = media_cleanup_unattached(
                older_than=timedelta(hours=hours), dry_run=dry_run, progress=progress
            )
        except STORAGE_ERRORS as exc:
            raise CommandError("The media store is unavailable.") from exc
        finally:
            progress.close()
        for media in stale:
            self.stdout.write(f"{'would remove' if dry_run else 'removed'} {media.pk} {media.file}")
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(f"{verb} {len(stale)} unused uploads older than {hours} hours.")
