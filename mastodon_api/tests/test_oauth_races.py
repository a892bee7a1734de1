"""The OAuth server under requests at the same moment, on PostgreSQL: logins and refreshes racing a
password change or a revocation, and one code or refresh token used by several requests at once.
Every write of a code or token holds the account's row and checks again what it validated before
(``MastodonOAuth2Validator``): no 500, one winner, and no token outlives a change that was
acknowledged before it was issued."""

from functools import partial
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API
from core.testing.races import (
    pause_in,
    race,
    race_tests,
    run_while_held,
    run_while_held_until_done,
)
from mastodon_api import oauth
from mastodon_api.oauth import MastodonOAuth2Validator
from mastodon_api.tests.test_oauth import CALLBACK, authorize_url, login_and_approve, register

pytestmark = race_tests

NEW_PASSWORD = "a-new-long-passphrase-9"
ME = "/api/v1/accounts/verify_credentials"


@pytest.fixture
def app():
    return register().json()


def token_request(app, **fields):
    response = APIClient().post(
        "/oauth/token",
        {"client_id": app["client_id"], "client_secret": app["client_secret"], **fields},
    )
    return response


def password_login(app, user, password=DEFAULT_PASSWORD):
    return token_request(
        app, grant_type="password", username=user.username, password=password, scope="read write"
    )


