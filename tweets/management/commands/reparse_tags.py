"""Store tweets' hashtags as the current parser reads them (after a change to the hashtag rule)."""

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from tweets.models import Tweet
from tweets.services import tags_reparse

MAX_BATCH_SIZE = 1_000_000


class Command(BaseCommand):
    help = (
        "Read every tweet's hashtags again with the current parser and store those that differ "
        "(the tweet's entities and its tag rows, so the tag's timeline lists it): tweets read in "
        "primary-key ranges, each one to change written in a transaction of its own; report how "
        "many changed. Progress goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report the tweets to change."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="Tweets read per range (default 10,000).",
        )

    def handle(self, *args, dry_run, batch_size, **options):
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be from 1 to {MAX_BATCH_SIZE:,}.")
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        try:
            changed = tags_reparse(
                Tweet.objects.all(), dry_run=dry_run, batch_size=batch_size, progress=progress
            )
        finally:
            progress.close()
        verb = "Would re-tag" if dry_run else "Re-tagged"
        self.stdout.write(f"{verb} {changed} tweets.")
