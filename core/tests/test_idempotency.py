"""Idempotency-Key on creating POSTs: a retried request is answered again, never done twice."""

import os
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from prometheus_client import REGISTRY

from core.db import retries
from core.models import IdempotencyKey
from core.testing import API
from core.testing.images import animated_gif, image_bytes
from core.testing.races import abort_call
from media.models import MediaFile
from tweets.models import Report, Tweet
from tweets.services import tweets as tweet_services
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def post_tweet(client, key, text="hello"):
    return client.post(f"{API}/tweets", {"text": text}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_replays_the_first_answer_and_creates_one_tweet(auth_client, user):
    client = auth_client(user)
    key = str(uuid.uuid4())
    first = post_tweet(client, key)
    second = post_tweet(client, key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Tweet.objects.count() == 1


def test_without_a_key_every_post_creates(auth_client, user):
    client = auth_client(user)
    for _ in range(2):
        client.post(f"{API}/tweets", {"text": "hello"}, format="json")
    assert Tweet.objects.count() == 2


def test_keys_are_per_user(auth_client, user):
    from accounts.tests.factories import UserFactory

    key = "shared-key"
    assert post_tweet(auth_client(user), key).status_code == 201
    assert post_tweet(auth_client(UserFactory()), key).status_code == 201
    assert Tweet.objects.count() == 2


def test_same_key_with_another_request_is_409(auth_client, user):
    client = auth_client(user)
    assert post_tweet(client, "k1", text="one").status_code == 201
    response = post_tweet(client, "k1", text="two")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Tweet.objects.count() == 1


def test_a_failed_request_keeps_no_key_so_a_retry_runs(auth_client, user):
    client = auth_client(user)
    bad = client.post(f"{API}/tweets", {"text": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_malformed_key_is_400(auth_client, user, key):
    response = post_tweet(auth_client(user), key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not Tweet.objects.exists()


def test_uploads_and_reports_honour_the_key_too(auth_client, user):
    client = auth_client(user)
    picture = image_bytes("PNG")
    for _ in range(2):
        response = client.post(
            f"{API}/media",
            {"file": SimpleUploadedFile("a.png", picture, content_type="image/png")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )
        assert response.status_code == 201
    assert MediaFile.objects.count() == 1
    tweet = TweetFactory()
    for _ in range(2):
        client.post(
            f"{API}/reports",
            {"tweet": str(tweet.id), "reason": "spam"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="report-1",
        )
    assert Report.objects.count() == 1


@pytest.fixture
def abort_once(monkeypatch):
    """``abort_once(owner, name, at=1)``: the ``at``-th call of ``owner.name`` from now is aborted
    as by a deadlock, the others run; returns the list of calls, which grows with each."""
    monkeypatch.setattr(retries, "BACKOFF_SECONDS", 0)

    def arm(owner, name, at: int = 1) -> list:
        return abort_call(monkeypatch, owner, name, at=at)

    return arm


def test_a_keyed_post_aborted_by_a_deadlock_is_run_again_and_made_once(
    auth_client, user, abort_once
):
    """The key's transaction is the outermost: the post's own retry cannot run inside it, so the
    key and the post are run again together (before, the client got a 503)."""
    calls = abort_once(tweet_services, "timeline_fan_out")
    client = auth_client(user)
    first = post_tweet(client, "deadlocked")
    assert first.status_code == 201
    assert len(calls) == 2
    assert list(Tweet.objects.values_list("pk", flat=True)) == [int(first.json()["id"])]
    again = post_tweet(client, "deadlocked")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Tweet.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "url"),
    [
        ("a.png", image_bytes("PNG"), f"{API}/media"),
        ("a.jpg", image_bytes("JPEG"), f"{API}/media"),
        # Pillow closes the file a GIF was read from when the image is closed.
        ("a.gif", image_bytes("GIF", mode="P"), f"{API}/media"),
        ("moving.gif", animated_gif(), f"{API}/media"),
        ("a.gif", image_bytes("GIF", mode="P"), "/api/v2/media"),
    ],
    ids=["png", "jpeg", "gif", "animated-gif", "mastodon-gif"],
)
def test_a_keyed_upload_aborted_by_a_deadlock_is_stored_once_run_again(
    auth_client,
    user,
    abort_once,
    django_capture_on_commit_callbacks,
    _media_in_tmp_dir,
    name,
    content,
    url,
):
    uploads_before = REGISTRY.get_sample_value("minitter_uploads_total") or 0
    # The key is saved twice in an attempt: claimed, then with the answer once the upload was
    # read and stored. The second is aborted.
    calls = abort_once(IdempotencyKey, "save", at=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(user).post(
            url,
            {"file": SimpleUploadedFile(name, content, content_type="image/gif")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-deadlocked",
        )
    assert response.status_code in (200, 201), response.content
    assert len(calls) == 4
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [int(response.json()["id"])]
    assert IdempotencyKey.objects.get().status == response.status_code
    assert REGISTRY.get_sample_value("minitter_uploads_total") == uploads_before + 1
    # The aborted attempt's files went with its rows: the store holds the upload's two.
    stored = {
        path.relative_to(_media_in_tmp_dir).as_posix() for path in _media_in_tmp_dir.rglob("*.*")
    }
    media = MediaFile.objects.get()
    assert stored == {media.file, media.preview}


def test_a_keyed_mastodon_status_aborted_by_a_deadlock_is_posted_once(
    auth_client, user, abort_once
):
    calls = abort_once(tweet_services, "timeline_fan_out")
    response = auth_client(user).post(
        "/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1"
    )
    assert response.status_code == 200
    assert len(calls) == 2
    assert list(Tweet.objects.values_list("text", flat=True)) == ["once"]


def test_expired_keys_are_forgotten(auth_client, user, settings):
    client = auth_client(user)
    assert post_tweet(client, "old").status_code == 201
    settings.IDEMPOTENCY_KEY_HOURS = 0
    assert post_tweet(client, "old").status_code == 201
    assert Tweet.objects.count() == 2


def test_the_schema_documents_the_header_on_creating_posts(api_client):
    schema = api_client.get(f"{API}/schema/?format=json").json()
    operation = schema["paths"]["/api/minitter/v1/tweets"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "409" in operation["responses"]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent transactions need PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps migration data
def test_concurrent_duplicates_create_one_tweet(auth_client, user):
    client_count = 6
    barrier = threading.Barrier(client_count)
    statuses = []

    def send():
        client = auth_client(user)
        barrier.wait()
        statuses.append(post_tweet(client, "race").status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(client_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * client_count
    assert Tweet.objects.count() == 1
