"""A password set by a moderator in the admin revokes the account's tokens, as the account's own
change does: its sessions (JWT refresh tokens) and the tokens of the apps it authorized."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-moderators-long-passphrase"


def test_a_password_set_in_the_admin_revokes_the_accounts_sessions_and_app_tokens(client, user):
    session = (
        APIClient()
        .post(
            f"{API}/auth/token",
            {"username": user.username, "password": DEFAULT_PASSWORD},
            format="json",
        )
        .json()
    )
    app = Application.objects.create(
        name="An app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://client.example/callback",
    )
    AccessToken.objects.create(
        user=user,
        application=app,
        token="an-app-token-0123456789",
        scope="read",
        expires=timezone.now() + timedelta(days=1),
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:500]
    refreshed = APIClient().post(
        f"{API}/auth/token/refresh", {"refresh": session["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401
    assert not AccessToken.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
