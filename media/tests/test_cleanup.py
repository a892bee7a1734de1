"""The clean-up command and periodic task remove stale unattached uploads and uploads nothing
uses, and only those."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.testing.images import image_bytes
from media.models import MediaFile
from media.services import media_cleanup_unattached, media_create
from media.tasks import media_cleanup

pytestmark = pytest.mark.django_db


def stored_upload(user, *, hours_old: float, attached: bool = False) -> MediaFile:
    upload = SimpleUploadedFile("a.png", image_bytes("PNG"))
    media = media_create(owner=user, upload=upload, attached=attached)
    MediaFile.objects.filter(pk=media.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_old)
    )
    return media


def test_cleanup_removes_stale_unattached_uploads_and_their_files(
    user, _media_in_tmp_dir, capsys, django_capture_on_commit_callbacks
):
    stale = stored_upload(user, hours_old=25)
    fresh = stored_upload(user, hours_old=1)
    attached = stored_upload(user, hours_old=100, attached=True)
    type(user).objects.filter(pk=user.pk).update(avatar=attached)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_cleanup")

    assert set(MediaFile.objects.values_list("pk", flat=True)) == {fresh.pk, attached.pk}
    assert not (_media_in_tmp_dir / stale.file).exists()
    assert not (_media_in_tmp_dir / stale.preview).exists()
    assert (_media_in_tmp_dir / fresh.file).exists()
    assert "Removed 1 unused" in capsys.readouterr().out


def test_dry_run_removes_nothing(user, _media_in_tmp_dir, capsys):
    stale = stored_upload(user, hours_old=25)
    call_command("media_cleanup", "--dry-run")
    assert MediaFile.objects.filter(pk=stale.pk).exists()
    assert (_media_in_tmp_dir / stale.file).exists()
    assert f"would remove {stale.pk}" in capsys.readouterr().out


def test_grace_period_can_be_given(user):
    stored_upload(user, hours_old=3)
    call_command("media_cleanup", "--older-than-hours", "2")
    assert not MediaFile.objects.exists()


@pytest.mark.parametrize("hours", ["-1", "20000000", "99999999999999"])
def test_a_grace_period_out_of_range_is_refused(hours):
    with pytest.raises(CommandError, match="must be from 0 to"):
        call_command("media_cleanup", "--older-than-hours", hours, "--dry-run")


def test_cleanup_task_removes_stale_uploads_and_a_second_run_finds_nothing(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    stale = stored_upload(user, hours_old=25)
    fresh = stored_upload(user, hours_old=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert media_cleanup.delay().get() == 1
    assert media_cleanup.delay().get() == 0

    assert list(MediaFile.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (_media_in_tmp_dir / stale.file).exists()


def test_cleanup_runs_periodically_through_beat():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert media_cleanup.name in schedule


def test_cleanup_removes_uploads_marked_attached_that_nothing_uses(
    user, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    orphan = stored_upload(user, hours_old=25, attached=True)
    MediaFile.objects.filter(pk=orphan.pk).update(attached_at=timezone.now() - timedelta(hours=25))
    recent = stored_upload(user, hours_old=25, attached=True)  # attached just now: in use soon
    avatar = stored_upload(user, hours_old=25, attached=True)
    type(user).objects.filter(pk=user.pk).update(avatar=avatar)
    MediaFile.objects.filter(pk=avatar.pk).update(attached_at=timezone.now() - timedelta(hours=25))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_cleanup")

    assert set(MediaFile.objects.values_list("pk", flat=True)) == {recent.pk, avatar.pk}
    assert not (_media_in_tmp_dir / orphan.file).exists()


def test_cleanup_works_in_ranges_and_shows_its_progress(
    user, _media_in_tmp_dir, capsys, django_capture_on_commit_callbacks
):
    stale = [stored_upload(user, hours_old=25) for _ in range(3)]
    fresh = [stored_upload(user, hours_old=1) for _ in range(2)]
    calls = []

    removed = media_cleanup_unattached(
        older_than=timedelta(hours=24),
        dry_run=True,
        batch_size=2,
        progress=lambda *args: calls.append(args[:3]),
    )
    assert sorted(m.pk for m in removed) == sorted(m.pk for m in stale)
    assert calls == [("uploads", 2, 5), ("uploads", 4, 5), ("uploads", 5, 5)]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_cleanup")
    captured = capsys.readouterr()
    assert "Removed 3 unused uploads" in captured.out
    assert "uploads [" in captured.err and "100% 5/5 uploads, 3 unused" in captured.err
    assert set(MediaFile.objects.values_list("pk", flat=True)) == {m.pk for m in fresh}


def test_cleanup_task_is_retried_after_a_storage_error_and_then_removes_the_upload(
    user, _media_in_tmp_dir, monkeypatch
):
    stale = stored_upload(user, hours_old=25)
    delete = FileSystemStorage.delete
    failures = iter([OSError("store unreachable")])

    def delete_failing_once(storage, name):
        if (error := next(failures, None)) is not None:
            raise error
        delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", delete_failing_once)

    assert media_cleanup.apply(throw=False).get() == 1  # a retry runs again at once, eagerly

    assert not MediaFile.objects.filter(pk=stale.pk).exists()
    assert not (_media_in_tmp_dir / stale.file).exists()
    assert not (_media_in_tmp_dir / stale.preview).exists()


def test_cleanup_keeps_the_uploads_of_a_range_whose_objects_could_not_be_removed(
    user, _media_in_tmp_dir, monkeypatch
):
    stale = stored_upload(user, hours_old=25)

    def delete_failing(storage, name):
        raise ClientError({"Error": {"Code": "503"}}, "DeleteObject")

    monkeypatch.setattr(FileSystemStorage, "delete", delete_failing)

    with pytest.raises(CommandError, match="unavailable"):
        call_command("media_cleanup")

    assert MediaFile.objects.filter(pk=stale.pk).exists()
