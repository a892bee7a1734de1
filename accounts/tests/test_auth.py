"""Login, token refresh, logout and bearer-token checks."""

import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.throttles import LoginUsernameThrottle
from accounts.tokens import AccessToken, RefreshToken
from core.db import retries
from core.testing import API
from core.testing.races import aborted

pytestmark = pytest.mark.django_db

TOKEN_URL = f"{API}/auth/token"
REFRESH_URL = f"{API}/auth/token/refresh"
LOGOUT_URL = f"{API}/auth/logout"
ME_URL = f"{API}/accounts/me"


def login(client, username, password=DEFAULT_PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def bearer(access) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_login_with_username_returns_working_token_pair(api_client, user):
    response = login(api_client, user.username)
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    me = bearer(tokens["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_login_accepts_email_and_any_letter_case(api_client):
    user = UserFactory(username="Mixed_Case", email="Mixed@Example.com")
    assert login(api_client, "mixed_case").status_code == 200
    assert login(api_client, "MIXED@example.COM").status_code == 200
    assert login(api_client, user.username).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_401(api_client, user):
    unknown = login(api_client, "nobody_here")
    wrong = login(api_client, user.username, "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_login_with_missing_password_is_400(api_client, user):
    response = api_client.post(TOKEN_URL, {"username": user.username}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]


def test_deactivated_user_cannot_log_in(api_client):
    user = UserFactory(is_active=False)
    assert login(api_client, user.username).status_code == 401


@pytest.mark.parametrize("algorithm", ["bcrypt_sha256", "bcrypt", "pbkdf2_sha256"])
def test_imported_password_hash_is_upgraded_to_argon2_on_login(api_client, settings, algorithm):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ]
    user = UserFactory()
    user.password = make_password(DEFAULT_PASSWORD, hasher=algorithm)
    user.save()
    assert user.password.startswith(f"{algorithm}$")

    assert login(api_client, user.username).status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_login_is_throttled_per_username(api_client, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_username": "3/min",
        },
    }
    for _ in range(3):
        assert login(api_client, user.username, "wrong").status_code == 401
    response = login(api_client, user.username.upper())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    other = UserFactory()
    assert login(api_client, other.username).status_code == 200


@pytest.mark.parametrize("username", ["\ud800", "a\x00b"])
def test_per_username_throttle_counts_any_text_tried(rf, username):
    """Callers that do not check their input first (a form view) still get a counter."""
    request = rf.post("/login")
    request.data = {"username": username}
    throttle = LoginUsernameThrottle()
    assert throttle.get_cache_key(request, None).startswith("throttle_login_username_")
    assert throttle.allow_request(request, None)


def test_refresh_rotates_and_old_refresh_token_is_refused(api_client, user):
    tokens = login(api_client, user.username).json()
    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]

    reused = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    rotated = api_client.post(REFRESH_URL, {"refresh": first.json()["refresh"]}, format="json")
    assert rotated.status_code == 200


def test_a_refresh_run_again_after_a_deadlock_spends_the_token_it_was_given(
    api_client, user, monkeypatch
):
    """The first attempt gets as far as storing the successor and is aborted; the second spends
    the same token, so the token cannot be used again."""
    monkeypatch.setattr(retries, "BACKOFF_SECONDS", 0)
    real_outstand, attempts = RefreshToken.outstand, []

    def outstand_aborted_once(token):
        attempts.append(token)
        if len(attempts) == 1:
            raise aborted()
        return real_outstand(token)

    monkeypatch.setattr(RefreshToken, "outstand", outstand_aborted_once)
    tokens = login(api_client, user.username).json()
    attempts.clear()
    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert len(attempts) == 2
    reused = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": first.json()["refresh"]}).status_code == 200


def test_a_login_run_again_after_a_deadlock_issues_one_refresh_token(api_client, user, monkeypatch):
    """The first attempt's token is rolled back with it: only the one given out is outstanding."""
    monkeypatch.setattr(retries, "BACKOFF_SECONDS", 0)
    real_for_user, attempts = RefreshToken.for_user.__func__, []

    def for_user_aborted_once(cls, account):
        token = real_for_user(cls, account)
        attempts.append(token)
        if len(attempts) == 1:
            raise aborted()
        return token

    monkeypatch.setattr(RefreshToken, "for_user", classmethod(for_user_aborted_once))
    response = login(api_client, user.username)
    assert response.status_code == 200
    assert len(attempts) == 2
    assert [token.token for token in user.outstandingtoken_set.all()] == [
        response.json()["refresh"]
    ]
    user.refresh_from_db()
    assert user.last_login is not None


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH_URL, {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401


def test_refresh_of_deactivated_user_is_401(api_client):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    user.is_active = False
    user.save()
    assert api_client.post(REFRESH_URL, {"refresh": refresh}, format="json").status_code == 401


def test_logout_revokes_the_refresh_token(api_client, user):
    tokens = login(api_client, user.username).json()
    client = bearer(tokens["access"])
    response = client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    again = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def test_logout_requires_authentication(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    response = api_client.post(LOGOUT_URL, {"refresh": refresh}, format="json")
    assert response.status_code == 401


def test_logout_with_another_users_token_is_400_and_revokes_nothing(auth_client, user):
    other = UserFactory()
    refresh = str(RefreshToken.for_user(other))
    response = auth_client(user).post(LOGOUT_URL, {"refresh": refresh}, format="json")
    assert response.status_code == 400
    assert APIClient().post(REFRESH_URL, {"refresh": refresh}, format="json").status_code == 200


def _forge(header: dict, payload: dict) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}."


def test_bad_bearer_tokens_get_401_with_www_authenticate(user):
    valid = AccessToken.for_user(user)
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    tampered = str(valid)[:-4] + ("AAAA" if not str(valid).endswith("AAAA") else "BBBB")
    alg_none = _forge({"alg": "none", "typ": "JWT"}, dict(valid.payload))

    for token in [str(expired), tampered, alg_none, "garbage"]:
        response = bearer(token).get(ME_URL)
        assert response.status_code == 401, token
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "detail" in response.json()


@pytest.mark.parametrize("exp", [2**70, 2**40, 1.5e300, "9999999999"])
def test_a_signed_token_expiring_past_any_date_is_refused_not_a_500(user, exp):
    # exp past the year 9999 (or what the platform's clock counts) is no date: both kinds of
    # token, on both surfaces and at refresh, are refused as invalid.
    access, refresh = AccessToken.for_user(user), RefreshToken.for_user(user)
    access["exp"] = refresh["exp"] = exp
    assert bearer(str(access)).get(ME_URL).status_code == 401
    assert bearer(str(access)).get("/api/v1/accounts/verify_credentials").status_code == 401
    refused = APIClient().post(f"{API}/auth/token/refresh", {"refresh": str(refresh)})
    assert refused.status_code == 401
    assert "detail" in refused.json()


@pytest.mark.parametrize("user_id", ["not-a-number", None, [1], True, 10**15, 2**64, "9" * 30])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_signed_token_naming_no_account_gets_401(user, user_id, method):
    """Writes read the token's account from the database, reads from its copy: either way a
    token signed with the project's key whose account id is not one gets 401, never a 500."""
    access = AccessToken.for_user(user)
    access["user_id"] = user_id
    response = getattr(bearer(str(access)), method)(f"{API}/tweets", {"text": "hi"}, format="json")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_missing_token_gets_401_with_www_authenticate(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_deactivated_user_gets_401(user):
    access = AccessToken.for_user(user)
    user.is_active = False
    user.save()
    assert bearer(access).get(ME_URL).status_code == 401
