"""Fixtures of the Mastodon surface: registered apps and clients holding OAuth tokens."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from mastodon_api.services import app_create


@pytest.fixture
def mastodon_app(db):
    app, secret = app_create(
        name="Test client",
        redirect_uris="urn:ietf:wg:oauth:2.0:oob https://client.example/callback",
        scopes="read write follow push",
    )
    app.plain_secret = secret
    return app


@pytest.fixture
def oauth_client(mastodon_app):
    """``oauth_client(user, scopes="read write follow")``: an APIClient with an OAuth token."""

    def make(user, scopes: str = "read write follow") -> APIClient:
        token = AccessToken.objects.create(
            user=user,
            application=mastodon_app,
            token=secrets.token_urlsafe(30).replace("-", "x").replace("_", "y"),
            scope=scopes,
            expires=timezone.now() + timedelta(days=1),
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
        client.token = token
        return client

    return make
