"""Rebuild home timelines from tweets and follows (repairs drift; safe to run any time)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import account_get
from core.progress import ProgressBar
from tweets.services import timelines_rebuild


class Command(BaseCommand):
    help = "Rebuild the home timeline of the given users, or of every account with --all."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="Usernames whose timelines to rebuild.")
        parser.add_argument("--all", action="store_true", help="Rebuild every account's.")

    def handle(self, *args, usernames, **options):
        if not usernames and not options["all"]:
            raise CommandError("Give usernames or --all.")
        if usernames and options["all"]:
            raise CommandError("Give usernames or --all, not both.")
        owner_ids = None
        if usernames:
            found = {name: account_get(username=name) for name in usernames}
            missing = [name for name, user in found.items() if user is None]
            if missing:
                raise CommandError(f"Unknown users: {', '.join(missing)}")
            owner_ids = [user.pk for user in found.values()]

        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        entries = timelines_rebuild(owner_ids=owner_ids, progress=progress)
        progress.close()
        self.stdout.write(f"Rebuilt timelines with {entries} entries.")
