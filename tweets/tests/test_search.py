"""Public tweet search and filters."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

URL = f"{API}/tweets"


def result_texts(api_client, **params):
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.json()
    return [t["text"] for t in response.json()["results"]]


def test_search_finds_words_in_english_and_korean(api_client):
    TweetFactory(text="Coffee in Seoul this morning")
    TweetFactory(text="오늘 서울 날씨 좋다")
    TweetFactory(text="Nothing to see")
    assert result_texts(api_client, search="coffee") == ["Coffee in Seoul this morning"]
    assert result_texts(api_client, search="서울") == ["오늘 서울 날씨 좋다"]


def test_filter_by_author_is_case_insensitive(api_client):
    alice = UserFactory(username="alice")
    TweetFactory(author=alice, text="by alice")
    TweetFactory(text="by someone else")
    assert result_texts(api_client, author="ALICE") == ["by alice"]


def test_unknown_author_is_400(api_client):
    response = api_client.get(URL, {"author": "nobody_here"})
    assert response.status_code == 400
    assert "author" in response.json()


def test_since_and_until_bound_by_creation_time(api_client):
    old = TweetFactory(text="old")
    Tweet.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    middle = TweetFactory(text="middle")
    boundary = middle.created_at
    TweetFactory(text="new")

    assert result_texts(api_client, since=boundary.isoformat()) == ["new", "middle"]
    assert result_texts(api_client, until=boundary.isoformat()) == ["old"]


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"until": "2026-13-45"}])
def test_malformed_time_filter_is_400(api_client, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_search_list_is_public_and_newest_first(api_client):
    tweets = [TweetFactory() for _ in range(3)]
    results = api_client.get(URL).json()["results"]
    assert [t["id"] for t in results] == [str(t.id) for t in reversed(tweets)]
