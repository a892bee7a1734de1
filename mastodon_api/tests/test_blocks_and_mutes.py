"""Blocks and mutes through the Mastodon API: the account actions, the Relationship they answer,
and the caller's lists of blocked and muted accounts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from tweets import services
from tweets.models import Mute
from tweets.tests.factories import follow

pytestmark = pytest.mark.django_db


def test_block_ends_follows_both_ways_and_the_relationship_says_so(oauth_client):
    me, other = UserFactory(), UserFactory()
    follow(me, other)
    follow(other, me)
    client = oauth_client(me)
    blocked = client.post(f"/api/v1/accounts/{other.pk}/block")
    assert blocked.status_code == 200, blocked.content
    body = blocked.json()
    assert (body["blocking"], body["following"], body["followed_by"]) == (True, False, False)
    theirs = oauth_client(other).get("/api/v1/accounts/relationships", {"id[]": [me.pk]}).json()
    assert (theirs[0]["blocked_by"], theirs[0]["blocking"]) == (True, False)
    unblocked = client.post(f"/api/v1/accounts/{other.pk}/unblock").json()
    assert unblocked["blocking"] is False
    assert client.post(f"/api/v1/accounts/{other.pk}/unblock").status_code == 200


def test_mute_with_duration_and_without_notifications(oauth_client):
    me, other = UserFactory(), UserFactory()
    client = oauth_client(me)
    body = client.post(
        f"/api/v1/accounts/{other.pk}/mute", {"notifications": "false", "duration": "3600"}
    ).json()
    assert (body["muting"], body["muting_notifications"]) == (True, False)
    mute = Mute.objects.get(muter=me, muted=other)
    assert timezone.now() + timedelta(minutes=59) < mute.expires_at
    again = client.post(f"/api/v1/accounts/{other.pk}/mute", {"notifications": True}, format="json")
    assert again.json()["muting_notifications"] is True
    assert Mute.objects.get(muter=me, muted=other).expires_at is None
    assert client.post(f"/api/v1/accounts/{other.pk}/unmute").json()["muting"] is False


def test_a_mute_that_has_ended_does_not_count(oauth_client):
    me, other = UserFactory(), UserFactory()
    services.mute_create(muter=me, muted=other, duration=60)
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    rel = oauth_client(me).get("/api/v1/accounts/relationships", {"id[]": [other.pk]}).json()
    assert rel[0]["muting"] is False
    assert oauth_client(me).get("/api/v1/mutes").json() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration": "soon"}, "duration"),
        ({"duration": "-5"}, "duration"),
        ({"duration": str(10**12)}, "duration"),
    ],
)
def test_a_bad_mute_duration_is_a_422_that_names_it(oauth_client, data, message):
    me, other = UserFactory(), UserFactory()
    response = oauth_client(me).post(f"/api/v1/accounts/{other.pk}/mute", data)
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert not Mute.objects.exists()


def test_blocking_or_muting_yourself_or_nobody_is_refused(oauth_client):
    me = UserFactory()
    client = oauth_client(me)
    assert client.post(f"/api/v1/accounts/{me.pk}/block").status_code == 422
    assert client.post(f"/api/v1/accounts/{me.pk}/mute").status_code == 422
    assert client.post("/api/v1/accounts/999999/block").status_code == 404
    assert client.post("/api/v1/accounts/nope/mute").json() == {"error": "Record not found"}


def test_blocks_and_mutes_need_their_scopes(oauth_client):
    me, other = UserFactory(), UserFactory()
    reader = oauth_client(me, scopes="read")
    assert reader.post(f"/api/v1/accounts/{other.pk}/block").status_code == 403
    assert reader.post(f"/api/v1/accounts/{other.pk}/mute").status_code == 403
    follower = oauth_client(me, scopes="follow")
    assert follower.post(f"/api/v1/accounts/{other.pk}/block").status_code == 200
    assert follower.get("/api/v1/blocks").status_code == 200
    assert follower.get("/api/v1/bookmarks").status_code == 403


def test_blocks_and_mutes_lists_page_newest_first_with_links(oauth_client):
    me = UserFactory()
    others = [UserFactory() for _ in range(3)]
    for other in others:
        services.block_create(blocker=me, blocked=other)
        services.mute_create(muter=me, muted=other, duration=600 if other is others[0] else None)
    client = oauth_client(me)
    first = client.get("/api/v1/blocks", {"limit": 2})
    assert [a["id"] for a in first.json()] == [str(o.pk) for o in reversed(others[1:])]
    assert 'rel="next"' in first["Link"]
    rest = client.get(first["Link"].split(">")[0].lstrip("<"))
    assert [a["id"] for a in rest.json()] == [str(others[0].pk)]
    mutes = client.get("/api/v1/mutes").json()
    assert [a["id"] for a in mutes] == [str(o.pk) for o in reversed(others)]
    assert mutes[-1]["mute_expires_at"].endswith("Z") and mutes[0]["mute_expires_at"] is None
    assert oauth_client(others[0]).get("/api/v1/blocks").json() == []
