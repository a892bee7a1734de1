"""Notifications: written with their event, gone when it is undone, filtered by the same
visibility rules as every list, and the read marker."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.models import Notification
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db

NOTIFICATIONS = f"{API}/notifications"


def kinds(client, **params):
    response = client.get(NOTIFICATIONS, params)
    assert response.status_code == 200, response.json()
    return [(n["type"], n["account"]["username"]) for n in response.json()["results"]]


def test_follow_like_and_reply_notify_with_account_and_tweet_newest_first(auth_client, user):
    fan = UserFactory()
    tweet = TweetFactory(author=user)
    follow(fan, user)
    auth_client(fan).post(f"{API}/tweets/{tweet.id}/like")
    reply = auth_client(fan).post(f"{API}/tweets", {"text": "hi", "in_reply_to": str(tweet.id)})

    results = auth_client(user).get(NOTIFICATIONS).json()["results"]
    assert [n["type"] for n in results] == ["reply", "like", "follow"]
    assert all(n["account"]["username"] == fan.username for n in results)
    assert results[0]["tweet"]["id"] == reply.json()["id"]
    assert results[1]["tweet"]["id"] == str(tweet.id)
    assert results[1]["tweet"]["like_count"] == 1
    assert results[2]["tweet"] is None


def test_acting_on_your_own_things_notifies_nobody(auth_client, user):
    tweet = TweetFactory(author=user)
    client = auth_client(user)
    client.post(f"{API}/tweets/{tweet.id}/like")
    client.post(f"{API}/tweets", {"text": "me again", "in_reply_to": str(tweet.id)})
    assert not Notification.objects.exists()


def test_like_unlike_like_leaves_one_notification(auth_client, user):
    tweet = TweetFactory(author=user)
    fan = auth_client(UserFactory())
    for method in ("post", "delete", "post"):
        getattr(fan, method)(f"{API}/tweets/{tweet.id}/like")
    assert kinds(auth_client(user)) == [("like", Notification.objects.get().actor.username)]


def test_undoing_the_event_removes_its_notification(auth_client, user):
    fan = UserFactory()
    tweet = TweetFactory(author=user)
    follow(fan, user)
    services.like_create(user=fan, tweet=tweet)
    reply = TweetFactory(author=fan, in_reply_to=tweet)
    assert Notification.objects.count() == 3

    services.follow_delete(follower=fan, followee=user)
    services.like_delete(user=fan, tweet=tweet)
    services.tweet_delete(tweet=reply, actor=fan)
    assert not Notification.objects.exists()


def test_undoing_an_event_removes_only_its_own_notification(user):
    fan, other = UserFactory.create_batch(2)
    first, second = TweetFactory.create_batch(2, author=user)
    services.like_create(user=fan, tweet=first)
    services.like_create(user=fan, tweet=second)
    services.like_create(user=other, tweet=first)
    follow(fan, user)
    follow(other, user)

    services.like_delete(user=fan, tweet=first)
    services.follow_delete(follower=fan, followee=user)
    left = Notification.objects.values_list("actor_id", "kind", "tweet_id")
    assert sorted(left) == sorted(
        [(fan.pk, "like", second.pk), (other.pk, "like", first.pk), (other.pk, "follow", None)]
    )


def test_deleting_the_tweet_removes_notifications_about_it(user):
    tweet = TweetFactory(author=user)
    services.like_create(user=UserFactory(), tweet=tweet)
    services.tweet_delete(tweet=tweet, actor=user)
    assert not Notification.objects.exists()


def test_hidden_tweets_and_suspended_accounts_disappear_from_notifications(
    auth_client, user, settings
):
    liked, other = TweetFactory(author=user), TweetFactory(author=user)
    fan, troll = UserFactory(), UserFactory()
    services.like_create(user=fan, tweet=liked)
    services.like_create(user=troll, tweet=other)
    client = auth_client(user)
    assert len(kinds(client)) == 2

    liked.is_hidden = True
    liked.save()
    troll.is_suspended = True
    troll.save()
    assert kinds(client) == []

    troll.is_suspended = False
    troll.save()
    assert kinds(client) == [("like", troll.username)]


def test_types_and_exclude_types_filter_and_unknown_kind_is_400(auth_client, user):
    fan = UserFactory()
    follow(fan, user)
    services.like_create(user=fan, tweet=TweetFactory(author=user))
    client = auth_client(user)
    assert kinds(client, types="follow") == [("follow", fan.username)]
    assert kinds(client, types="follow,like") == [("like", fan.username), ("follow", fan.username)]
    assert kinds(client, exclude_types="like") == [("follow", fan.username)]
    assert client.get(f"{NOTIFICATIONS}?types[]=like").json()["results"][0]["type"] == "like"
    response = client.get(NOTIFICATIONS, {"types": "like,favourite"})
    assert response.status_code == 400
    assert "favourite" in response.json()["fields"]["types"][0]["detail"]


def test_notifications_are_cursor_paged_newest_first(auth_client, user):
    fans = UserFactory.create_batch(5)
    for fan in fans:
        follow(fan, user)
    client = auth_client(user)
    page = client.get(NOTIFICATIONS, {"limit": 2}).json()
    seen = [n["account"]["username"] for n in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [n["account"]["username"] for n in page["results"]]
    assert seen == [fan.username for fan in reversed(fans)]


def test_one_notification_by_id_and_unknown_or_foreign_ids_are_404(auth_client, user):
    follow(UserFactory(), user)
    notification = Notification.objects.get()
    assert auth_client(user).get(f"{NOTIFICATIONS}/{notification.id}").json()["type"] == "follow"
    stranger = auth_client(UserFactory())
    for client, notification_id in [
        (stranger, notification.id),
        (auth_client(user), 12345),
        (auth_client(user), "nope"),
        (auth_client(user), 2**70),
    ]:
        assert client.get(f"{NOTIFICATIONS}/{notification_id}").status_code == 404
        assert client.post(f"{NOTIFICATIONS}/{notification_id}/dismiss").status_code == 404
    assert Notification.objects.count() == 1


def test_dismiss_deletes_one_and_clear_deletes_all(auth_client, user):
    for fan in UserFactory.create_batch(3):
        follow(fan, user)
    client = auth_client(user)
    first = Notification.objects.order_by("id").first()
    assert client.post(f"{NOTIFICATIONS}/{first.id}/dismiss").status_code == 204
    assert len(kinds(client)) == 2
    follow(UserFactory(), UserFactory())  # someone else's
    assert client.post(f"{NOTIFICATIONS}/clear").status_code == 204
    assert kinds(client) == []
    assert Notification.objects.count() == 1


def test_marker_counts_unread_after_the_last_read_id(auth_client, user):
    client = auth_client(user)
    assert client.get(f"{NOTIFICATIONS}/marker").json() == {
        "last_read_id": "0",
        "version": 0,
        "updated_at": None,
        "unread_count": 0,
    }
    for fan in UserFactory.create_batch(3):
        follow(fan, user)
    assert client.get(f"{NOTIFICATIONS}/marker").json()["unread_count"] == 3

    newest = client.get(NOTIFICATIONS).json()["results"][1]["id"]
    marker = client.post(f"{NOTIFICATIONS}/marker", {"last_read_id": newest}, format="json")
    assert marker.status_code == 200
    assert marker.json()["last_read_id"] == newest
    assert marker.json()["version"] == 1
    assert marker.json()["unread_count"] == 1
    assert client.get(f"{NOTIFICATIONS}/marker").json()["unread_count"] == 1


@pytest.mark.parametrize("body", [{}, {"last_read_id": "abc"}, {"last_read_id": None}])
def test_marker_with_a_bad_id_is_400(auth_client, user, body):
    response = auth_client(user).post(f"{NOTIFICATIONS}/marker", body, format="json")
    assert response.status_code == 400
    assert "last_read_id" in response.json()["fields"]


def test_notifications_need_login(api_client):
    assert api_client.get(NOTIFICATIONS).status_code == 401
    assert api_client.get(f"{NOTIFICATIONS}/marker").status_code == 401
    assert api_client.post(f"{NOTIFICATIONS}/clear").status_code == 401


def test_repost_and_mention_notify_and_undoing_removes_them(auth_client, user):
    fan = UserFactory()
    tweet = TweetFactory(author=user)
    client = auth_client(fan)
    assert client.post(f"{API}/tweets/{tweet.id}/repost").status_code == 201
    mention = client.post(f"{API}/tweets", {"text": f"hello @{user.username.upper()}"})
    assert kinds(auth_client(user)) == [("mention", fan.username), ("repost", fan.username)]

    client.delete(f"{API}/tweets/{tweet.id}/repost")
    client.patch(f"{API}/tweets/{mention.json()['id']}", {"text": "hello nobody"})
    assert kinds(auth_client(user)) == []


def test_a_reply_that_mentions_the_parent_author_notifies_once(auth_client, user):
    tweet = TweetFactory(author=user)
    auth_client(UserFactory()).post(
        f"{API}/tweets", {"text": f"@{user.username} yes", "in_reply_to": str(tweet.id)}
    )
    assert [kind for kind, _ in kinds(auth_client(user))] == ["reply"]
