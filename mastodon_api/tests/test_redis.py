"""The Mastodon surface with Redis as the cache: its rate-limit counters live there, and while
Redis is gone the surface keeps answering (the limit fails open with a warning and a metric)."""

import logging

import pytest
from prometheus_client import REGISTRY

from accounts.tests.factories import UserFactory
from conftest import redis_cache
from core.testing import RedisServer

pytestmark = pytest.mark.django_db

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def failed_open() -> float:
    value = REGISTRY.get_sample_value("minitter_throttle_failed_open_total", {"scope": "mastodon"})
    return value or 0.0


def test_rate_limit_counters_live_in_redis(oauth_client, redis_cache_server):
    response = oauth_client(UserFactory()).get("/api/v1/timelines/home")
    assert response.status_code == 200
    assert all(header in response for header in HEADERS)
    keys = [key.decode() for key in redis_cache_server.keys("minitter:*")]
    assert any("mastodon-rate:" in key for key in keys), keys


@pytest.mark.skipif(not RedisServer.installed(), reason="redis-server is not installed")
def test_the_mastodon_api_fails_open_with_a_warning_and_a_metric_while_redis_is_gone(
    oauth_client, api_client, settings, tmp_path, caplog
):
    client = oauth_client(UserFactory())
    server = RedisServer(tmp_path).start()
    try:
        settings.REDIS_URL = server.url
        settings.CACHES = {"default": redis_cache(server.url, timeout=0.5)}
        assert "X-RateLimit-Remaining" in client.get("/api/v1/timelines/home")
        server.stop()

        before = failed_open()
        with caplog.at_level(logging.WARNING, logger="core.throttling"):
            answers = [
                api_client.get("/api/v1/instance"),
                api_client.get("/api/v2/instance"),
                api_client.get("/nodeinfo/2.0"),
                client.get("/api/v1/timelines/home"),
                client.post("/api/v1/statuses", {"status": "still posting"}),
            ]
        assert [answer.status_code for answer in answers] == [200] * 5
        assert answers[0].json()["version"] == "4.2.0"
        assert all("X-RateLimit-Remaining" not in answer for answer in answers)
        assert "throttle mastodon not applied: cache unreachable" in caplog.text
        assert failed_open() >= before + 5

        server.start()  # back on the same port: counting resumes
        assert "X-RateLimit-Remaining" in client.get("/api/v1/timelines/home")
    finally:
        server.stop()
