from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared primitives (fields, ids, pagination, errors, database waits, admin and test helpers);
    models: idempotency keys, the node leases of tweet ids."""

    name = "core"

    def ready(self):
        from django.conf import settings
        from django.core.signals import request_started

        from core.ids import lease_outside_transactions

        if settings.MINITTER_NODE_LEASE_AT_REQUEST_START:
            request_started.connect(lease_outside_transactions, dispatch_uid="core.node_lease")
