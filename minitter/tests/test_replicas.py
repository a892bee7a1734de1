"""The read-replica router: which database each read of a request goes to. (Two real servers,
a primary and a streaming replica, are tested end to end in test_e2e_replicas.py.)"""

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from conftest import redis_cache
from core import replicas
from core.replicas import PrimaryReplicaRouter, ReplicaRoutingMiddleware, pin_recent_writer
from core.testing import free_port
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

router = PrimaryReplicaRouter()


@pytest.fixture(autouse=True)
def _one_replica(monkeypatch):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])


def serve(method="get", path="/api/minitter/v1/timelines/home", user=None, view=None):
    """Run a request through the middleware; returns where the view's reads went."""
    seen = []

    def get_response(request):
        request.user = user
        seen.extend(view(request) if view else [router.db_for_read(Tweet)])
        return HttpResponse()

    request = getattr(RequestFactory(), method)(path)
    ReplicaRoutingMiddleware(get_response)(request)
    return seen


def test_safe_api_reads_go_to_a_replica():
    assert serve() == ["replica1"]


def test_the_database_cache_is_always_read_from_the_primary():
    from django.core.cache.backends.db import DatabaseCache

    cache_model = DatabaseCache("minitter_cache", {}).cache_model_class
    assert serve(view=lambda request: [router.db_for_read(cache_model)]) == ["default"]


def test_unsafe_requests_admin_and_code_outside_requests_read_the_primary():
    assert serve(method="post") == ["default"]
    assert serve(path="/admin/tweets/tweet/") == ["default"]
    assert router.db_for_read(Tweet) == "default"


def test_a_request_that_wrote_reads_its_own_writes_from_the_primary():
    def view(request):
        before = router.db_for_read(Tweet)
        assert router.db_for_write(Tweet) == "default"
        return [before, router.db_for_read(Tweet)]

    assert serve(view=view) == ["replica1", "default"]


def test_reads_inside_a_transaction_use_the_primary():
    def view(request):
        with transaction.atomic():
            return [router.db_for_read(Tweet)]

    assert serve(view=view) == ["default"]


def test_a_user_who_wrote_reads_the_primary_for_the_pin_window():
    writer, other = UserFactory(), UserFactory()
    serve(method="post", user=writer)

    def view_as(user):
        def view(request):
            pin_recent_writer(user.pk)
            return [router.db_for_read(Tweet)]

        return view

    assert serve(user=writer, view=view_as(writer)) == ["default"]
    assert serve(user=other, view=view_as(other)) == ["replica1"]


def test_an_unreachable_cache_sends_the_user_to_the_primary(settings):
    user = UserFactory()
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)}

    def view(request):
        pin_recent_writer(user.pk)
        return [router.db_for_read(Tweet)]

    assert serve(user=user, view=view) == ["default"]


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "tweets")
    assert not router.allow_migrate("replica1", "tweets")
