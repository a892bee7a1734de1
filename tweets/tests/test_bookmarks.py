"""Bookmarks: idempotent, private, listed by bookmark time."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets.models import Bookmark, Tweet
from tweets.tests.factories import TweetFactory, repost

pytestmark = pytest.mark.django_db

BOOKMARKS = f"{API}/bookmarks"


def test_bookmark_is_idempotent_and_flagged_for_its_owner_only(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    for _ in range(2):
        response = client.post(f"{API}/tweets/{tweet.id}/bookmark")
        assert response.status_code == 200
        assert response.json()["bookmarked"] is True
    assert Bookmark.objects.count() == 1
    assert auth_client(UserFactory()).get(f"{API}/tweets/{tweet.id}").json()["bookmarked"] is False


def test_unbookmark_is_idempotent(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    client.post(f"{API}/tweets/{tweet.id}/bookmark")
    for _ in range(2):
        assert client.delete(f"{API}/tweets/{tweet.id}/bookmark").status_code == 204
    assert not Bookmark.objects.exists()


def test_bookmarks_are_listed_by_bookmark_time_and_private(auth_client, user):
    tweets = TweetFactory.create_batch(5)
    client = auth_client(user)
    for tweet in [tweets[2], tweets[0], tweets[4], tweets[1]]:
        client.post(f"{API}/tweets/{tweet.id}/bookmark")
    auth_client(UserFactory()).post(f"{API}/tweets/{tweets[3].id}/bookmark")

    seen, url = [], f"{BOOKMARKS}?limit=3"
    while url:
        page = client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        assert all(item["bookmarked"] for item in page["results"])
        url = page["next"]
    assert seen == [str(t.id) for t in [tweets[1], tweets[4], tweets[0], tweets[2]]]


def test_bookmarks_need_login(api_client):
    tweet = TweetFactory()
    assert api_client.get(BOOKMARKS).status_code == 401
    assert api_client.post(f"{API}/tweets/{tweet.id}/bookmark").status_code == 401


def test_bookmarking_a_hidden_or_unknown_tweet_is_404(auth_client, user):
    hidden = TweetFactory()
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    client = auth_client(user)
    assert client.post(f"{API}/tweets/{hidden.id}/bookmark").status_code == 404
    assert client.post(f"{API}/tweets/424242/bookmark").status_code == 404
    assert not Bookmark.objects.exists()


def test_bookmarking_a_repost_bookmarks_its_original(auth_client, user):
    tweet = TweetFactory()
    shared = repost(UserFactory(), tweet)
    response = auth_client(user).post(f"{API}/tweets/{shared.id}/bookmark")
    assert response.status_code == 200
    assert response.json()["id"] == str(tweet.id)
    assert Bookmark.objects.get().tweet_id == tweet.id


def test_hidden_and_deleted_tweets_leave_the_bookmarks_list(auth_client, user):
    hidden, deleted, kept = TweetFactory.create_batch(3)
    client = auth_client(user)
    for tweet in (hidden, deleted, kept):
        client.post(f"{API}/tweets/{tweet.id}/bookmark")
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    auth_client(deleted.author).delete(f"{API}/tweets/{deleted.id}")
    assert [item["id"] for item in client.get(BOOKMARKS).json()["results"]] == [str(kept.id)]
