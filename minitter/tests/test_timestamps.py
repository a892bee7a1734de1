"""Every timestamp the API returns has one format: UTC, milliseconds, Z."""

import re
from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from core.renderers import format_timestamp
from core.testing import API
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def timestamps(value, key=""):
    """Every value of a key ending in ``_at`` in a JSON document, with its key."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from timestamps(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item, key)
    elif key.endswith("_at") and value is not None:
        yield key, value


def test_format_has_milliseconds_and_z_even_on_a_whole_second():
    assert format_timestamp(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00.000Z"
    assert format_timestamp(datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)) == (
        "2024-01-01T00:00:00.123Z"
    )


def test_accounts_tweets_and_reports_share_one_timestamp_format(api_client, auth_client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    client = auth_client(alice)
    client.post(f"{API}/accounts/bob/follow")
    tweet = TweetFactory(author=bob)
    client.post(f"{API}/tweets/{tweet.id}/like")
    auth_client(bob).patch(f"{API}/tweets/{tweet.id}", {"text": "edited"}, format="json")
    signup = api_client.post(
        f"{API}/auth/signup",
        {"username": "carol", "email": "carol@example.com", "password": "a-long-passphrase"},
        format="json",
    )
    responses = [
        signup,
        client.get(f"{API}/accounts/me"),
        client.get(f"{API}/accounts/bob"),
        client.get(f"{API}/accounts/bob/followers"),
        client.get(f"{API}/accounts?search=bo"),
        client.get(f"{API}/tweets/{tweet.id}"),
        client.get(f"{API}/tweets"),
        client.get(f"{API}/tweets/{tweet.id}/likes"),
        client.get(f"{API}/timelines/home"),
        client.post(f"{API}/reports", {"tweet": str(tweet.id), "reason": "spam"}, format="json"),
    ]
    found = []
    for response in responses:
        assert response.status_code in (200, 201), response.content
        found += list(timestamps(response.json()))
    assert {key for key, _ in found} >= {"created_at", "edited_at"}
    for key, value in found:
        assert TIMESTAMP.fullmatch(value), (key, value)
