from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared primitives (fields, ids, pagination, errors, database waits, admin and test helpers);
    models: idempotency keys, the node leases of tweet ids."""

    name = "core"
