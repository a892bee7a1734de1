"""Interactions by or with an account deactivated or suspended while the request was on its way
(the request's account object still says active): refused where they would add a row, and a
row taken back changes only the counts it was in. Follows, likes and reposts count only while
their accounts are active (``tweets.services.counters``)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.services import user_set_active, user_set_suspended
from accounts.tests.factories import UserFactory
from tweets.models import Follow, Like, Notification, Tweet
from tweets.services import (
    counters_recount,
    entities,
    follow_create,
    follow_delete,
    like_create,
    like_delete,
    repost_create,
    repost_delete,
    tweet_create,
)
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db


def deactivated_meanwhile(account: User) -> User:
    """Deactivate the account as another request would; ``account`` stays as it was read."""
    user_set_active(user=User.objects.get(pk=account.pk), active=False)
    return account


def assert_counters_match_rows():
    wrong = counters_recount(dry_run=True)
    assert wrong == dict.fromkeys(wrong, 0)


def test_a_follow_by_an_account_deactivated_meanwhile_is_refused():
    fan, star = UserFactory(), UserFactory()
    with pytest.raises(PermissionDenied):
        follow_create(follower=deactivated_meanwhile(fan), followee=star)
    assert not Follow.objects.exists()
    assert_counters_match_rows()


def test_a_follow_of_an_account_suspended_meanwhile_is_a_404():
    fan, star = UserFactory(), UserFactory()
    user_set_suspended(user=User.objects.get(pk=star.pk), suspended=True)
    with pytest.raises(Http404):
        follow_create(follower=fan, followee=star)
    assert not Follow.objects.exists()
    assert_counters_match_rows()


def test_likes_and_reposts_by_an_account_deactivated_meanwhile_are_refused():
    fan, tweet = UserFactory(), TweetFactory()
    deactivated_meanwhile(fan)
    with pytest.raises(PermissionDenied):
        like_create(user=fan, tweet=tweet)
    with pytest.raises(PermissionDenied):
        repost_create(user=fan, tweet=tweet)
    assert not Like.objects.exists()
    assert not Tweet.objects.filter(repost_of=tweet).exists()
    assert_counters_match_rows()


@pytest.mark.parametrize("leaving", ["follower", "followee"])
def test_an_unfollow_with_an_account_deactivated_meanwhile_changes_only_the_count_it_was_in(
    leaving,
):
    """A follow counts in the followee's followers while the follower is active, and in the
    follower's followees while the followee is."""
    fan, star = UserFactory(), UserFactory()
    follow(fan, star)
    follow(UserFactory(), star)  # star keeps a follower
    follow(fan, UserFactory())  # and fan a followee
    deactivated_meanwhile(fan if leaving == "follower" else star)
    assert follow_delete(follower=fan, followee=star) is True
    counts = (
        User.objects.get(pk=star.pk).followers_count,
        User.objects.get(pk=fan.pk).following_count,
    )
    assert counts == (1, 1)
    assert_counters_match_rows()


@pytest.mark.parametrize(
    ("give", "take_back", "count"),
    [
        (like_create, like_delete, "like_count"),
        (lambda user, tweet: repost(user, tweet), repost_delete, "repost_count"),
    ],
    ids=["like", "repost"],
)
def test_taking_back_a_like_or_repost_of_an_account_deactivated_meanwhile_leaves_the_count(
    give, take_back, count
):
    fan, other, tweet = UserFactory(), UserFactory(), TweetFactory()
    give(user=fan, tweet=tweet)
    give(user=other, tweet=tweet)
    deactivated_meanwhile(fan)
    assert getattr(Tweet.objects.get(pk=tweet.pk), count) == 1
    assert take_back(user=fan, tweet=tweet) is True
    assert getattr(Tweet.objects.get(pk=tweet.pk), count) == 1
    assert_counters_match_rows()


def test_a_post_by_an_account_deactivated_meanwhile_is_refused():
    author = UserFactory()
    with pytest.raises(PermissionDenied):
        tweet_create(author=deactivated_meanwhile(author), text="too late")
    assert not Tweet.objects.exists()
    assert_counters_match_rows()


def test_an_account_deactivated_between_the_lookup_of_a_mention_and_its_lock_is_not_mentioned(
    monkeypatch,
):
    author, named = UserFactory(), UserFactory()
    lock = entities.users_lock

    def deactivated_just_before_the_lock(*ids, **kwargs):
        User.objects.filter(pk=named.pk).update(is_active=False)
        return lock(*ids, **kwargs)

    monkeypatch.setattr(entities, "users_lock", deactivated_just_before_the_lock)
    tweet = tweet_create(author=author, text=f"hello @{named.username}")
    assert "mentions" not in tweet.entities
    assert not Notification.objects.filter(recipient=named).exists()
