"""Apps' OAuth tokens kept in the cache (accounts/cache.py ``OAUTH_TOKENS``): a request after the
first reads no token or account row, and whatever voids a token (a revocation, a refresh, a
suspension, a new password, a deleted app or account, an expiry, a narrower scope) is seen by the
next request."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_application_model
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API
from mastodon_api.tests.test_oauth import password_grant, register, token_request

pytestmark = pytest.mark.django_db

User = get_user_model()
Application = get_application_model()

CREDENTIALS_URL = "/api/v1/accounts/verify_credentials"


def reads_tokens(queries) -> bool:
    return any("oauth2_provider_accesstoken" in q["sql"] for q in queries.captured_queries)


def reads_accounts(queries) -> bool:
    return any('FROM "accounts_user"' in q["sql"] for q in queries.captured_queries)


@pytest.fixture(params=["in-process cache", "redis"])
def any_cache(request):
    """The test settings' in-process cache, then a real Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache_server")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def primed(client) -> None:
    """Two requests: the first learns the token's rows, the second keeps its copy."""
    for _ in range(2):
        assert client.get(CREDENTIALS_URL).status_code == 200


def test_a_request_after_the_first_reads_no_token_row(oauth_client, user):
    client = oauth_client(user)
    primed(client)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        response = client.get(CREDENTIALS_URL)
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert not reads_tokens(queries)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert client.get("/api/v1/timelines/home").status_code == 200
    assert not reads_tokens(queries)
    assert not reads_accounts(queries)  # the account is kept with its token
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert client.get(f"{API}/accounts/me").status_code == 200  # the project's own API too
    assert not reads_tokens(queries)
    assert not reads_accounts(queries)


def test_a_revoked_token_is_refused_at_once(any_cache):
    app = register().json()
    token = password_grant(UserFactory(), app)["access_token"]
    client = bearer(token)
    primed(client)
    revoked = APIClient().post(
        "/oauth/revoke",
        {"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert revoked.status_code == 200
    response = client.get(CREDENTIALS_URL)
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_revoking_a_refresh_token_refuses_its_access_token_at_once(any_cache):
    app = register().json()
    tokens = password_grant(UserFactory(), app)
    client = bearer(tokens["access_token"])
    primed(client)
    revoked = APIClient().post(
        "/oauth/revoke",
        {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "token": tokens["refresh_token"],
        },
    )
    assert revoked.status_code == 200
    assert client.get(CREDENTIALS_URL).status_code == 401


def test_a_refreshed_token_refuses_the_old_one_and_a_replay_refuses_both(any_cache):
    app = register().json()
    old = password_grant(UserFactory(), app)
    old_client = bearer(old["access_token"])
    primed(old_client)

    def refresh():
        return token_request(
            grant_type="refresh_token",
            refresh_token=old["refresh_token"],
            client_id=app["client_id"],
            client_secret=app["client_secret"],
        )

    refreshed = refresh()
    assert refreshed.status_code == 200, refreshed.content
    assert old_client.get(CREDENTIALS_URL).status_code == 401
    new_client = bearer(refreshed.json()["access_token"])
    primed(new_client)
    assert refresh().status_code == 400  # a replayed refresh token revokes its family
    assert new_client.get(CREDENTIALS_URL).status_code == 401


def test_an_apps_own_token_is_refused_once_the_app_is_deleted(any_cache):
    app = register().json()
    token = token_request(
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    ).json()["access_token"]
    client = bearer(token)
    for _ in range(2):
        assert client.get("/api/v1/apps/verify_credentials").status_code == 200
    Application.objects.filter(client_id=app["client_id"]).delete()
    assert client.get("/api/v1/apps/verify_credentials").status_code == 401


@pytest.mark.parametrize(
    "void",
    [
        lambda token: account_services.user_set_suspended(user=token.user, suspended=True),
        lambda token: account_services.user_set_active(user=token.user, active=False),
        lambda token: account_services.user_change_password(
            user=token.user, current_password=DEFAULT_PASSWORD, new_password="a-new-long-phrase"
        ),
        lambda token: token.application.delete(),
        lambda token: token.delete(),
        lambda token: User.objects.filter(pk=token.user_id).delete(),
    ],
    ids=["suspended", "deactivated", "new password", "app deleted", "token deleted", "deleted"],
)
def test_a_kept_token_that_can_no_longer_be_used_is_refused_at_once(oauth_client, user, void):
    client = oauth_client(user)
    primed(client)
    void(client.token)
    assert client.get(CREDENTIALS_URL).status_code == 401


def test_an_expired_token_is_refused_though_kept(oauth_client, user, monkeypatch):
    client = oauth_client(user)
    primed(client)
    later = timezone.now() + timedelta(days=2)  # the token lives one day
    monkeypatch.setattr("oauth2_provider.models.timezone.now", lambda: later)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert client.get(CREDENTIALS_URL).status_code == 401
    assert not reads_tokens(queries)  # refused by the copy's own expiry


def test_a_renamed_app_is_seen_at_once(oauth_client, mastodon_app, user):
    client = oauth_client(user)
    primed(client)
    mastodon_app.name = "Renamed client"
    mastodon_app.save()
    assert client.get("/api/v1/apps/verify_credentials").json()["name"] == "Renamed client"


def test_a_narrower_scope_is_seen_at_once(oauth_client, user):
    client = oauth_client(user, scopes="read write")
    primed(client)
    client.token.scope = "write"
    client.token.save()
    assert client.get(CREDENTIALS_URL).status_code == 403


@pytest.mark.parametrize("token", ["x" * 10_000, "é\x00\x7f", "a b", "a.b"])
def test_a_hostile_bearer_string_is_refused(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(CREDENTIALS_URL).status_code == 401


def test_a_token_that_never_existed_is_refused_and_kept_nowhere(redis_cache_server):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer no-such-token")
    for _ in range(3):
        assert client.get(CREDENTIALS_URL).status_code == 401
    assert not [key for key in redis_cache_server.keys("*oauth:token:*") if b":rows:" not in key]


def test_kept_tokens_hold_no_secret(oauth_client, mastodon_app, user, redis_cache_server):
    client = oauth_client(user)
    primed(client)
    kept = [key for key in redis_cache_server.keys("*oauth:token:*") if b":rows:" not in key]
    assert len(kept) == 1
    value = redis_cache_server.get(kept[0])
    user.refresh_from_db()
    mastodon_app.refresh_from_db()
    for secret in (client.token.token, mastodon_app.client_secret, user.password):
        assert secret.encode() not in value
    assert mastodon_app.client_id.encode() in value  # the copy is the one searched
