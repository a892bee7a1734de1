"""Blocks and mutes: what they remove, what they refuse, where the accounts disappear, and the
relationship on profiles."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import selectors, services
from tweets.models import Block, Follow, Like, Mute, Notification, Tweet
from tweets.services.blocks import users_lock
from tweets.tasks import mutes_expired_delete
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db

HOME = f"{API}/timelines/home"


def ids(response):
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def usernames(response):
    assert response.status_code == 200, response.json()
    return [item["username"] for item in response.json()["results"]]


def test_blocking_removes_follows_both_ways_with_counters_and_timelines(auth_client, user):
    other = UserFactory()
    follow(user, other)
    follow(other, user)
    theirs, mine = TweetFactory(author=other), TweetFactory(author=user)

    response = auth_client(user).post(f"{API}/accounts/{other.username}/block")
    assert response.status_code == 200
    assert response.json()["blocking"] is True
    assert response.json()["following"] is False
    assert not Follow.objects.exists()
    user.refresh_from_db()
    other.refresh_from_db()
    assert (user.followers_count, user.following_count) == (0, 0)
    assert (other.followers_count, other.following_count) == (0, 0)
    assert ids(auth_client(user).get(HOME)) == [str(mine.id)]
    assert ids(auth_client(other).get(HOME)) == [str(theirs.id)]


def test_blocked_account_cannot_follow_like_or_reply_to_the_blocker(auth_client, user):
    blocked = UserFactory()
    tweet = TweetFactory(author=user)
    services.block_create(blocker=user, blocked=blocked)
    client = auth_client(blocked)

    responses = [
        client.post(f"{API}/accounts/{user.username}/follow"),
        client.post(f"{API}/tweets/{tweet.id}/like"),
        client.post(f"{API}/tweets", {"text": "hey", "in_reply_to": str(tweet.id)}),
    ]
    for response in responses:
        assert response.status_code == 403
        assert response.json()["detail"] == "This account has blocked you."
    assert not Follow.objects.exists()
    assert not Like.objects.exists()
    assert Tweet.objects.count() == 1
    assert not Notification.objects.exists()


def test_blocker_cannot_interact_with_the_blocked_account_either(auth_client, user):
    blocked = UserFactory()
    services.block_create(blocker=user, blocked=blocked)
    response = auth_client(user).post(f"{API}/accounts/{blocked.username}/follow")
    assert response.status_code == 403
    assert "unblock" in response.json()["detail"]


def test_blocks_hide_each_other_in_replies_likes_notifications_and_search(auth_client, user):
    other, bystander = UserFactory(), UserFactory()
    parent = TweetFactory(author=bystander, text="parent")
    reply = TweetFactory(author=other, text="findable words", in_reply_to=parent)
    mine = TweetFactory(author=user, text="findable too", in_reply_to=parent)
    services.like_create(user=other, tweet=parent)
    services.like_create(user=other, tweet=mine)
    follow(other, user)
    assert Notification.objects.filter(recipient=user).count() == 2

    services.block_create(blocker=user, blocked=other)
    for viewer, hidden, shown in [(user, reply, mine), (other, mine, reply)]:
        client = auth_client(viewer)
        assert ids(client.get(f"{API}/tweets/{parent.id}/replies")) == [str(shown.id)]
        assert ids(client.get(f"{API}/tweets", {"search": "findable"})) == [str(shown.id)]
        assert str(hidden.id) not in ids(client.get(f"{API}/tweets"))
    assert usernames(auth_client(user).get(f"{API}/tweets/{parent.id}/likes")) == []
    assert usernames(auth_client(bystander).get(f"{API}/tweets/{parent.id}/likes")) == [
        other.username
    ]
    assert ids(auth_client(user).get(f"{API}/notifications")) == []


def test_unblock_lets_them_interact_again_but_does_not_restore_follows(auth_client, user):
    other = UserFactory()
    follow(other, user)
    client = auth_client(user)
    client.post(f"{API}/accounts/{other.username}/block")
    for _ in range(2):
        assert client.delete(f"{API}/accounts/{other.username}/block").status_code == 204
    assert not Block.objects.exists()
    assert not Follow.objects.exists()
    assert auth_client(other).post(f"{API}/accounts/{user.username}/follow").status_code == 200


def test_block_is_idempotent_and_listed(auth_client, user):
    first, second = UserFactory(), UserFactory()
    client = auth_client(user)
    for account in (first, second, first):
        assert client.post(f"{API}/accounts/{account.username}/block").status_code == 200
    assert Block.objects.count() == 2
    assert usernames(client.get(f"{API}/blocks")) == [second.username, first.username]


@pytest.mark.parametrize("what", ["block", "mute"])
def test_blocking_or_muting_yourself_is_400_and_unknown_account_404(auth_client, user, what):
    client = auth_client(user)
    response = client.post(f"{API}/accounts/{user.username}/{what}")
    assert response.status_code == 400
    assert client.post(f"{API}/accounts/nobody_here/{what}").status_code == 404
    assert not Block.objects.exists()
    assert not Mute.objects.exists()


@pytest.mark.parametrize("what", ["block", "mute"])
def test_blocking_and_muting_need_login(api_client, what):
    account = UserFactory()
    assert api_client.post(f"{API}/accounts/{account.username}/{what}").status_code == 401
    assert api_client.get(f"{API}/{what}s").status_code == 401


def test_profile_relationship_shows_blocks_and_mutes(auth_client, api_client, user):
    other = UserFactory()
    services.block_create(blocker=other, blocked=user)
    services.mute_create(muter=user, muted=other)
    mine = auth_client(user).get(f"{API}/accounts/{other.username}").json()
    assert (mine["blocking"], mine["blocked_by"], mine["muting"]) == (False, True, True)
    theirs = auth_client(other).get(f"{API}/accounts/{user.username}").json()
    assert (theirs["blocking"], theirs["blocked_by"], theirs["muting"]) == (True, False, False)
    assert api_client.get(f"{API}/accounts/{user.username}").json()["blocking"] is None


def test_muting_hides_their_tweets_from_home_only_and_they_are_not_told(auth_client, user):
    muted = UserFactory()
    follow(user, muted)
    follow(muted, user)
    tweet = TweetFactory(author=muted)
    client = auth_client(user)
    before = auth_client(muted).get(f"{API}/accounts/{user.username}").json()
    response = client.post(f"{API}/accounts/{muted.username}/mute")
    assert response.status_code == 200
    assert (response.json()["muting"], response.json()["muting_notifications"]) == (True, True)

    assert ids(client.get(HOME)) == []
    assert ids(client.get(f"{API}/accounts/{muted.username}/tweets")) == [str(tweet.id)]
    assert Follow.objects.count() == 2
    assert auth_client(muted).get(f"{API}/accounts/{user.username}").json() == before
    assert not Notification.objects.filter(recipient=muted).exclude(kind="follow").exists()

    client.delete(f"{API}/accounts/{muted.username}/mute")
    assert ids(client.get(HOME)) == [str(tweet.id)]


def test_mute_hides_notifications_unless_asked_not_to(auth_client, user):
    muted = UserFactory()
    follow(muted, user)
    client = auth_client(user)
    client.post(f"{API}/accounts/{muted.username}/mute", {"notifications": False}, format="json")
    assert len(ids(client.get(f"{API}/notifications"))) == 1
    client.post(f"{API}/accounts/{muted.username}/mute", {"notifications": True}, format="json")
    assert ids(client.get(f"{API}/notifications")) == []
    assert Mute.objects.count() == 1


def test_expired_mute_stops_applying_by_itself(auth_client, user):
    muted = UserFactory()
    follow(user, muted)
    tweet = TweetFactory(author=muted)
    client = auth_client(user)
    client.post(f"{API}/accounts/{muted.username}/mute", {"duration": 3600}, format="json")
    assert ids(client.get(HOME)) == []
    assert [m["account"]["username"] for m in client.get(f"{API}/mutes").json()["results"]] == [
        muted.username
    ]

    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ids(client.get(HOME)) == [str(tweet.id)]
    assert client.get(f"{API}/mutes").json()["results"] == []
    assert client.get(f"{API}/accounts/{muted.username}").json()["muting"] is False


@pytest.mark.parametrize(
    "body", [{"duration": -1}, {"duration": "soon"}, {"duration": 10**12}, {"notifications": "x"}]
)
def test_mute_with_bad_input_is_400_and_changes_nothing(auth_client, user, body):
    other = UserFactory()
    response = auth_client(user).post(f"{API}/accounts/{other.username}/mute", body, format="json")
    assert response.status_code == 400
    assert not Mute.objects.exists()


def test_mutes_list_shows_duration_and_flag(auth_client, user):
    other = UserFactory()
    client = auth_client(user)
    client.post(
        f"{API}/accounts/{other.username}/mute",
        {"duration": 60, "notifications": False},
        format="json",
    )
    [mute] = client.get(f"{API}/mutes").json()["results"]
    assert mute["account"]["username"] == other.username
    assert mute["notifications"] is False
    assert mute["expires_at"] is not None


def test_blocked_account_cannot_repost_and_its_mentions_are_not_created(auth_client, user):
    blocked = UserFactory()
    tweet = TweetFactory(author=user)
    services.block_create(blocker=user, blocked=blocked)
    client = auth_client(blocked)
    assert client.post(f"{API}/tweets/{tweet.id}/repost").status_code == 403
    posted = client.post(f"{API}/tweets", {"text": f"hey @{user.username}"})
    assert posted.status_code == 201
    assert posted.json()["mentions"] == []
    assert not Notification.objects.exists()


def test_reposts_by_or_of_muted_and_blocked_accounts_leave_the_home_timeline(auth_client, user):
    friend, muted, blocked = UserFactory(), UserFactory(), UserFactory()
    follow(user, friend)
    follow(user, muted)
    services.mute_create(muter=user, muted=muted)
    services.block_create(blocker=blocked, blocked=user)
    services.repost_create(user=muted, tweet=TweetFactory())
    services.repost_create(user=friend, tweet=TweetFactory(author=muted))
    services.repost_create(user=friend, tweet=TweetFactory(author=blocked))
    shown = services.repost_create(user=friend, tweet=TweetFactory())[0]
    assert ids(auth_client(user).get(HOME)) == [str(shown.id)]


def test_periodic_purge_deletes_only_mutes_that_have_ended():
    muter = UserFactory()
    ended, ending_later, forever = UserFactory(), UserFactory(), UserFactory()
    services.mute_create(muter=muter, muted=ended, duration=60)
    services.mute_create(muter=muter, muted=ending_later, duration=3600)
    services.mute_create(muter=muter, muted=forever)
    Mute.objects.filter(muted=ended).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert mutes_expired_delete.delay().get() == 1
    assert set(Mute.objects.values_list("muted", flat=True)) == {ending_later.pk, forever.pk}
    assert mutes_expired_delete.delay().get() == 0


def test_relationships_of_many_accounts_agree_with_relationship_in_one_query(
    django_assert_num_queries,
):
    viewer = UserFactory()
    others = [UserFactory() for _ in range(5)]
    follow(viewer, others[0])
    follow(others[0], viewer)
    services.block_create(blocker=viewer, blocked=others[1])
    services.block_create(blocker=others[2], blocked=viewer)
    services.mute_create(muter=viewer, muted=others[3], notifications=False)
    services.mute_create(muter=viewer, muted=others[4], duration=60)
    services.mute_create(muter=others[0], muted=viewer)  # the viewer's own mutes only
    with django_assert_num_queries(1):
        many = selectors.relationships(viewer=viewer, other_ids=[o.pk for o in others])
    expected = [
        {"following", "followed_by"},
        {"blocking"},
        {"blocked_by"},
        {"muting"},
        {"muting", "muting_notifications"},
    ]
    for other, true in zip(others, expected, strict=True):
        assert {key for key, value in many[other.pk].items() if value} == true
        assert selectors.relationship(viewer=viewer, other=other) == many[other.pk]
    assert many[others[3].pk]["muting"] and not many[others[3].pk]["muting_notifications"]
    assert many[others[4].pk]["muting_notifications"]
    Mute.objects.filter(muted=others[4]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert selectors.relationships(viewer=viewer, other_ids=[others[4].pk])[others[4].pk] == {
        key: False for key in many[others[4].pk]
    }


def test_block_filter_leaves_out_accounts_blocked_either_way():
    actor, blocked, blocker, free = UserFactory.create_batch(4)
    services.block_create(blocker=actor, blocked=blocked)
    services.block_create(blocker=blocker, blocked=actor)
    services.block_create(blocker=blocker, blocked=free)  # between two others: not the actor's
    targets = [blocked.pk, blocker.pk, free.pk]
    assert services.block_filter(actor=actor, target_ids=targets) == {free.pk}
    assert services.block_filter(actor=free, target_ids=[actor.pk, blocked.pk]) == {
        actor.pk,
        blocked.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_users_lock_refuses_to_run_outside_a_transaction():
    """Its locks would end with the statement."""
    first, second = UserFactory.create_batch(2)
    with pytest.raises(TransactionManagementError):
        users_lock(first.pk, second.pk)
    with transaction.atomic():
        users_lock(second.pk, first.pk, first.pk)
        users_lock()  # no one to lock: nothing asked
        users_lock(None, first.pk)
