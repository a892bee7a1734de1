from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared primitives (fields, ids, pagination, errors, admin and test helpers); no models."""

    name = "core"
