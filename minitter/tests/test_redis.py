"""Redis as the shared cache (``REDIS_URL``): throttle counters shared through a real
``redis-server``, the readiness check naming it, and throttling failing open while it is gone."""

import logging

import pytest

from conftest import redis_cache
from core.cache import window_count
from core.testing import API, RedisServer, free_port
from minitter.tests.test_operations import _metric

pytestmark = pytest.mark.django_db

LOGIN_URL = f"{API}/auth/token"


def login(client, username, password="wrong"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, format="json")


@pytest.fixture
def strict_login_limit(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_username": "2/min",
        },
    }


def use_redis(settings, url):
    settings.REDIS_URL = url
    settings.CACHES = {"default": redis_cache(url, timeout=0.5)}


def test_throttle_counters_live_in_redis(api_client, user, strict_login_limit, redis_cache_server):
    assert login(api_client, user.username).status_code == 401
    assert login(api_client, user.username).status_code == 401
    assert login(api_client, user.username).status_code == 429
    keys = [key.decode() for key in redis_cache_server.keys("minitter:*")]
    assert any("throttle_login_username" in key for key in keys), keys


def test_a_window_count_on_redis_opens_its_window_once_and_reports_its_time_left(
    redis_cache_server,
):
    from django.core.cache import cache

    counts = [window_count(cache, "window-probe", 60) for _ in range(3)]
    assert [count for count, _ in counts] == [1, 2, 3]
    assert all(50 < left <= 60 for _, left in counts)
    # One counter, readable through the cache's API, which expires with its window.
    assert cache.get("window-probe") == 3
    (key,) = redis_cache_server.keys("*window-probe")
    assert 50 < redis_cache_server.ttl(key) <= 60


def test_a_write_on_redis_reports_the_time_its_limit_resets(auth_client, user, redis_cache_server):
    client = auth_client(user)
    first = client.post(f"{API}/tweets", {"text": "one"}, format="json")
    second = client.post(f"{API}/tweets", {"text": "two"}, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    limit = int(first["X-RateLimit-Limit"])
    assert int(first["X-RateLimit-Remaining"]) == limit - 1
    assert int(second["X-RateLimit-Remaining"]) == limit - 2
    assert 0 < int(second["X-RateLimit-Reset"]) <= 60


def test_ready_checks_redis_when_configured(api_client, redis_cache_server):
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "redis": "ok"},
    }


def test_ready_names_redis_when_unreachable_and_stays_in_service(api_client, settings):
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "storage": "ok", "redis": "unavailable"},
    }


def test_throttling_fails_open_with_a_warning_and_a_metric_while_redis_is_gone(
    api_client, user, strict_login_limit, settings, tmp_path, caplog
):
    server = RedisServer(tmp_path).start()
    try:
        use_redis(settings, server.url)
        assert login(api_client, user.username).status_code == 401
        server.stop()

        before = _metric(
            api_client.get("/metrics").content.decode(), "minitter_throttle_failed_open_total"
        )
        with caplog.at_level(logging.WARNING, logger="core.throttling"):
            statuses = [login(api_client, user.username).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        assert "throttle login_username not applied" in caplog.text
        after = _metric(
            api_client.get("/metrics").content.decode(), "minitter_throttle_failed_open_total"
        )
        assert after >= before + 6  # two throttles (address, username) per login

        server.start()  # back on the same port: counting resumes
        assert login(api_client, user.username).status_code == 401
        assert login(api_client, user.username).status_code == 401
        assert login(api_client, user.username).status_code == 429
    finally:
        server.stop()
