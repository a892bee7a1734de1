from django.apps import AppConfig


class MastodonApiConfig(AppConfig):
    """The Mastodon client API and its OAuth 2 server: a second HTTP surface over the services and
    selectors of the other apps (nothing depends on it)."""

    name = "mastodon_api"
    verbose_name = "Mastodon client API"
