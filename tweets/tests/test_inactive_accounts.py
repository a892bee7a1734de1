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


def test_an_unfollow_by_an_account_deactivated_meanwhile_changes_only_the_count_it_was_in():
    fan, other, star = UserFactory(), UserFactory(), UserFactory()
    follow(fan, star)
    follow(other, star)
    deactivated_meanwhile(fan)  # star's followers no longer count fan; fan still follows star
    assert User.objects.get(pk=star.pk).followers_count == 1
    assert follow_delete(follower=fan, followee=star) is True
    assert User.objects.get(pk=star.pk).followers_count == 1
    assert User.objects.get(pk=fan.pk).following_count == 0
    assert_counters_match_rows()


def test_taking_back_a_like_of_an_account_deactivated_meanwhile_leaves_the_count():
    fan, other, tweet = UserFactory(), UserFactory(), TweetFactory()
    like_create(user=fan, tweet=tweet)
    like_create(user=other, tweet=tweet)
    deactivated_meanwhile(fan)
    assert Tweet.objects.get(pk=tweet.pk).like_count == 1
    assert like_delete(user=fan, tweet=tweet) is True
    assert Tweet.objects.get(pk=tweet.pk).like_count == 1
    assert_counters_match_rows()


def test_taking_back_a_repost_of_an_account_deactivated_meanwhile_leaves_the_count():
    fan, other, tweet = UserFactory(), UserFactory(), TweetFactory()
    repost(fan, tweet)
    repost(other, tweet)
    deactivated_meanwhile(fan)
    assert Tweet.objects.get(pk=tweet.pk).repost_count == 1
    assert repost_delete(user=fan, tweet=tweet) is True
    assert Tweet.objects.get(pk=tweet.pk).repost_count == 1
    assert_counters_match_rows()


def test_a_post_by_an_account_deactivated_meanwhile_is_refused():
    author = UserFactory()
    with pytest.raises(PermissionDenied):
        tweet_create(author=deactivated_meanwhile(author), text="too late")
    assert not Tweet.objects.exists()
    assert_counters_match_rows()


def test_an_unfollow_of_an_account_deactivated_meanwhile_changes_only_the_count_it_was_in():
    fan, star, other_star = UserFactory(), UserFactory(), UserFactory()
    follow(fan, star)
    follow(fan, other_star)
    deactivated_meanwhile(star)  # fan's followees no longer count star; star keeps its count
    assert User.objects.get(pk=fan.pk).following_count == 1
    assert follow_delete(follower=fan, followee=star) is True
    assert User.objects.get(pk=fan.pk).following_count == 1
    assert_counters_match_rows()


def test_an_account_deactivated_between_the_lookup_of_a_mention_and_its_lock_is_not_mentioned(
    monkeypatch,
):
    author, named = UserFactory(), UserFactory()
    lock = entities.users_lock

    def deactivated_just_before_the_lock(*ids):
        User.objects.filter(pk=named.pk).update(is_active=False)
        return lock(*ids)

    monkeypatch.setattr(entities, "users_lock", deactivated_just_before_the_lock)
    tweet = tweet_create(author=author, text=f"hello @{named.username}")
    assert "mentions" not in tweet.entities
    assert not Notification.objects.filter(recipient=named).exists()
