"""Mastodon-surface writes at the same moment on PostgreSQL: an upload's description changed while
the upload is attached to a status, and mutes and unmutes of one account at once. No 500, no
409, and nothing changed that the rules say may no longer change."""

from functools import partial

from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core.testing.races import (
    pause_in,
    race,
    race_tests,
    run_while_held,
    run_while_held_until_done,
)
from mastodon_api.tests.test_statuses import upload
from media import services as media_services
from media.models import MediaFile
from tweets.models import Mute
from tweets.services import tweets as tweet_services

pytestmark = race_tests


def uploaded(client) -> str:
    return upload(client, description="before")["id"]


def describe(client, media_id: str, answers: dict):
    answers["describe"] = client.put(f"/api/v1/media/{media_id}", {"description": "after"})


def post_with(client, media_id: str, answers: dict):
    answers["post"] = client.post("/api/v1/statuses", {"status": "hi", "media_ids[]": [media_id]})


def test_a_description_changed_while_the_upload_is_attached_is_a_404_and_changes_nothing(
    monkeypatch, oauth_client
):
    """The status holds the upload (locked by ``media_claim``) when the description change
    arrives: the change waits, then finds it attached."""
    client, answers = oauth_client(UserFactory(), "read write"), {}
    media_id = uploaded(client)
    paused, resume = pause_in(monkeypatch, tweet_services, "media_claim")
    assert (
        run_while_held(
            partial(post_with, client, media_id, answers),
            partial(describe, client, media_id, answers),
            paused,
            resume,
        )
        == []
    )
    assert answers["post"].status_code == 200
    assert answers["describe"].status_code == 404
    assert MediaFile.objects.get(pk=media_id).description == "before"


def test_a_description_change_whose_upload_was_attached_and_deleted_meanwhile_is_a_404(
    monkeypatch, oauth_client
):
    client, answers = oauth_client(UserFactory(), "read write"), {}
    media_id = uploaded(client)

    def attach_and_delete():
        post_with(client, media_id, answers)
        deleted = client.delete(f"/api/v1/statuses/{answers['post'].json()['id']}")
        assert deleted.status_code == 200

    paused, resume = pause_in(monkeypatch, media_services, "media_describe", before=True)
    failures = run_while_held_until_done(
        partial(describe, client, media_id, answers), attach_and_delete, paused, resume
    )
    assert failures == []
    assert answers["describe"].status_code == 404
    assert not MediaFile.objects.filter(pk=media_id).exists()


def test_mutes_and_unmutes_of_one_account_at_once_never_conflict(oauth_client):
    for _ in range(10):
        muter, muted = UserFactory(), UserFactory()
        client = oauth_client(muter, "read write follow")
        mute = partial(client.post, f"/api/v1/accounts/{muted.pk}/mute", {"duration": 60})
        unmute = partial(client.post, f"/api/v1/accounts/{muted.pk}/unmute")
        answers = race(mute, mute, mute, unmute, unmute)
        assert [answer.status_code for answer in answers] == [200] * 5
        assert Mute.objects.filter(muter=muter, muted=muted).count() <= 1
        again = APIClient()
        again.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"])
        assert again.post(f"/api/v1/accounts/{muted.pk}/mute").status_code == 200
        assert Mute.objects.filter(muter=muter, muted=muted).count() == 1
