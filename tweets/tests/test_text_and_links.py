"""Small input and output rules: visible tweet text, names without direction overrides, absolute
avatar URLs in every account list, and pagination links built from decoded parameters."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from media.tests.factories import MediaFileFactory
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text", ["\u200b\u200b", "\u200b \u200d\ufeff", "\u3164", "\u2800\u2800", "\u202e", "\u0301"]
)
def test_tweet_without_visible_text_is_400(auth_client, user, text):
    response = auth_client(user).post(f"{API}/tweets", {"text": text}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["fields"]
    assert not Tweet.objects.exists()


@pytest.mark.parametrize("text", ["a\u200b", "👍", "e\u0301", "안녕"])
def test_tweet_with_visible_text_is_accepted(auth_client, user, text):
    assert auth_client(user).post(f"{API}/tweets", {"text": text}, format="json").status_code == 201


@pytest.mark.parametrize("name", ["alice\u202egnp.exe", "\u2066bob\u2069", "\u200fmallory"])
def test_display_name_with_direction_controls_is_400(auth_client, api_client, user, name):
    before = user.display_name
    response = auth_client(user).patch(f"{API}/accounts/me", {"display_name": name}, format="json")
    assert response.status_code == 400
    assert "display_name" in response.json()["fields"]
    user.refresh_from_db()
    assert user.display_name == before
    signup = api_client.post(
        f"{API}/auth/signup",
        {
            "username": "newbie",
            "email": "n@example.com",
            "password": "unusual-pass",
            "display_name": name,
        },
        format="json",
    )
    assert signup.status_code == 400
    assert "display_name" in signup.json()["fields"]


def test_arabic_and_hebrew_names_are_fine(auth_client, user):
    response = auth_client(user).patch(
        f"{API}/accounts/me", {"display_name": "سلام שלום"}, format="json"
    )
    assert response.status_code == 200


def test_avatar_urls_are_absolute_in_every_account_list(api_client, _media_in_tmp_dir):
    owner = UserFactory()
    fan = UserFactory(avatar=MediaFileFactory())
    follow(fan, owner)
    follow(owner, fan)
    tweet = TweetFactory(author=owner)
    api_client.force_authenticate(fan)
    api_client.post(f"{API}/tweets/{tweet.id}/like")
    api_client.force_authenticate(None)
    for path in [
        f"accounts/{owner.username}/followers",
        f"accounts/{owner.username}/following",
        f"tweets/{tweet.id}/likes",
    ]:
        results = api_client.get(f"{API}/{path}").json()["results"]
        assert results, path
        assert results[0]["avatar_url"].startswith("http://testserver/"), path
        assert results[0]["avatar_preview_url"].startswith("http://testserver/"), path


def test_next_link_from_a_raw_utf8_query_string_keeps_the_text(api_client):
    for _ in range(3):
        TweetFactory(text="고양이 사진")
    raw = "search=고양이&limit=1".encode().decode("latin-1")  # as WSGI passes raw bytes
    response = api_client.get(f"{API}/tweets", QUERY_STRING=raw)
    assert response.status_code == 200
    next_link = response.json()["next"]
    assert "search=%EA%B3%A0%EC%96%91%EC%9D%B4" in next_link
    second = api_client.get(next_link.removeprefix("http://testserver"))
    assert [t["text"] for t in second.json()["results"]] == ["고양이 사진"]