def assert_invalid_grant(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"


def works(access_token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client.get(ME).status_code == 200


def change_password(auth_client, user):
    response = auth_client(user).post(
        f"{API}/accounts/me/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204, response.content
    return response


def approved_code(app, user) -> str:
    answer = login_and_approve(Client(), authorize_url(app), user.username)
    return parse_qs(urlsplit(answer["Location"]).query)["code"][0]


def exchange(app, code):
    return token_request(app, grant_type="authorization_code", code=code, redirect_uri=CALLBACK)


def held_while(monkeypatch, owner, name: str, held, other, *, other_waits=False) -> None:
    """Run ``held`` until ``owner.name`` has returned, then ``other`` to its end, then the rest of
    ``held``; with ``other_waits`` (``other`` waits for a lock ``held`` holds), ``held`` goes on
    half a second after ``other`` started."""
    paused, resume = pause_in(monkeypatch, owner, name, first_only=True)
    run = run_while_held if other_waits else run_while_held_until_done
    assert run(held, other, paused, resume) == []


def test_a_password_login_checked_before_a_password_change_gets_no_token(
    monkeypatch, app, auth_client
):
    user, answers = UserFactory(), {}
    held_while(
        monkeypatch,
        MastodonOAuth2Validator,
        "validate_user",
        lambda: answers.update(login=password_login(app, user)),
        partial(change_password, auth_client, user),
    )
    assert_invalid_grant(answers["login"])
    assert not AccessToken.objects.filter(user=user).exists()


def test_a_password_login_goes_on_when_only_the_hash_was_renewed_meanwhile(monkeypatch, app):
    """Another login upgraded the hash (same password, new salt) after this one checked it."""
    user, answers = UserFactory(), {}

    def renew_hash():
        user.set_password(DEFAULT_PASSWORD)
        user.save(update_fields=["password"])

    held_while(
        monkeypatch,
        MastodonOAuth2Validator,
        "validate_user",
        lambda: answers.update(login=password_login(app, user)),
        renew_hash,
    )
    assert answers["login"].status_code == 200
    assert works(answers["login"].json()["access_token"])


def test_a_password_change_waits_for_a_login_holding_the_account_and_then_revokes_its_token(
    monkeypatch, app, auth_client
):
    user, answers = UserFactory(), {}
    held_while(
        monkeypatch,
        oauth,
        "account_lock_for_tokens",
        lambda: answers.update(login=password_login(app, user)),
        partial(change_password, auth_client, user),
        other_waits=True,
    )
    assert answers["login"].status_code == 200
    assert not works(answers["login"].json()["access_token"])
    assert not AccessToken.objects.filter(user=user).exists()


def test_a_code_approved_with_the_password_being_changed_is_not_issued(
    monkeypatch, app, auth_client
):
    user, answers = UserFactory(), {}
    held_while(
        monkeypatch,
        oauth,
        "authenticate",
        lambda: answers.update(
            approve=login_and_approve(Client(), authorize_url(app), user.username)
        ),
        partial(change_password, auth_client, user),
    )
    location = answers["approve"]["Location"]
    assert location.startswith(CALLBACK)
    assert parse_qs(urlsplit(location).query)["error"] == ["access_denied"]
    assert not Grant.objects.filter(user=user).exists()


def test_one_code_exchanged_by_several_requests_at_once_gives_one_token(app):
    for _ in range(3):
        user = UserFactory()
        code = approved_code(app, user)
        answers = race(*[partial(exchange, app, code) for _ in range(4)])
        assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400]
        winner = next(answer for answer in answers if answer.status_code == 200)
        assert works(winner.json()["access_token"])
        assert AccessToken.objects.filter(user=user).count() == 1
        assert RefreshToken.objects.filter(user=user).count() == 1


def test_a_code_exchanged_by_another_request_meanwhile_is_invalid_grant_not_a_500(monkeypatch, app):
    code, answers = approved_code(app, UserFactory()), {}
    held_while(
        monkeypatch,
        MastodonOAuth2Validator,
        "validate_code",
        lambda: answers.update(held=exchange(app, code)),
        lambda: answers.update(other=exchange(app, code)),
    )
    assert answers["other"].status_code == 200
    assert_invalid_grant(answers["held"])


def refresh(app, refresh_token):
    return token_request(app, grant_type="refresh_token", refresh_token=refresh_token)


def test_one_refresh_token_refreshed_at_once_gives_one_new_pair(app):
    """One 200; the others are refused. A refresh that arrives after the winner's has rotated the
    token is a replay, and the toolkit's reuse protection then revokes the new pair too
    (``REFRESH_TOKEN_REUSE_PROTECTION``): at most one pair is left working, never two."""
    for _ in range(3):
        user = UserFactory()
        tokens = password_login(app, user).json()
        answers = race(*[partial(refresh, app, tokens["refresh_token"]) for _ in range(4)])
        assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400]
        assert {answer.json()["error"] for answer in answers if answer.status_code == 400} == {
            "invalid_grant"
        }
        assert AccessToken.objects.filter(user=user).count() <= 1
        assert RefreshToken.objects.filter(user=user, revoked__isnull=True).count() <= 1


def test_a_refresh_validated_before_a_password_change_is_refused_not_a_500(
    monkeypatch, app, auth_client
):
    user, answers = UserFactory(), {}
    tokens = password_login(app, user).json()
    held_while(
        monkeypatch,
        MastodonOAuth2Validator,
        "validate_refresh_token",
        lambda: answers.update(refresh=refresh(app, tokens["refresh_token"])),
        partial(change_password, auth_client, user),
    )
    assert_invalid_grant(answers["refresh"])
    assert not RefreshToken.objects.filter(user=user).exists()


def test_a_refresh_token_revoked_while_its_refresh_is_on_its_way_mints_nothing(monkeypatch, app):
    user, answers = UserFactory(), {}
    tokens = password_login(app, user).json()
    revoke = partial(
        APIClient().post,
        "/oauth/revoke",
        {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "token": tokens["refresh_token"],
        },
    )
    held_while(
        monkeypatch,
        MastodonOAuth2Validator,
        "validate_refresh_token",
        lambda: answers.update(refresh=refresh(app, tokens["refresh_token"])),
        lambda: answers.update(revoke=revoke()),
    )
    assert answers["revoke"].status_code == 200
    assert_invalid_grant(answers["refresh"])
    assert not AccessToken.objects.filter(user=user).exists()
