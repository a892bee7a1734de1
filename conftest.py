"""Fixtures shared by every app's tests: users, API clients, a clean cache, media storage
(a temporary directory, or a bucket on a real S3-protocol server on loopback), a real Redis."""

import subprocess
import sys
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import RefreshToken
from core.copies import forget_held
from core.ids import next_id
from core.testing import RedisServer, free_port, wait_for_port
from core.testing.races import lift_rate_limits
from minitter.settings import redis_cache, s3_storage


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and a node number for tweet ids leased from it at once: leasing uses a
    connection of its own (core/nodes.py), which must come before any test's transaction holds
    SQLite's in-memory database."""
    with django_db_blocker.unblock():
        next_id()


def pytest_collection_modifyitems(items):
    """Every transactional test reloads what migrations wrote (content types, permissions, the
    moderators group) before it runs, and the flush after it does not recreate any of it.

    A transactional test ends by emptying every table. Without this, the next one would find the
    migrations' rows either gone or recreated with new ids, which a test that asks for a serialized
    rollback then collides with (on PostgreSQL, where the race tests run, in practice).
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = marker is not None and marker.kwargs.get("transaction")
        if transactional and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def _store_up(monkeypatch):
    """A store or cache outage in one test does not outlast it."""
    monkeypatch.setattr("media.services._store_down_until", 0.0)
    monkeypatch.setattr("core.stamps._down_until", 0.0)
    monkeypatch.setattr("core.stamps._epoch_owed", False)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and copies live in the cache; every test starts from none, and with no
    copy held in this process either."""
    cache.clear()
    forget_held()
    yield
    cache.clear()
    forget_held()


@pytest.fixture(autouse=True)
def _tasks_at_once(request, monkeypatch):
    """Background tasks run in-process in tests (no broker). A test runs inside a transaction that
    never commits, so they run when enqueued rather than after commit, unless the test is marked
    ``tasks_after_commit`` (then ``django_capture_on_commit_callbacks`` runs them)."""
    if "tasks_after_commit" not in request.keywords:
        import core.tasks

        monkeypatch.setattr(core.tasks, "on_commit", lambda func, using=None: func())


@pytest.fixture(autouse=True)
def _stamps_at_once(request, monkeypatch):
    """Cache stamps are renewed when the write asks (``core.stamps``), not after a commit that a
    test's transaction never makes; ``tasks_after_commit`` tests renew them after commit."""
    if "tasks_after_commit" not in request.keywords:
        import core.stamps

        monkeypatch.setattr(core.stamps, "on_commit", lambda func, using=None: func())


@pytest.fixture
def rate_limits_lifted(settings):
    """Per-user and per-address rate limits out of the way (race tests send many writes at once)."""
    lift_rate_limits(settings)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client():
    """``auth_client(user)``: an APIClient that sends a real Bearer access token for ``user``."""

    def make(user) -> APIClient:
        client = APIClient()
        access = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp_dir(settings, tmp_path):
    """Uploads go to a fresh directory per test, never to var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-protocol server (moto's standalone server) in its own process on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=30, process=process)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


S3_CREDENTIALS = {"aws_access_key_id": "minitter-test", "aws_secret_access_key": "minitter-test"}


def s3_storage_settings(endpoint: str, bucket: str) -> dict:
    return s3_storage(
        bucket=bucket,
        region="us-east-1",
        endpoint_url=endpoint,
        access_key=S3_CREDENTIALS["aws_access_key_id"],
        secret_key=S3_CREDENTIALS["aws_secret_access_key"],
        addressing_style="path",
        connect_timeout=1,
        read_timeout=5,
        max_attempts=1,
    )


@pytest.fixture
def s3_bucket(s3_server, settings):
    """Media storage switched to a fresh bucket on the S3-protocol server; yields a boto3 client
    and the bucket name for checking what was stored."""
    import boto3

    bucket = f"minitter-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **S3_CREDENTIALS)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(s3_server, bucket)}
    settings.MINITTER_STORAGE = "s3"
    return client, bucket


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real ``redis-server`` on a free loopback port for the whole session (skips the test when
    the Debian package is not installed; CI installs it)."""
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_cache_server(redis_server, settings):
    """The default cache switched to the real Redis (emptied before and after the test)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {"default": redis_cache(redis_server.url, timeout=0.5)}
    yield client
    client.flushdb()
    client.close()
