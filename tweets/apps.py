from django.apps import AppConfig


class TweetsConfig(AppConfig):
    name = "tweets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import account_active_changed, account_active_changing
        from core import stamps
        from tweets import selectors  # noqa: F401 (registers its planned statements for migrate)
        from tweets.models import Tweet
        from tweets.services.counters import lock_before_active_change, recount_after_active_change

        account_active_changing.connect(lock_before_active_change, dispatch_uid="tweets.lock")
        account_active_changed.connect(recount_after_active_change, dispatch_uid="tweets.recount")
        stamps.track(Tweet)
