"""Write the search documents tweets lack (or, with --all, rewrite every one)."""

from django.core.management.base import BaseCommand

from core.progress import ProgressBar
from tweets.models import Tweet, TweetSearchDocument
from tweets.search import documents_backfill


class Command(BaseCommand):
    help = (
        "Write search documents for tweets that have none (e.g. posted by an older version during "
        "an upgrade); with --all, rewrite every document (after a change to the tokenizer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rewrite every tweet's document.")

    def handle(self, *args, **options):
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        written = 0
        for written, total in documents_backfill(
            tweets=Tweet.objects.all(),
            documents=TweetSearchDocument.objects.all(),
            everything=options["all"],
        ):
            progress("documents", written, total)
        progress.close()
        self.stdout.write(f"Wrote {written} search documents.")
