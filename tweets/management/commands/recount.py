"""Repair every stored counter from the rows it counts (safe to run any time)."""

from django.core.management.base import BaseCommand

from tweets.services import counters_recount


class Command(BaseCommand):
    help = (
        "Set followers_count, following_count, tweets_count (accounts) and like_count, "
        "reply_count (tweets) to what their rows say; report how many were wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report wrong counters; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        fixed = counters_recount(dry_run=dry_run)
        verb = "would fix" if dry_run else "fixed"
        for field, rows in fixed.items():
            self.stdout.write(f"{field}: {verb} {rows}")
        self.stdout.write(f"{'Would fix' if dry_run else 'Fixed'} {sum(fixed.values())} counters.")
