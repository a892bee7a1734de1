"""Bound every home timeline to its TIMELINE_MAX_ENTRIES newest entries (also a periodic job)."""

from django.core.management.base import BaseCommand

from core.progress import ProgressBar
from tweets.services import timelines_trim


class Command(BaseCommand):
    help = (
        "Keep each home timeline's TIMELINE_MAX_ENTRIES newest entries; pages beyond them are "
        "read from the tweets."
    )

    def handle(self, *args, **options):
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        deleted = timelines_trim(progress=progress)
        progress.close()
        self.stdout.write(f"Trimmed {deleted} timeline entries.")
