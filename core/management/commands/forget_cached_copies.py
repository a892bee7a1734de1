"""``manage.py forget_cached_copies``: no copy kept in the cache so far is served again (after
restoring a database under a Redis that kept its data, or changing rows behind the app's back)."""

from django.core.management.base import BaseCommand, CommandError

from core import stamps


class Command(BaseCommand):
    help = (
        "Renew the cache's epoch stamp: every kept copy (tweets, accounts) is read from the "
        "database again. Run it after restoring a database or writing to it directly."
    )

    def handle(self, *args, **options):
        if not stamps.enabled():
            self.stdout.write("Nothing is kept in the cache (HYDRATED_CACHE_SECONDS is 0).")
            return
        try:
            stamps.renew_all_now()
        except stamps.CACHE_ERRORS as exc:
            raise CommandError(f"The cache could not be written: {exc}") from exc
        self.stdout.write("Every copy kept so far will be read from the database again.")
