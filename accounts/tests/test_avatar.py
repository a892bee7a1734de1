"""Profile pictures: upload, replace, delete, redirect."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.serializers import PrivateAccountSerializer
from core.testing import API
from core.testing.images import PDF_BYTES, image_bytes, jpeg_with_metadata
from media.models import MediaFile

pytestmark = pytest.mark.django_db

URL = f"{API}/accounts/me/avatar"


def put_avatar(client, content: bytes):
    file = SimpleUploadedFile("me.jpg", content, content_type="image/jpeg")
    return client.put(URL, {"file": file}, format="multipart")


def test_upload_avatar_shows_it_on_the_account_and_profile(auth_client, api_client, user):
    response = put_avatar(auth_client(user), jpeg_with_metadata())
    assert response.status_code == 200
    body = response.json()
    assert body["avatar_url"].startswith("http://testserver/media/")
    assert body["avatar_preview_url"].startswith("http://testserver/media/")
    assert body["email"] == user.email

    profile = api_client.get(f"{API}/accounts/{user.username}").json()
    assert profile["avatar_url"] == body["avatar_url"]
    redirect = api_client.get(f"{API}/accounts/{user.username}/avatar")
    assert redirect.status_code == 302
    assert redirect["Location"] == body["avatar_url"]


def test_replacing_avatar_removes_the_old_files(
    auth_client, user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    client = auth_client(user)
    put_avatar(client, jpeg_with_metadata())
    first = MediaFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        put_avatar(client, image_bytes("PNG"))
    assert not MediaFile.objects.filter(pk=first.pk).exists()
    assert not (_media_in_tmp_dir / first.file).exists()
    assert not (_media_in_tmp_dir / first.preview).exists()
    user.refresh_from_db()
    assert (_media_in_tmp_dir / user.avatar.file).exists()


def test_delete_avatar_removes_it(
    auth_client, api_client, user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    client = auth_client(user)
    put_avatar(client, jpeg_with_metadata())
    media = MediaFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(URL).status_code == 204
    assert not MediaFile.objects.exists()
    assert not (_media_in_tmp_dir / media.file).exists()
    assert api_client.get(f"{API}/accounts/{user.username}/avatar").status_code == 404
    assert client.delete(URL).status_code == 204  # nothing left to delete: still fine


def test_bad_avatar_is_400_and_keeps_the_old_one(auth_client, user):
    client = auth_client(user)
    put_avatar(client, jpeg_with_metadata())
    before = MediaFile.objects.get()
    response = put_avatar(client, PDF_BYTES)
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.avatar_id == before.pk
    assert MediaFile.objects.count() == 1


def test_avatar_redirect_of_unknown_or_pictureless_account_is_404(api_client, user):
    assert api_client.get(f"{API}/accounts/{user.username}/avatar").status_code == 404
    assert api_client.get(f"{API}/accounts/nobody_here/avatar").status_code == 404


def test_avatar_upload_needs_login(api_client):
    assert put_avatar(api_client, image_bytes("PNG")).status_code == 401


def test_account_whose_avatar_was_removed_meanwhile_shows_none(auth_client, user):
    """Found by schemathesis: PATCH accounts/me while another request replaced the avatar
    answered 500 (the loaded account pointed at a media row already deleted)."""
    put_avatar(auth_client(user), jpeg_with_metadata())
    user.refresh_from_db()
    stale = User.objects.get(pk=user.pk)  # loaded before the concurrent removal
    auth_client(user).delete(URL)
    data = PrivateAccountSerializer(stale).data
    assert data["avatar_url"] is None and data["avatar_preview_url"] is None
