"""Repair every stored counter from the rows it counts (safe to run any time)."""

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from tweets.services import counters_recount

MAX_BATCH_SIZE = 1_000_000


class Command(BaseCommand):
    help = (
        "Set followers_count, following_count, tweets_count (accounts) and like_count, "
        "repost_count, reply_count (tweets) to what their rows say, in primary-key ranges each "
        "in its own transaction; report how many were wrong. Progress goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report wrong counters; change nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="Rows per range and transaction (default 10,000).",
        )

    def handle(self, *args, dry_run, batch_size, **options):
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be from 1 to {MAX_BATCH_SIZE:,}.")
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        try:
            fixed = counters_recount(dry_run=dry_run, batch_size=batch_size, progress=progress)
        finally:
            progress.close()
        verb = "would fix" if dry_run else "fixed"
        for field, rows in fixed.items():
            self.stdout.write(f"{field}: {verb} {rows}")
        self.stdout.write(f"{'Would fix' if dry_run else 'Fixed'} {sum(fixed.values())} counters.")
