from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.core import checks
        from oauth2_provider.models import get_access_token_model, get_application_model

        from accounts.cache import token_user_id_is_the_key
        from core import stamps

        stamps.track(get_user_model())
        # Apps' tokens are kept too (accounts.cache.OAUTH_TOKENS): a revoked (deleted) or
        # changed token, or a changed or deleted app, is seen by the next request.
        stamps.track(get_access_token_model())
        stamps.track(get_application_model())
        checks.register(token_user_id_is_the_key)
