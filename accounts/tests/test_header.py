"""Header images (the profile's banner): set, replace, delete, and kept by the media clean-up."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.services import user_avatar_set, user_header_delete, user_header_set
from core.testing.images import image_bytes
from media.models import MediaFile

pytestmark = pytest.mark.django_db


def upload(format: str = "PNG") -> SimpleUploadedFile:
    return SimpleUploadedFile("banner.png", image_bytes(format), content_type="image/png")


def test_setting_a_header_stores_it_as_attached_and_leaves_the_avatar_alone(user):
    user_avatar_set(user=user, upload=upload())
    avatar_id = user.avatar_id
    user_header_set(user=user, upload=upload())
    user.refresh_from_db()
    assert user.avatar_id == avatar_id
    assert user.header_id not in (None, avatar_id)
    assert user.header.attached_at is not None


def test_replacing_the_header_removes_the_old_one_and_its_files(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_header_set(user=user, upload=upload())
    first = user.header
    with django_capture_on_commit_callbacks(execute=True):
        user_header_set(user=user, upload=upload("JPEG"))
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.header_id]
    assert not (_media_in_tmp_dir / first.file).exists()
    assert not (_media_in_tmp_dir / first.preview).exists()
    assert (_media_in_tmp_dir / user.header.file).exists()


def test_deleting_the_header_removes_it_and_keeps_the_avatar(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_avatar_set(user=user, upload=upload())
    user_header_set(user=user, upload=upload())
    header = user.header
    with django_capture_on_commit_callbacks(execute=True):
        user_header_delete(user=user)
    user.refresh_from_db()
    assert (user.header_id, user.avatar_id) == (None, user.avatar.pk)
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.avatar_id]
    assert not (_media_in_tmp_dir / header.file).exists()
    user_header_delete(user=user)  # nothing left to delete: still fine


def test_media_cleanup_keeps_a_header_long_after_it_was_attached(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user_header_set(user=user, upload=upload())
    long_ago = timezone.now() - timedelta(days=30)
    MediaFile.objects.update(created_at=long_ago, attached_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_cleanup")
    user.refresh_from_db()
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.header_id]
    assert (_media_in_tmp_dir / user.header.file).exists()
