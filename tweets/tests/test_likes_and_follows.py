"""Likes and follows: idempotent writes, counters, lists and the relationship on profiles."""

import pytest
from django.contrib.auth import get_user_model

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets.models import Follow, Like
from tweets.tests.factories import TweetFactory, follow

User = get_user_model()

pytestmark = pytest.mark.django_db


def test_like_is_idempotent_and_counted_once(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    for _ in range(2):
        response = client.post(f"{API}/tweets/{tweet.id}/like")
        assert response.status_code == 200
        assert response.json()["like_count"] == 1
        assert response.json()["liked"] is True
    assert Like.objects.count() == 1


def test_unlike_is_idempotent(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    client.post(f"{API}/tweets/{tweet.id}/like")
    for _ in range(2):
        assert client.delete(f"{API}/tweets/{tweet.id}/like").status_code == 204
    tweet.refresh_from_db()
    assert tweet.like_count == 0
    assert not Like.objects.exists()


def test_liking_a_missing_tweet_is_404(auth_client, user):
    assert auth_client(user).post(f"{API}/tweets/424242/like").status_code == 404
    assert not Like.objects.exists()


def test_liking_needs_login(api_client):
    tweet = TweetFactory()
    assert api_client.post(f"{API}/tweets/{tweet.id}/like").status_code == 401


def test_likes_list_shows_accounts_newest_first(auth_client, api_client):
    tweet = TweetFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        auth_client(fan).post(f"{API}/tweets/{tweet.id}/like")
    results = api_client.get(f"{API}/tweets/{tweet.id}/likes").json()["results"]
    assert [a["username"] for a in results] == [f.username for f in reversed(fans)]


def test_liked_flag_is_per_viewer(auth_client, user):
    tweet = TweetFactory()
    auth_client(user).post(f"{API}/tweets/{tweet.id}/like")
    assert auth_client(user).get(f"{API}/tweets/{tweet.id}").json()["liked"] is True
    assert auth_client(UserFactory()).get(f"{API}/tweets/{tweet.id}").json()["liked"] is False


def test_follow_is_idempotent_and_updates_counts(auth_client, api_client, user):
    star = UserFactory(username="star_user")
    client = auth_client(user)
    for _ in range(2):
        response = client.post(f"{API}/accounts/star_user/follow")
        assert response.status_code == 200
        assert response.json() == {
            "following": True,
            "followed_by": False,
            "blocking": False,
            "blocked_by": False,
            "muting": False,
            "muting_notifications": False,
        }
    assert Follow.objects.count() == 1
    profile = api_client.get(f"{API}/accounts/STAR_USER").json()
    assert (profile["followers_count"], profile["following_count"]) == (1, 0)
    mine = api_client.get(f"{API}/accounts/{user.username}").json()
    assert (mine["followers_count"], mine["following_count"]) == (0, 1)
    assert star.username == profile["username"]


def test_unfollow_is_idempotent_and_updates_counts(auth_client, user):
    star = UserFactory()
    client = auth_client(user)
    client.post(f"{API}/accounts/{star.username}/follow")
    for _ in range(2):
        assert client.delete(f"{API}/accounts/{star.username}/follow").status_code == 204
    star.refresh_from_db()
    user.refresh_from_db()
    assert (star.followers_count, user.following_count) == (0, 0)


def test_an_unfollow_never_counts_below_zero(auth_client, user):
    star = UserFactory()
    client = auth_client(user)
    client.post(f"{API}/accounts/{star.username}/follow")
    User.objects.filter(pk=user.pk).update(following_count=0)  # out of step, as recount fixes
    assert client.delete(f"{API}/accounts/{star.username}/follow").status_code == 204
    star.refresh_from_db()
    user.refresh_from_db()
    assert (star.followers_count, user.following_count) == (0, 0)


def test_following_yourself_is_400(auth_client, user):
    response = auth_client(user).post(f"{API}/accounts/{user.username}/follow")
    assert response.status_code == 400
    assert not Follow.objects.exists()


@pytest.mark.parametrize("username", ["nobody_here", "bad-name"])
def test_following_unknown_user_is_404(auth_client, user, username):
    response = auth_client(user).post(f"{API}/accounts/{username}/follow")
    assert response.status_code == 404
    assert not Follow.objects.exists()


def test_following_needs_login(api_client):
    star = UserFactory()
    assert api_client.post(f"{API}/accounts/{star.username}/follow").status_code == 401


def test_profile_shows_relationship_only_to_logged_in_viewer(auth_client, api_client, user):
    other = UserFactory()
    follow(other, user)
    mine = auth_client(user).get(f"{API}/accounts/{other.username}").json()
    assert (mine["following"], mine["followed_by"]) == (False, True)
    anonymous = api_client.get(f"{API}/accounts/{other.username}").json()
    assert anonymous["following"] is None and anonymous["followed_by"] is None
    assert "email" not in anonymous


def test_followers_and_following_lists(api_client):
    star = UserFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        follow(fan, star)
    follow(star, fans[0])
    followers = api_client.get(f"{API}/accounts/{star.username}/followers").json()["results"]
    assert [a["username"] for a in followers] == [f.username for f in reversed(fans)]
    following = api_client.get(f"{API}/accounts/{star.username}/following").json()["results"]
    assert [a["username"] for a in following] == [fans[0].username]


def test_lists_of_unknown_account_are_404(api_client):
    for suffix in ["followers", "following", "tweets"]:
        assert api_client.get(f"{API}/accounts/nobody_here/{suffix}").status_code == 404


def test_account_tweets_newest_first(api_client):
    author = UserFactory()
    tweets = [TweetFactory(author=author) for _ in range(3)]
    TweetFactory()
    results = api_client.get(f"{API}/accounts/{author.username}/tweets").json()["results"]
    assert [t["id"] for t in results] == [str(t.id) for t in reversed(tweets)]
    profile = api_client.get(f"{API}/accounts/{author.username}").json()
    assert profile["tweets_count"] == 3


def test_public_profile_is_readable_without_login_and_hides_email(api_client):
    user = UserFactory(username="Bob_the_Builder", bio="builds")
    response = api_client.get(f"{API}/accounts/bob_the_builder")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["username"] == "Bob_the_Builder"
    assert body["bio"] == "builds"
    assert "email" not in body


def test_deactivated_account_profile_is_404(api_client):
    user = UserFactory(is_active=False)
    assert api_client.get(f"{API}/accounts/{user.username}").status_code == 404
