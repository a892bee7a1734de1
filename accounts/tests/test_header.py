"""Header images (the profile's banner): set, replace, delete, kept by the media clean-up, and
the API's ``accounts/me/header`` and ``accounts/{username}/header``."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.services import user_profile_change, user_profile_image_delete
from core.testing import API
from core.testing.images import PDF_BYTES, image_bytes
from media.models import MediaFile

pytestmark = pytest.mark.django_db


def upload(format: str = "PNG") -> SimpleUploadedFile:
    return SimpleUploadedFile("banner.png", image_bytes(format), content_type="image/png")


def test_setting_a_header_stores_it_as_attached_and_leaves_the_avatar_alone(user):
    user_profile_change(user=user, images={"avatar": upload()})
    avatar_id = user.avatar_id
    user_profile_change(user=user, images={"header": upload()})
    user.refresh_from_db()
    assert user.avatar_id == avatar_id
    assert user.header_id not in (None, avatar_id)
    assert user.header.attached_at is not None


def test_replacing_the_header_removes_the_old_one_and_its_files(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_profile_change(user=user, images={"header": upload()})
    first = user.header
    with django_capture_on_commit_callbacks(execute=True):
        user_profile_change(user=user, images={"header": upload("JPEG")})
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.header_id]
    assert not (_media_in_tmp_dir / first.file).exists()
    assert not (_media_in_tmp_dir / first.preview).exists()
    assert (_media_in_tmp_dir / user.header.file).exists()


def test_deleting_the_header_removes_it_and_keeps_the_avatar(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_profile_change(user=user, images={"avatar": upload()})
    user_profile_change(user=user, images={"header": upload()})
    header = user.header
    with django_capture_on_commit_callbacks(execute=True):
        user_profile_image_delete(user=user, field="header")
    user.refresh_from_db()
    assert (user.header_id, user.avatar_id) == (None, user.avatar.pk)
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.avatar_id]
    assert not (_media_in_tmp_dir / header.file).exists()
    user_profile_image_delete(user=user, field="header")  # nothing left to delete: still fine


def test_media_cleanup_keeps_a_header_long_after_it_was_attached(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_profile_change(user=user, images={"header": upload()})
    long_ago = timezone.now() - timedelta(days=30)
    MediaFile.objects.update(created_at=long_ago, attached_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_cleanup")
    user.refresh_from_db()
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.header_id]
    assert (_media_in_tmp_dir / user.header.file).exists()


# --- Through the API: accounts/me/header ---------------------------------------------------------
HEADER_URL = f"{API}/accounts/me/header"


def put_header(client, content: bytes):
    file = SimpleUploadedFile("banner.png", content, content_type="image/png")
    return client.put(HEADER_URL, {"file": file}, format="multipart")


def test_a_header_uploaded_through_the_api_shows_on_the_account_and_its_profile(
    auth_client, api_client, user
):
    response = put_header(auth_client(user), image_bytes("PNG"))
    assert response.status_code == 200
    body = response.json()
    assert body["header_url"].startswith("http://testserver/media/")
    assert body["header_preview_url"].startswith("http://testserver/media/")
    assert body["avatar_url"] is None
    profile = api_client.get(f"{API}/accounts/{user.username}").json()
    assert (profile["header_url"], profile["header_preview_url"]) == (
        body["header_url"],
        body["header_preview_url"],
    )
    assert auth_client(user).get(f"{API}/accounts/me").json()["header_url"] == body["header_url"]
    redirect = api_client.get(f"{API}/accounts/{user.username}/header")
    assert (redirect.status_code, redirect["Location"]) == (302, body["header_url"])


def test_deleting_the_header_through_the_api_removes_it(
    auth_client, api_client, user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    client = auth_client(user)
    assert put_header(client, image_bytes("PNG")).status_code == 200
    user.refresh_from_db()
    header = user.header
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(HEADER_URL).status_code == 204
    assert api_client.get(f"{API}/accounts/{user.username}").json()["header_url"] is None
    assert api_client.get(f"{API}/accounts/{user.username}/header").status_code == 404
    assert not MediaFile.objects.exists()
    assert not (_media_in_tmp_dir / header.file).exists()


def test_a_bad_header_is_400_and_keeps_the_old_one(auth_client, user):
    client = auth_client(user)
    assert put_header(client, image_bytes("PNG")).status_code == 200
    user.refresh_from_db()
    before = user.header_id
    response = put_header(client, PDF_BYTES)
    assert response.status_code == 400
    assert "file" in response.json()["fields"]
    user.refresh_from_db()
    assert user.header_id == before
    assert MediaFile.objects.count() == 1


def test_the_header_needs_login_and_an_unknown_account_has_none(api_client, user):
    assert put_header(api_client, image_bytes("PNG")).status_code == 401
    assert api_client.get(f"{API}/accounts/nobody_here/header").status_code == 404
    assert api_client.get(f"{API}/accounts/{user.username}/header").status_code == 404
