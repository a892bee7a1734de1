"""Notifications through the Mastodon API: minitter's kinds as Mastodon's types, filters,
paging, one notification, dismiss, clear and the unread count."""

import re

import pytest

from accounts.tests.factories import UserFactory
from tweets import services
from tweets.models import Notification
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def every_kind(me):
    """One notification of each kind for ``me``, oldest first: follow, like, repost, reply,
    mention."""
    other = UserFactory(username="other")
    mine = TweetFactory(author=me, text="mine")
    follow(other, me)
    services.like_create(user=other, tweet=mine)
    repost(other, mine)
    reply = TweetFactory(author=other, in_reply_to=mine, text="a reply")
    mention = TweetFactory(author=other, text=f"hello @{me.username}")
    return other, mine, reply, mention


def test_each_kind_is_the_mastodon_type_with_its_status(oauth_client):
    me = UserFactory()
    other, mine, reply, mention = every_kind(me)
    body = oauth_client(me).get("/api/v1/notifications").json()
    assert [n["type"] for n in body] == ["mention", "mention", "reblog", "favourite", "follow"]
    statuses = [n.get("status", {}).get("id") for n in body]
    assert statuses == [str(mention.pk), str(reply.pk), str(mine.pk), str(mine.pk), None]
    assert "status" not in body[-1]
    first = body[0]
    assert first["id"] == str(Notification.objects.get(tweet=mention).pk)
    assert first["group_key"] == f"ungrouped-{first['id']}"
    assert TIME.match(first["created_at"])
    assert first["account"]["id"] == str(other.pk)
    assert first["account"]["acct"] == "other"
    assert '<span class="h-card">' in first["status"]["content"]


def test_types_and_exclude_types_filter_as_on_mastodon(oauth_client):
    me = UserFactory()
    every_kind(me)
    client = oauth_client(me)

    def types(**params):
        return [n["type"] for n in client.get("/api/v1/notifications", params).json()]

    assert types(**{"types[]": ["mention"]}) == ["mention", "mention"]
    assert types(**{"types[]": ["follow", "favourite"]}) == ["favourite", "follow"]
    assert types(**{"exclude_types[]": ["mention", "reblog"]}) == ["favourite", "follow"]
    # Types minitter never sends, and unknown ones, are ignored as Mastodon ignores them.
    assert types(**{"types[]": ["follow", "admin.sign_up", "nonsense"]}) == ["follow"]
    assert types(**{"types[]": ["status", "poll"]}) == []
    assert types(**{"exclude_types[]": ["nonsense"]}) == [
        "mention",
        "mention",
        "reblog",
        "favourite",
        "follow",
    ]


def test_account_id_keeps_one_accounts_notifications(oauth_client):
    me = UserFactory()
    every_kind(me)
    stranger = UserFactory()
    follow(stranger, me)
    client = oauth_client(me)
    body = client.get("/api/v1/notifications", {"account_id": stranger.pk}).json()
    assert [(n["type"], n["account"]["id"]) for n in body] == [("follow", str(stranger.pk))]
    bad = client.get("/api/v1/notifications", {"account_id": "x"})
    assert bad.status_code == 422 and list(bad.json()) == ["error"]


def test_link_header_pages_through_without_repeating(oauth_client):
    me = UserFactory()
    every_kind(me)
    client = oauth_client(me)
    everything = [n["id"] for n in client.get("/api/v1/notifications").json()]
    seen, url = [], "/api/v1/notifications?limit=2"
    while True:
        response = client.get(url)
        page = [n["id"] for n in response.json()]
        if not page:
            break
        seen += page
        url = re.search(r'<([^>]+)>; rel="next"', response["Link"])[1]
    assert seen == everything
    newest = client.get("/api/v1/notifications", {"min_id": everything[2]}).json()
    assert [n["id"] for n in newest] == everything[:2]


def test_one_notification_and_what_the_caller_may_not_see(oauth_client):
    me, stranger = UserFactory(), UserFactory()
    every_kind(me)
    client = oauth_client(me)
    first = client.get("/api/v1/notifications").json()[0]
    assert client.get(f"/api/v1/notifications/{first['id']}/").json() == first
    assert oauth_client(stranger).get(f"/api/v1/notifications/{first['id']}").status_code == 404
    for bad in ("999999", "abc", "-1"):
        response = client.get(f"/api/v1/notifications/{bad}")
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}


def test_blocked_and_muted_accounts_leave_the_list(oauth_client):
    me = UserFactory()
    other, *_ = every_kind(me)
    loud = UserFactory()
    follow(loud, me)
    client = oauth_client(me)
    services.block_create(blocker=me, blocked=other)
    services.mute_create(muter=me, muted=loud)
    assert client.get("/api/v1/notifications").json() == []


def test_dismiss_deletes_one_and_clear_deletes_all_of_the_callers(oauth_client):
    me, stranger = UserFactory(), UserFactory()
    every_kind(me)
    follow(me, stranger)
    client = oauth_client(me)
    ids = [n["id"] for n in client.get("/api/v1/notifications").json()]
    response = client.post(f"/api/v1/notifications/{ids[0]}/dismiss")
    assert (response.status_code, response.json()) == (200, {})
    assert [n["id"] for n in client.get("/api/v1/notifications").json()] == ids[1:]
    assert client.post("/api/v1/notifications/dismiss", {"id": ids[1]}).json() == {}
    assert client.post(f"/api/v1/notifications/{ids[0]}/dismiss").status_code == 404
    theirs = Notification.objects.get(recipient=stranger)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/dismiss").status_code == 404
    assert client.post("/api/v1/notifications/clear").json() == {}
    assert client.get("/api/v1/notifications").json() == []
    assert Notification.objects.filter(recipient=stranger).count() == 1


def test_unread_count_counts_past_the_marker(oauth_client):
    me = UserFactory()
    every_kind(me)
    client = oauth_client(me)
    ids = [n["id"] for n in client.get("/api/v1/notifications").json()]
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 5}
    assert client.get("/api/v1/notifications/unread_count", {"limit": 2}).json() == {"count": 2}
    services.notification_marker_set(user=me, last_read_id=int(ids[1]))
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 1}


def test_scopes_are_enforced(oauth_client):
    me = UserFactory()
    every_kind(me)
    reader = oauth_client(me, scopes="read:notifications")
    assert reader.get("/api/v1/notifications").status_code == 200
    assert reader.post("/api/v1/notifications/clear").status_code == 403
    writer = oauth_client(me, scopes="write:notifications")
    assert writer.get("/api/v1/notifications").status_code == 403
    assert writer.post("/api/v1/notifications/clear").status_code == 200
    assert oauth_client(me, scopes="read:statuses").get("/api/v1/notifications").status_code == 403
    assert Notification.objects.filter(recipient=me).count() == 0
