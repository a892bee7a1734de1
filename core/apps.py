from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared primitives (fields, ids, pagination, errors, database waits, admin and test helpers);
    models: idempotency keys, the node leases of tweet ids."""

    name = "core"

    def ready(self):
        from django.conf import settings
        from django.core.signals import request_started
        from django.db.models.signals import post_migrate

        from core.db.planned import install_all
        from core.ids import lease_outside_transactions
        from core.stamps import renew_after_migrate

        if settings.MINITTER_NODE_LEASE_AT_REQUEST_START:
            request_started.connect(lease_outside_transactions, dispatch_uid="core.node_lease")
        post_migrate.connect(renew_after_migrate, sender=self, dispatch_uid="core.stamps")
        post_migrate.connect(install_all, sender=self, dispatch_uid="core.planned")
