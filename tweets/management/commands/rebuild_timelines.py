"""Rebuild home timelines from tweets and follows (repairs drift; safe to run any time)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from accounts.selectors import account_get
from core.progress import ProgressBar
from tweets.services import timeline_rebuild

User = get_user_model()


class Command(BaseCommand):
    help = "Rebuild the home timeline of the given users, or of every active user with --all."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="Usernames whose timelines to rebuild.")
        parser.add_argument("--all", action="store_true", help="Rebuild every active user's.")

    def handle(self, *args, usernames, **options):
        if not usernames and not options["all"]:
            raise CommandError("Give usernames or --all.")
        if usernames and options["all"]:
            raise CommandError("Give usernames or --all, not both.")
        if options["all"]:
            users = User.objects.active().order_by("pk")
            total = users.count()
            work = total + (users.aggregate(follows=Sum("following_count"))["follows"] or 0)
            users = users.iterator(chunk_size=500)
        else:
            found = {name: account_get(username=name) for name in usernames}
            missing = [name for name, user in found.items() if user is None]
            if missing:
                raise CommandError(f"Unknown users: {', '.join(missing)}")
            users = list(found.values())
            total = len(users)
            work = sum(user.following_count + 1 for user in users)

        # A timeline costs about one unit per follow to scan (plus its owner's own tweets): the
        # bar counts those units, so it moves steadily past accounts that follow thousands.
        progress = ProgressBar(enabled=options["verbosity"] >= 1)
        entries = done_work = 0
        for done, user in enumerate(users, start=1):
            entries += timeline_rebuild(owner=user)
            done_work += user.following_count + 1
            progress("timelines", done_work, work, note=f"{done:,}/{total:,} accounts")
        progress.close()
        self.stdout.write(f"Rebuilt {total} timelines with {entries} entries.")
