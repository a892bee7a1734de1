"""Posting, reading, editing and deleting tweets, and replies."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets.models import ModerationAction, Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def test_post_tweet_returns_it_with_string_ids(auth_client, user):
    response = auth_client(user).post(f"{API}/tweets", {"text": "  hello world  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "hello world"
    assert isinstance(body["id"], str) and body["id"].isdigit()
    assert body["author"] == {
        "id": str(user.id),
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": None,
        "avatar_preview_url": None,
    }
    assert body["in_reply_to"] is None
    assert (body["reply_count"], body["like_count"], body["liked"]) == (0, 0, False)
    assert body["edited_at"] is None
    assert body["url"].endswith(f"{API}/tweets/{body['id']}")
    user.refresh_from_db()
    assert user.tweets_count == 1


def test_three_hundred_korean_characters_fit(auth_client, user):
    response = auth_client(user).post(f"{API}/tweets", {"text": "가" * 300}, format="json")
    assert response.status_code == 201
    assert Tweet.objects.get().text == "가" * 300


def test_tweet_length_limit_is_a_setting(auth_client, user, settings):
    settings.TWEET_MAX_LENGTH = 10
    response = auth_client(user).post(f"{API}/tweets", {"text": "x" * 11}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "   \n\t "},
        {"text": "a" * 301},
        {"text": 42},
        {"text": None},
        {"text": ["list"]},
        {},
        {"text": "null byte \x00 here"},
    ],
)
def test_bad_tweet_text_is_400_and_creates_nothing(auth_client, user, payload):
    response = auth_client(user).post(f"{API}/tweets", payload, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["fields"]
    assert not Tweet.objects.exists()
    user.refresh_from_db()
    assert user.tweets_count == 0


def test_unauthenticated_post_is_401(api_client):
    response = api_client.post(f"{API}/tweets", {"text": "hi"}, format="json")
    assert response.status_code == 401
    assert not Tweet.objects.exists()


def test_anyone_can_read_a_tweet(api_client):
    tweet = TweetFactory(text="public words")
    response = api_client.get(f"{API}/tweets/{tweet.id}")
    assert response.status_code == 200
    assert response.json()["text"] == "public words"


@pytest.mark.parametrize(
    "tweet_id", ["abc", "12abc", "-1", "99999999999999999999999", "9999999999999999999", "1.5"]
)
def test_non_numeric_tweet_id_is_404(api_client, tweet_id):
    response = api_client.get(f"{API}/tweets/{tweet_id}")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_unknown_tweet_is_404(api_client):
    assert api_client.get(f"{API}/tweets/12345").status_code == 404


def test_author_can_edit_and_edited_at_is_set(auth_client, user):
    tweet = TweetFactory(author=user, text="typo")
    response = auth_client(user).patch(f"{API}/tweets/{tweet.id}", {"text": "fixed"}, format="json")
    assert response.status_code == 200
    assert response.json()["text"] == "fixed"
    assert response.json()["edited_at"] is not None


def test_editing_someone_elses_tweet_is_403_and_changes_nothing(auth_client, user):
    tweet = TweetFactory(text="mine")
    response = auth_client(user).patch(
        f"{API}/tweets/{tweet.id}", {"text": "hijacked"}, format="json"
    )
    assert response.status_code == 403
    tweet.refresh_from_db()
    assert tweet.text == "mine" and tweet.edited_at is None


@pytest.mark.parametrize("text", ["", "x" * 301, 5])
def test_bad_edit_is_400_and_changes_nothing(auth_client, user, text):
    tweet = TweetFactory(author=user, text="original")
    response = auth_client(user).patch(f"{API}/tweets/{tweet.id}", {"text": text}, format="json")
    assert response.status_code == 400
    tweet.refresh_from_db()
    assert tweet.text == "original"


def test_author_can_delete(auth_client, user):
    tweet = TweetFactory(author=user)
    assert auth_client(user).delete(f"{API}/tweets/{tweet.id}").status_code == 204
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    user.refresh_from_db()
    assert user.tweets_count == 0


def test_staff_can_delete_any_tweet_and_it_is_logged(auth_client):
    tweet = TweetFactory()
    staff = UserFactory(is_staff=True)
    assert auth_client(staff).delete(f"{API}/tweets/{tweet.id}").status_code == 204
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    logged = ModerationAction.objects.get()
    assert (logged.moderator, logged.kind, logged.tweet_id) == (staff, "delete_tweet", tweet.id)


def test_authors_deleting_their_own_tweets_are_not_moderation(auth_client, user):
    tweet = TweetFactory(author=user)
    auth_client(user).delete(f"{API}/tweets/{tweet.id}")
    assert not ModerationAction.objects.exists()


def test_deleting_someone_elses_tweet_is_403(auth_client, user):
    tweet = TweetFactory()
    assert auth_client(user).delete(f"{API}/tweets/{tweet.id}").status_code == 403
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_unauthenticated_delete_is_401(api_client):
    tweet = TweetFactory()
    assert api_client.delete(f"{API}/tweets/{tweet.id}").status_code == 401


def test_reply_counts_and_lists_oldest_first(auth_client, api_client, user):
    parent = TweetFactory()
    client = auth_client(user)
    ids = [
        client.post(
            f"{API}/tweets", {"text": f"reply {n}", "in_reply_to": str(parent.id)}, format="json"
        ).json()["id"]
        for n in range(3)
    ]
    replies = api_client.get(f"{API}/tweets/{parent.id}/replies").json()["results"]
    assert [r["id"] for r in replies] == ids
    assert all(r["in_reply_to"] == str(parent.id) for r in replies)
    assert api_client.get(f"{API}/tweets/{parent.id}").json()["reply_count"] == 3

    client.delete(f"{API}/tweets/{ids[0]}")
    assert api_client.get(f"{API}/tweets/{parent.id}").json()["reply_count"] == 2


@pytest.mark.parametrize(
    "in_reply_to", ["999999", "abc", 1.5, True, {"id": 1}, "9999999999999999999", 2**64]
)
def test_reply_to_missing_or_malformed_id_is_400(auth_client, user, in_reply_to):
    response = auth_client(user).post(
        f"{API}/tweets", {"text": "hi", "in_reply_to": in_reply_to}, format="json"
    )
    assert response.status_code == 400
    assert "in_reply_to" in response.json()["fields"]
    assert not Tweet.objects.exists()


def test_reply_to_deleted_tweet_is_400(auth_client, user):
    parent = TweetFactory(author=user)
    auth_client(user).delete(f"{API}/tweets/{parent.id}")
    response = auth_client(user).post(
        f"{API}/tweets", {"text": "late", "in_reply_to": str(parent.id)}, format="json"
    )
    assert response.status_code == 400
    assert not Tweet.objects.exists()


def test_replies_of_unknown_tweet_is_404(api_client):
    assert api_client.get(f"{API}/tweets/123/replies").status_code == 404


def test_tweet_ids_are_time_ordered(user):
    tweets = [TweetFactory(author=user) for _ in range(20)]
    assert [t.id for t in tweets] == sorted(t.id for t in tweets)
