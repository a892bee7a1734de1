"""Tweets with pictures: attaching uploads, the rules on which ones, and deletion."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing import API
from core.testing import upload as upload_image
from core.testing.images import image_bytes
from media.models import MediaFile
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def upload(client) -> str:
    response = upload_image(client, description="alt")
    assert response.status_code == 201
    return response.json()["id"]


def post(client, media_ids, text="look"):
    return client.post(f"{API}/tweets", {"text": text, "media_ids": media_ids}, format="json")


def test_tweet_with_four_pictures_shows_them_in_order(auth_client, api_client, user):
    client = auth_client(user)
    ids = [upload(client) for _ in range(4)]
    response = post(client, ids)
    assert response.status_code == 201
    media = response.json()["media"]
    assert [m["id"] for m in media] == ids
    assert media[0]["description"] == "alt"
    assert media[0]["url"].startswith("http://testserver/media/")
    assert set(media[0]) == {"id", "type", "url", "preview_url", "width", "height", "description"}
    shown = api_client.get(f"{API}/tweets/{response.json()['id']}").json()["media"]
    assert [m["id"] for m in shown] == ids
    assert MediaFile.objects.filter(attached_at__isnull=True).count() == 0


def test_fifth_picture_is_400_and_nothing_is_attached(auth_client, user):
    client = auth_client(user)
    ids = [upload(client) for _ in range(5)]
    response = post(client, ids)
    assert response.status_code == 400
    assert "media_ids" in response.json()["fields"]
    assert not Tweet.objects.exists()
    assert MediaFile.objects.filter(attached_at__isnull=False).count() == 0


def test_someone_elses_media_is_400(auth_client, user):
    other_id = upload(auth_client(UserFactory()))
    response = post(auth_client(user), [other_id])
    assert response.status_code == 400
    assert "media_ids" in response.json()["fields"]
    assert not Tweet.objects.exists()


def test_media_already_attached_is_400(auth_client, user):
    client = auth_client(user)
    media_id = upload(client)
    assert post(client, [media_id]).status_code == 201
    response = post(client, [media_id], text="again")
    assert response.status_code == 400
    assert "Already attached" in response.json()["fields"]["media_ids"][0]["detail"]
    assert Tweet.objects.count() == 1


@pytest.mark.parametrize(
    "media_ids", [["abc"], "1", [None], [1.5], ["999999"], ["9999999999999999999"], [2**63]]
)
def test_malformed_or_unknown_media_ids_are_400(auth_client, user, media_ids):
    response = post(auth_client(user), media_ids)
    assert response.status_code == 400
    assert {name.split(".")[0] for name in response.json()["fields"]} == {"media_ids"}
    assert not Tweet.objects.exists()


def test_bad_text_with_good_media_attaches_nothing(auth_client, user, settings):
    client = auth_client(user)
    media_id = upload(client)
    too_long = "x" * (settings.TWEET_MAX_LENGTH + 1)
    assert post(client, [media_id], text=too_long).status_code == 400
    assert MediaFile.objects.get().attached_at is None


def test_a_tweet_may_be_pictures_alone_but_not_nothing(auth_client, user):
    client = auth_client(user)
    media_id = upload(client)
    pictured = client.post(f"{API}/tweets", {"media_ids": [media_id]}, format="json")
    assert pictured.status_code == 201, pictured.content
    assert (pictured.json()["text"], len(pictured.json()["media"])) == ("", 1)
    blank = post(client, [], text=" \u200b ")
    assert blank.status_code == 400
    assert blank.json()["fields"]["text"][0]["detail"] == "A tweet needs text or a picture."
    assert Tweet.objects.count() == 1


def test_an_edit_may_leave_the_pictures_alone_but_not_take_both_off(auth_client, user):
    client = auth_client(user)
    media_id = upload(client)
    tweet_id = post(client, [media_id], text="caption").json()["id"]
    kept = client.patch(f"{API}/tweets/{tweet_id}", {"text": ""}, format="json")
    assert kept.status_code == 200, kept.content
    assert (kept.json()["text"], len(kept.json()["media"])) == ("", 1)
    emptied = client.patch(f"{API}/tweets/{tweet_id}", {"text": "", "media_ids": []}, format="json")
    assert emptied.status_code == 400
    assert len(client.get(f"{API}/tweets/{tweet_id}").json()["media"]) == 1


def test_deleting_a_tweet_deletes_its_media_files(
    auth_client, user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    client = auth_client(user)
    ids = [upload(client) for _ in range(2)]
    keys = [key for m in MediaFile.objects.all() for key in (m.file, m.preview)]
    tweet_id = post(client, ids).json()["id"]
    assert all((_media_in_tmp_dir / key).exists() for key in keys)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{API}/tweets/{tweet_id}").status_code == 204

    assert not MediaFile.objects.exists()
    assert not any((_media_in_tmp_dir / key).exists() for key in keys)


def test_posting_answers_the_tweet_as_reading_it_back_shows_it(auth_client, user):
    """The answer to a post is built from what the post wrote, not read back: it must be what a
    read of the tweet gives, with an avatar, pictures, a reply, a mention and a tag."""
    client = auth_client(user)
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    response = client.put(f"{API}/accounts/me/avatar", {"file": avatar}, format="multipart")
    assert response.status_code == 200
    other = UserFactory(username="minji")
    parent = client.post(f"{API}/tweets", {"text": "first"}, format="json").json()
    ids = [upload(client) for _ in range(2)]
    response = client.post(
        f"{API}/tweets",
        {"text": "@minji look #커피", "media_ids": ids, "in_reply_to": parent["id"]},
        format="json",
    )
    assert response.status_code == 201
    posted = response.json()
    assert [m["id"] for m in posted["media"]] == ids
    assert posted["mentions"][0]["id"] == str(other.pk)
    assert posted["author"]["avatar_url"]
    assert client.get(f"{API}/tweets/{posted['id']}").json() == posted
