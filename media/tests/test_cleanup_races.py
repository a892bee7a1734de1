"""``media_cleanup`` while an upload is being attached, on PostgreSQL: an upload attached while
the clean-up waited for its row is kept, even with no grace period."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing import API
from core.testing.images import image_bytes
from core.testing.races import pause_in, race_tests, run_while_held
from media.models import MediaFile
from media.services import media_cleanup_unattached
from tweets.models import TweetMedia
from tweets.services import tweets as tweet_services

pytestmark = race_tests


def test_an_upload_attached_while_the_clean_up_waits_for_it_is_kept(monkeypatch, auth_client):
    """The tweet holds the upload's row (claimed, not yet committed) when the clean-up, with no
    grace period, locks its candidates: it waits, and then finds the upload in use."""
    client = auth_client(UserFactory())
    upload = client.post(
        f"{API}/media",
        {"file": SimpleUploadedFile("a.png", image_bytes("PNG"), content_type="image/png")},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    media_id = int(upload.json()["id"])
    answers = {}
    paused, resume = pause_in(monkeypatch, tweet_services, "timeline_fan_out", before=True)

    def post():
        answers["post"] = client.post(
            f"{API}/tweets", {"text": "with a picture", "media_ids": [str(media_id)]}, format="json"
        )

    def clean_up():
        answers["removed"] = media_cleanup_unattached(older_than=timedelta(0))

    assert run_while_held(post, clean_up, paused, resume) == []
    assert answers["post"].status_code == 201
    assert answers["removed"] == []
    assert MediaFile.objects.filter(pk=media_id).exists()
    assert TweetMedia.objects.filter(media_id=media_id).exists()
