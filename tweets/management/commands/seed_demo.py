"""Create realistic demo data in bulk (see tweets/demo.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from tweets.demo import DEMO_PASSWORD, seed_demo


def positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError
    return number


class Command(BaseCommand):
    help = (
        "Create demo accounts with skewed follower counts, Korean and English tweets with "
        "hashtags and mentions, replies, likes, reposts, notifications and home timelines, in "
        "bulk. The same --seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=positive, required=True, help="Accounts to create.")
        parser.add_argument("--tweets", type=positive, required=True, help="Tweets to create.")
        parser.add_argument(
            "--follows-per-user", type=positive, required=True, help="Accounts each one follows."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument(
            "--prefix", default="demo", help="Usernames are PREFIX_000001 … (default: demo)."
        )

    def handle(self, *args, **options):
        if options["users"] < 2:
            raise CommandError("--users must be at least 2.")
        if not options["prefix"].isidentifier() or len(options["prefix"]) > 23:
            raise CommandError("--prefix must be letters, digits or _ (at most 23).")
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        started = time.monotonic()
        try:
            summary = seed_demo(
                users=options["users"],
                tweets=options["tweets"],
                follows_per_user=options["follows_per_user"],
                seed=options["seed"],
                prefix=options["prefix"],
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        self.stdout.write(
            f"Created {summary.users} accounts, {summary.follows} follows, {summary.tweets} "
            f"tweets ({summary.replies} replies, {summary.tagged} with hashtags), "
            f"{summary.mentions} mentions, {summary.likes} likes, {summary.reposts} reposts, "
            f"{summary.notifications} notifications and {summary.timeline_entries} timeline "
            f"entries in {time.monotonic() - started:.1f}s. "
            f"Log in as {options['prefix']}_000001 with password {DEMO_PASSWORD!r}."
        )
