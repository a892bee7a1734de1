from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_planned_statements(using, **kwargs):
    """Make the PostgreSQL functions of the statements PostgreSQL plans once per connection
    (``core.db.planned``), after every ``migrate`` (and ``flush``)."""
    from tweets.selectors import PLANNED_STATEMENTS

    for statement in PLANNED_STATEMENTS:
        statement.install(using)


class TweetsConfig(AppConfig):
    name = "tweets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import account_active_changed
        from core import stamps
        from tweets.models import Tweet
        from tweets.services.counters import recount_after_active_change

        account_active_changed.connect(recount_after_active_change, dispatch_uid="tweets.recount")
        stamps.track(Tweet)
        post_migrate.connect(install_planned_statements, sender=self, dispatch_uid="tweets.planned")
