"""Profiles kept in the cache by username (accounts/cache.py ``PROFILE_ACCOUNTS``): a profile read
before reads no account row, and whatever changes the account, or the name, is seen on the next
read. Writes on a profile (follow, block, mute) read the database."""

from urllib.parse import quote

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from accounts.tests.test_avatar import put_avatar
from core.testing import API
from core.testing.images import jpeg_with_metadata
from tweets import services
from tweets.services.accounts import account_delete

pytestmark = pytest.mark.django_db


def profile_url(username: str) -> str:
    return f"{API}/accounts/{username}"


def profile(client, username: str):
    return client.get(profile_url(username))


def primed(client, username: str) -> dict:
    """The profile, read twice: the first read learns the account's row, the second keeps it."""
    profile(client, username)
    response = profile(client, username)
    assert response.status_code == 200
    return response.json()


def looks_up_by_name(queries) -> bool:
    return any('LOWER("accounts_user"."username")' in q["sql"] for q in queries.captured_queries)


def test_a_profile_read_before_reads_no_account_row(api_client):
    account = UserFactory(username="Kept_Name")
    primed(api_client, "kept_name")
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = profile(api_client, "KEPT_NAME")  # any letter case finds the same copy
    assert response.status_code == 200
    assert response.json()["id"] == str(account.pk)
    assert not looks_up_by_name(queries)


def test_a_profile_change_and_a_new_picture_are_seen_at_once(api_client, auth_client):
    account = UserFactory()
    primed(api_client, account.username)
    account_services.user_update_profile(user=account, display_name="Renamed Display")
    assert profile(api_client, account.username).json()["display_name"] == "Renamed Display"
    assert put_avatar(auth_client(account), jpeg_with_metadata()).status_code == 200
    assert profile(api_client, account.username).json()["avatar_url"]


def test_a_new_follower_is_counted_at_once(api_client):
    account, fan = UserFactory.create_batch(2)
    assert primed(api_client, account.username)["followers_count"] == 0
    services.follow_create(follower=fan, followee=account)
    assert profile(api_client, account.username).json()["followers_count"] == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda user: account_services.user_set_suspended(user=user, suspended=True),
        lambda user: account_services.user_set_active(user=user, active=False),
        lambda user: account_delete(account=user),
    ],
    ids=["suspended", "deactivated", "deleted"],
)
def test_a_kept_profile_that_is_gone_is_not_found_at_once(api_client, change):
    account = UserFactory()
    primed(api_client, account.username)
    change(account)
    assert profile(api_client, account.username).status_code == 404


def test_a_name_given_up_and_taken_by_another_account_finds_the_new_one(api_client):
    first = UserFactory(username="wanted")
    primed(api_client, "wanted")
    first.username = "given_up"
    first.save()  # as the admin renames: every save renews the account's stamp
    assert profile(api_client, "wanted").status_code == 404
    second = UserFactory(username="wanted", email="second@example.com")
    assert primed(api_client, "wanted")["id"] == str(second.pk)
    assert profile(api_client, "given_up").json()["id"] == str(first.pk)
    profile(api_client, "wanted")  # the new owner's copy is kept from here, the old one dropped
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert profile(api_client, "wanted").json()["id"] == str(second.pk)
    assert not looks_up_by_name(queries)


def test_mastodon_lookup_is_served_from_the_kept_profile(api_client):
    account = UserFactory()
    for _ in range(2):
        api_client.get("/api/v1/accounts/lookup", {"acct": account.username})
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = api_client.get("/api/v1/accounts/lookup", {"acct": f"@{account.username}"})
    assert response.status_code == 200
    assert response.json()["id"] == str(account.pk)
    assert not looks_up_by_name(queries)


@pytest.mark.parametrize(
    "name", ["x" * 5000, "a b", "kate\n", "\u212aate", "ab", "Émile"], ids=repr
)
def test_a_name_no_account_can_have_is_not_found_without_a_query(api_client, name):
    """Only names an account can have reach the database or the cache's keys (the Kelvin sign
    would lower-case to a "k")."""
    UserFactory(username="kate")
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = api_client.get("/api/v1/accounts/lookup", {"acct": name})
        avatar = api_client.get(f"{API}/accounts/{quote(name, safe='')}/avatar")
    assert (response.status_code, avatar.status_code) == (404, 404)
    assert not looks_up_by_name(queries)


def test_kept_profiles_hold_no_email_address(api_client, redis_cache_server):
    account = UserFactory()
    primed(api_client, account.username)
    kept = redis_cache_server.keys("*account:profile:*")
    assert kept
    for key in kept:
        assert account.email.encode() not in redis_cache_server.get(key)
        assert account.password.encode() not in redis_cache_server.get(key)


@pytest.mark.parametrize(
    "read",
    [
        lambda client, account: client.get(f"{API}/accounts/{account.username}/avatar"),
        lambda client, account: client.get(f"{API}/tweets", {"author": account.username}),
    ],
    ids=["avatar redirect", "search by author"],
)
def test_other_reads_by_name_use_the_kept_profile(api_client, read):
    account = UserFactory()
    for _ in range(2):
        read(api_client, account)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = read(api_client, account)
    assert response.status_code in (200, 404)  # no avatar: 404, as before
    assert not looks_up_by_name(queries)


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_a_write_on_a_profile_reads_the_account_from_the_database(auth_client, action):
    reader, account = UserFactory.create_batch(2)
    client = auth_client(reader)
    primed(client, account.username)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.post(f"{profile_url(account.username)}/{action}")
    assert response.status_code in (200, 201)
    assert looks_up_by_name(queries)
