"""The check every new connection to the cache makes (``core.stamps.server_check``): a server
that is not the one the stamps were last written to has the epoch renewed before anything is
read; the same server, reconnected to, changes nothing."""

import pytest
import redis
from django.core.cache import cache, caches

from core import stamps
from minitter.settings import redis_cache


@pytest.fixture
def cache_on_redis(redis_server, settings):
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {"default": redis_cache(redis_server.url, timeout=0.5)}
    raw = redis.Redis.from_url(redis_server.url)
    raw.flushdb()
    yield raw
    raw.replicaof("NO", "ONE")
    raw.flushdb()
    raw.close()


def reconnect() -> None:
    caches["default"]._cache._get_connection_pool(True).disconnect()
    cache.get("anything")  # a command on a new connection


def epoch(raw) -> bytes | None:
    return raw.get(cache.make_key(stamps.EPOCH_KEY))


def test_the_first_connection_to_a_server_renews_the_epoch_and_records_the_server(cache_on_redis):
    raw = cache_on_redis
    raw.set(cache.make_key(stamps.EPOCH_KEY), b"kept before")
    reconnect()
    assert epoch(raw) not in (None, b"kept before")
    assert raw.get(cache.make_key(stamps.SERVER_KEY)).decode() == raw.info("server")["run_id"]


def test_reconnecting_to_the_same_server_leaves_the_epoch(cache_on_redis):
    raw = cache_on_redis
    reconnect()
    first = epoch(raw)
    reconnect()
    reconnect()
    assert epoch(raw) == first


def test_a_server_recorded_by_another_run_has_the_epoch_renewed(cache_on_redis):
    raw = cache_on_redis
    reconnect()
    first = epoch(raw)
    raw.set(cache.make_key(stamps.SERVER_KEY), b"an earlier run of the server")
    reconnect()
    assert epoch(raw) != first


def test_a_replica_is_left_alone(cache_on_redis, monkeypatch):
    """Another server of ``REDIS_URL`` (Django reads from it), or a primary a fail-over demoted:
    its run id is never the recorded one, and renewing the epoch there is neither possible nor
    needed (stamps are read from the primary)."""
    raw = cache_on_redis
    reconnect()
    raw.set(cache.make_key(stamps.SERVER_KEY), b"the primary's run")
    before = epoch(raw)
    raw.replicaof("127.0.0.1", "1")  # a replica of nothing: it answers reads, refuses writes
    monkeypatch.setattr(stamps, "_epoch_owed", False)
    reconnect()
    assert cache.get("anything") is None  # the connection serves reads
    assert not stamps._epoch_owed
    raw.replicaof("NO", "ONE")
    assert epoch(raw) == before


def test_a_changed_server_refusing_writes_leaves_the_epoch_owed(cache_on_redis, monkeypatch):
    raw = cache_on_redis
    reconnect()
    raw.set(cache.make_key(stamps.SERVER_KEY), b"an earlier run of the server")
    raw.config_set("maxmemory", "1")  # no memory left: writes are refused, reads answered
    monkeypatch.setattr(stamps, "_epoch_owed", False)
    try:
        reconnect()
        assert stamps._epoch_owed
        assert cache.get("anything") is None
    finally:
        raw.config_set("maxmemory", "0")
    monkeypatch.setattr(stamps, "_down_until", 0.0)
    before = epoch(raw)
    assert stamps.available()  # the owed epoch is renewed once the server takes writes
    assert epoch(raw) != before and not stamps._epoch_owed
