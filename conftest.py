"""Fixtures shared by every app's tests: users, API clients, a clean cache."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters live in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client():
    """``auth_client(user)``: an APIClient that sends a real Bearer access token for ``user``."""

    def make(user) -> APIClient:
        client = APIClient()
        access = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return make
