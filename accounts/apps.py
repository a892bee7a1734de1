from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.core import checks

        from accounts.cache import token_user_id_is_the_key
        from core import stamps

        stamps.track(get_user_model())
        checks.register(token_user_id_is_the_key)
