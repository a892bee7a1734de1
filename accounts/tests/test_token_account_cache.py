"""The accounts that access tokens name, kept in the cache (accounts/cache.py): a request after the
first reads no account row, and whatever changes the account is seen by the next request."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import services
from accounts.cache import TOKEN_ACCOUNTS, token_user_id_is_the_key
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tokens import AccessToken
from accounts.views import AccountViewSet
from core import copies, stamps
from core.testing import API

pytestmark = pytest.mark.django_db

User = get_user_model()

ME_URL = f"{API}/accounts/me"
PASSWORD_URL = f"{API}/accounts/me/password"


def reads_accounts(queries) -> bool:
    return any('FROM "accounts_user"' in query["sql"] for query in queries.captured_queries)


def test_a_request_after_the_first_reads_no_account_row(auth_client, user):
    client = auth_client(user)
    client.get(ME_URL)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert not reads_accounts(queries)


def test_a_profile_change_is_seen_by_the_next_request(auth_client, user):
    client = auth_client(user)
    client.get(ME_URL)
    services.user_update_profile(user=user, display_name="Someone Else")
    assert client.get(ME_URL).json()["display_name"] == "Someone Else"


@pytest.mark.parametrize(
    "change",
    [
        lambda user: services.user_set_suspended(user=user, suspended=True),
        lambda user: services.user_set_active(user=user, active=False),
    ],
    ids=["suspended", "deactivated"],
)
def test_a_kept_account_that_can_no_longer_be_used_is_refused_at_once(auth_client, user, change):
    client = auth_client(user)
    assert client.get(ME_URL).status_code == 200
    change(user)
    assert client.get(ME_URL).status_code == 401


def test_a_new_password_voids_tokens_whose_account_is_kept(api_client, user):
    tokens = api_client.post(
        f"{API}/auth/token", {"username": user.username, "password": DEFAULT_PASSWORD}
    ).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get(ME_URL).status_code == 200  # the account is kept from here
    response = client.post(
        PASSWORD_URL,
        {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
        format="json",
    )
    assert response.status_code == 204  # checked against the hash read from the database
    assert client.get(ME_URL).status_code == 401
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase")


def test_kept_accounts_hold_no_password_hash(auth_client, user, redis_cache_server):
    client = auth_client(user)
    client.get(ME_URL)
    kept = redis_cache_server.keys("*account:token:*")
    assert kept
    for key in kept:
        assert user.password.encode() not in redis_cache_server.get(key)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert client.get(ME_URL).status_code == 200
    assert not reads_accounts(queries)


def test_kept_accounts_live_at_most_thirty_seconds(auth_client, user, redis_cache_server):
    """Should Redis refuse a renewal, a suspension or a new password goes unseen at most this
    long (access tokens live five minutes)."""
    auth_client(user).get(ME_URL)
    kept = redis_cache_server.keys("*account:token:*")
    assert kept
    assert all(0 < redis_cache_server.ttl(key) <= 30 for key in kept)


def test_tokens_naming_no_account_or_an_old_password_are_refused(user):
    access = AccessToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get(ME_URL).status_code == 200
    user.set_password("another-long-passphrase")
    user.save()
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "password_changed"

    nobody = AccessToken.for_user(user)
    nobody["user_id"] = 987654321
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {nobody}")
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"

    del nobody["user_id"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {nobody}")
    assert client.get(ME_URL).status_code == 401


@pytest.mark.parametrize(("field", "errors"), [("id", 0), ("pk", 0), ("email", 1)])
def test_tokens_must_name_accounts_by_primary_key(monkeypatch, field, errors):
    """Stamps are renewed by primary key: a token naming its account otherwise is refused."""
    monkeypatch.setattr(jwt_settings, "USER_ID_FIELD", field)
    assert len(token_user_id_is_the_key()) == errors


def test_a_write_reads_its_account_row(auth_client, user):
    """A write is about to change its account most of the time (its counts): it reads the row
    rather than a copy that its own write would leave out."""
    client = auth_client(user)
    client.get(ME_URL)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.patch(ME_URL, {"display_name": "Written"}, format="json")
    assert response.status_code == 200
    assert reads_accounts(queries)
    assert client.get(ME_URL).json()["display_name"] == "Written"


def test_a_held_account_out_of_date_takes_the_kept_one_in_the_same_round_trip(user, monkeypatch):
    """Where a copy's rows are known beforehand (the token's account: its own row), the held
    copy, its shared copy and their stamps come in one round trip, current or not."""
    reads = []

    def read(pks):
        reads.append(pks)
        return {user.pk: User.objects.get(pk=user.pk)}

    for _ in range(2):
        TOKEN_ACCOUNTS.get_many([user.pk], read)
    out_of_date = TOKEN_ACCOUNTS.held.get_many([user.pk])[user.pk]
    stamps.renew_all_now()  # as a change of the account renews it
    TOKEN_ACCOUNTS.held.clear()
    TOKEN_ACCOUNTS.get_many([user.pk], read)  # another process reads and keeps it anew
    TOKEN_ACCOUNTS.held.put(user.pk, out_of_date)
    round_trips, real = [], copies.bytes_get_many
    counted = lambda keys: round_trips.append(keys) or real(keys)  # noqa: E731
    monkeypatch.setattr(copies, "bytes_get_many", counted)
    reads.clear()
    assert TOKEN_ACCOUNTS.get_many([user.pk], read)[user.pk].username == user.username
    assert reads == []
    assert len(round_trips) == 1


# --- Safe requests check their held account with their first round trip (core.copies) -----------
def run_again() -> float:
    return REGISTRY.get_sample_value("minitter_cache_requests_run_again_total") or 0.0


@pytest.fixture
def round_trips(monkeypatch) -> list[list[str]]:
    calls, real = [], copies.bytes_get_many
    monkeypatch.setattr(copies, "bytes_get_many", lambda keys: calls.append(keys) or real(keys))
    return calls


def test_a_request_without_copies_of_its_own_checks_its_account_at_its_end(
    auth_client, user, round_trips
):
    client = auth_client(user)
    client.get(ME_URL)
    round_trips.clear()
    assert client.get(ME_URL).json()["username"] == user.username
    assert round_trips == [[stamps.EPOCH_KEY, stamps.key(User, user.pk)]]


@pytest.fixture
def names_seen(monkeypatch) -> list[str]:
    """The display names of the account each run of ``GET accounts/me`` was served."""
    seen, real = [], AccountViewSet.me

    def me(view, request):
        seen.append(request.user.display_name)
        return real(view, request)

    monkeypatch.setattr(AccountViewSet, "me", me)
    return seen


def test_a_request_served_an_account_that_had_changed_runs_again_before_it_answers(
    auth_client, user, names_seen
):
    client = auth_client(user)
    client.get(ME_URL)
    name_before = user.display_name
    services.user_update_profile(user=user, display_name="Changed Meanwhile")
    names_seen.clear()
    before = run_again()
    assert client.get(ME_URL).json()["display_name"] == "Changed Meanwhile"
    assert names_seen == [name_before, "Changed Meanwhile"]  # the first answer was thrown away
    assert run_again() == before + 1


def test_an_account_that_cannot_be_checked_is_read_from_the_database(
    auth_client, user, monkeypatch
):
    client = auth_client(user)
    client.get(ME_URL)

    def unreachable(keys):
        raise RedisConnectionError("the cache is down")

    monkeypatch.setattr(copies, "bytes_get_many", unreachable)
    before = run_again()
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert reads_accounts(queries)
    assert run_again() == before + 1


def test_a_view_that_fails_on_an_account_deleted_meanwhile_is_refused_not_a_500(
    auth_client, user, caplog
):
    client = auth_client(user)
    client.get(ME_URL)
    user.delete()
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_a_read_with_a_body_checks_its_account_before_the_view(auth_client, user, names_seen):
    """Its body could not be read a second time."""
    client = auth_client(user)
    client.get(ME_URL)
    services.user_update_profile(user=user, display_name="Changed Meanwhile")
    names_seen.clear()
    response = client.generic("GET", ME_URL, b"{}", content_type="application/json")
    assert response.json()["display_name"] == "Changed Meanwhile"
    assert names_seen == ["Changed Meanwhile"]
