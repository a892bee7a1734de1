"""The caller's own account: view, edit, change password, deactivate."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import RefreshToken
from core.testing import API

pytestmark = pytest.mark.django_db

ME_URL = f"{API}/accounts/me"
PASSWORD_URL = f"{API}/accounts/me/password"
REFRESH_URL = f"{API}/auth/token/refresh"
TOKEN_URL = f"{API}/auth/token"


def test_me_shows_private_view_with_email(auth_client, user):
    body = auth_client(user).get(ME_URL).json()
    assert body == {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "bio": "",
        "created_at": body["created_at"],
        "avatar_url": None,
        "avatar_preview_url": None,
        "header_url": None,
        "header_preview_url": None,
    }


def test_patch_me_changes_display_name_and_bio(auth_client, user):
    response = auth_client(user).patch(
        ME_URL, {"display_name": "새 이름", "bio": "Hello 세계"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "새 이름"
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("새 이름", "Hello 세계")


def test_patch_me_ignores_fields_that_are_not_editable(auth_client, user):
    response = auth_client(user).patch(ME_URL, {"username": "renamed", "bio": "x"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username != "renamed"


@pytest.mark.parametrize(
    "payload",
    [{"bio": "b" * 161}, {"display_name": "d" * 51}, {"bio": 5}, {"display_name": None}],
)
def test_patch_me_with_bad_values_is_400_and_changes_nothing(auth_client, user, payload):
    before = (user.display_name, user.bio)
    response = auth_client(user).patch(ME_URL, payload, format="json")
    assert response.status_code == 400
    assert set(payload) <= set(response.json()["fields"])
    user.refresh_from_db()
    assert (user.display_name, user.bio) == before


def test_password_change_revokes_every_token_issued_before(api_client, user):
    sessions = [
        api_client.post(
            TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
        ).json()
        for _ in range(2)
    ]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")

    response = client.post(
        PASSWORD_URL,
        {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
        format="json",
    )
    assert response.status_code == 204

    for tokens in sessions:
        assert (
            api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code
            == 401
        )
        stale = APIClient()
        stale.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert stale.get(ME_URL).status_code == 401
    fresh = api_client.post(
        TOKEN_URL, {"username": user.username, "password": "another-long-passphrase"}, format="json"
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"current_password": "wrong", "new_password": "another-long-passphrase"},
            "current_password",
        ),
        ({"current_password": DEFAULT_PASSWORD, "new_password": "123"}, "new_password"),
        ({"current_password": DEFAULT_PASSWORD}, "new_password"),
    ],
)
def test_bad_password_change_is_400_and_keeps_old_password(auth_client, user, payload, field):
    response = auth_client(user).post(PASSWORD_URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_delete_me_deactivates_account_and_its_tokens(auth_client, user):
    refresh = RefreshToken.for_user(user)
    client = auth_client(user)
    response = client.delete(ME_URL, {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    assert client.get(ME_URL).status_code == 401
    assert (
        APIClient().post(REFRESH_URL, {"refresh": str(refresh)}, format="json").status_code == 401
    )
    assert APIClient().get(f"{API}/accounts/{user.username}").status_code == 404


def test_delete_me_with_wrong_password_is_400_and_keeps_account(auth_client, user):
    response = auth_client(user).delete(ME_URL, {"password": "nope"}, format="json")
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.is_active


def test_deleted_username_stays_taken(auth_client, api_client):
    user = UserFactory(username="gone_user")
    auth_client(user).delete(ME_URL, {"password": DEFAULT_PASSWORD}, format="json")
    response = api_client.post(
        f"{API}/auth/signup",
        {"username": "Gone_User", "email": "new@example.com", "password": "a-long-passphrase"},
        format="json",
    )
    assert response.status_code == 400
