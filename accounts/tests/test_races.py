"""Conflicting account writes at the same moment on PostgreSQL: logins, token refreshes, profile
pictures. No 500, exactly one winner where there can be only one, nothing orphaned."""

import threading
from functools import partial

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from accounts import services
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import RefreshToken
from core.testing import API
from core.testing.images import image_bytes
from core.testing.races import (
    deadlock_retries,
    lock_waits,
    pause_in,
    race,
    race_tests,
    run_while_held_until_done,
    statuses,
    wait_until,
)
from media.models import MediaFile
from media.services import media_unused_q

pytestmark = race_tests

User = get_user_model()
UPDATE_BIO = f"UPDATE {User._meta.db_table} SET bio = %s WHERE id = %s"


def test_one_refresh_token_used_at_once_yields_exactly_one_new_token(user):
    for _ in range(3):
        token = str(RefreshToken.for_user(user))
        done = race(
            *[
                partial(
                    APIClient().post, f"{API}/auth/token/refresh", {"refresh": token}, format="json"
                )
                for _ in range(12)
            ]
        )
        assert sorted(statuses(done)) == [200] + [401] * 11
        winner = next(response for response in done if response.status_code == 200)
        again = APIClient().post(
            f"{API}/auth/token/refresh", {"refresh": winner.json()["refresh"]}, format="json"
        )
        assert again.status_code == 200


def test_concurrent_avatar_changes_leave_one_picture_and_no_orphans(auth_client, user):
    def put():
        file = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
        return auth_client(user).put(
            f"{API}/accounts/me/avatar", {"file": file}, format="multipart"
        )

    remove = partial(auth_client(user).delete, f"{API}/accounts/me/avatar")
    for _ in range(3):
        done = race(put, put, put, remove, put, remove)
        assert set(statuses(done)) <= {200, 204}
        user.refresh_from_db()
        kept = set(MediaFile.objects.values_list("pk", flat=True))
        assert kept == ({user.avatar_id} if user.avatar_id else set())
        assert not MediaFile.objects.filter(media_unused_q(), attached_at__isnull=False).exists()


def test_a_login_waiting_in_a_deadlock_of_other_writes_is_run_again_and_succeeds(user):
    """Two writes deadlock over the account's row and another one, and the login waits on that
    row between them: PostgreSQL aborts the login, which waited longest (it holds the row's
    place in the queue that one of the two waits for). The login is run again and answers."""
    other = UserFactory()
    steps = {name: threading.Event() for name in ("first_locked", "second_locked", "close")}
    aborted = []

    def write(first, then, locked_event, wait_for=None):
        def body():
            try:
                with connection.cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.execute(
                        f"UPDATE {User._meta.db_table} SET bio = 'a' WHERE id = %s", [first]
                    )
                    locked_event.set()
                    if wait_for is not None:
                        assert wait_for.wait(10)
                    cursor.execute(
                        f"UPDATE {User._meta.db_table} SET bio = 'b' WHERE id = %s", [then]
                    )
                    cursor.execute("COMMIT")
            except OperationalError as exc:
                aborted.append(exc)
            finally:
                connection.close()

        return threading.Thread(target=body)

    login_response = []
    login = threading.Thread(
        target=lambda: (
            login_response.append(
                APIClient().post(
                    f"{API}/auth/token",
                    {"username": user.username, "password": DEFAULT_PASSWORD},
                    format="json",
                )
            ),
            connection.close(),
        )
    )
    holder = write(user.pk, other.pk, steps["first_locked"], wait_for=steps["close"])
    crosser = write(other.pk, user.pk, steps["second_locked"])
    retried_before = deadlock_retries()
    holder.start()
    assert steps["first_locked"].wait(10)
    login.start()
    # The login waits for the holder, first in the row's queue.
    wait_until(lambda: lock_waits() >= 1, every=0.01)
    crosser.start()
    # The crosser holds the other row and queues behind the login.
    wait_until(lambda: lock_waits() >= 2, every=0.01)
    steps["close"].set()  # the holder now waits for the crosser: a cycle through the login
    for thread in (holder, crosser, login):
        thread.join(30)

    assert login_response[0].status_code == 200, login_response[0].content
    assert set(login_response[0].json()) == {"access", "refresh"}
    assert deadlock_retries() == retried_before + 1
    assert len(aborted) == 1  # PostgreSQL broke the cycle left between the two writes too
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.outstandingtoken_set.count() == 1


def test_two_password_changes_with_the_same_current_password_at_once_accept_one(
    monkeypatch, auth_client, user
):
    """The first change checked the current password, then the second changed it: the first is
    refused, as it would be one after the other, and the password is the second's."""

    def change(new_password):
        answers[new_password] = auth_client(user).post(
            f"{API}/accounts/me/password",
            {"current_password": DEFAULT_PASSWORD, "new_password": new_password},
            format="json",
        )

    answers = {}
    paused, resume = pause_in(monkeypatch, services, "_check_current_password", first_only=True)
    failures = run_while_held_until_done(
        partial(change, "first-new-passphrase-1"),
        partial(change, "second-new-passphrase-2"),
        paused,
        resume,
    )
    assert failures == []
    assert answers["second-new-passphrase-2"].status_code == 204
    assert answers["first-new-passphrase-1"].status_code == 400
    user.refresh_from_db()
    assert user.check_password("second-new-passphrase-2")
