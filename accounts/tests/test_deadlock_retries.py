"""An account's own changes are run again when PostgreSQL aborts them to break a deadlock: the
change is made once, as asked, and the answer is the change's, not a 503 (the cycles themselves:
``accounts/tests/test_races.py``, ``core/db/retries.py``)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services
from accounts.tests.factories import DEFAULT_PASSWORD
from core.db import retries
from core.testing import API
from core.testing.images import image_bytes
from core.testing.races import abort_call
from media.models import MediaFile

pytestmark = pytest.mark.django_db

ME_URL = f"{API}/accounts/me"
AVATAR_URL = f"{API}/accounts/me/avatar"
NEW_PASSWORD = "another-long-passphrase"


@pytest.fixture
def abort_next_account_lock(monkeypatch):
    """``abort_next_account_lock()``: the next lock of an account's row is aborted as by a
    deadlock, the ones after it are taken; returns the list of attempts, which grows with each."""
    monkeypatch.setattr(retries, "BACKOFF_SECONDS", 0)

    def arm() -> list:
        return abort_call(monkeypatch, services, "_account_lock")

    return arm


def avatar_file():
    return SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")


def test_a_profile_edit_aborted_by_a_deadlock_is_made_once_run_again(
    auth_client, user, abort_next_account_lock
):
    attempts = abort_next_account_lock()
    response = auth_client(user).patch(ME_URL, {"display_name": "  Again  "}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Again"
    assert len(attempts) == 2
    user.refresh_from_db()
    assert user.display_name == "Again"


def test_a_password_change_aborted_by_a_deadlock_checks_the_old_password_once(
    auth_client, api_client, user, abort_next_account_lock
):
    """The current password is checked before the transaction: an attempt run again does not
    check it against the new one the aborted attempt had set on the account."""
    attempts = abort_next_account_lock()
    response = auth_client(user).post(
        f"{ME_URL}/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert len(attempts) == 2
    login = api_client.post(
        f"{API}/auth/token", {"username": user.username, "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200


def test_a_new_avatar_aborted_by_a_deadlock_is_stored_once(
    auth_client, user, abort_next_account_lock
):
    attempts = abort_next_account_lock()
    response = auth_client(user).put(AVATAR_URL, {"file": avatar_file()}, format="multipart")
    assert response.status_code == 200
    assert len(attempts) == 2
    user.refresh_from_db()
    assert list(MediaFile.objects.values_list("pk", flat=True)) == [user.avatar_id]
    assert MediaFile.objects.get().attached_at is not None


def test_an_avatar_removal_aborted_by_a_deadlock_removes_it(
    auth_client, user, abort_next_account_lock
):
    client = auth_client(user)
    assert client.put(AVATAR_URL, {"file": avatar_file()}, format="multipart").status_code == 200
    attempts = abort_next_account_lock()
    assert client.delete(AVATAR_URL).status_code == 204
    assert len(attempts) == 2
    user.refresh_from_db()
    assert user.avatar_id is None
    assert not MediaFile.objects.exists()
