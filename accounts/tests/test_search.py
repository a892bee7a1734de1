"""Account search and listing."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API

pytestmark = pytest.mark.django_db


def test_search_matches_username_prefix_and_display_name(api_client):
    UserFactory(username="kim_minji", display_name="Minji")
    UserFactory(username="lee_jun", display_name="김준")
    UserFactory(username="someone_else", display_name="Other")

    by_prefix = api_client.get(f"{API}/accounts", {"search": "KIM"}).json()["results"]
    assert [a["username"] for a in by_prefix] == ["kim_minji"]
    by_name = api_client.get(f"{API}/accounts", {"search": "김"}).json()["results"]
    assert [a["username"] for a in by_name] == ["lee_jun"]


def test_account_list_is_paginated_and_skips_deactivated(api_client):
    users = UserFactory.create_batch(5)
    UserFactory(is_active=False)
    first = api_client.get(f"{API}/accounts", {"limit": 3}).json()
    assert len(first["results"]) == 3
    assert first["previous"] is None
    second = api_client.get(first["next"]).json()
    assert second["next"] is None
    seen = [a["id"] for a in first["results"] + second["results"]]
    assert seen == [str(u.id) for u in reversed(users)]


def test_account_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_max_num_queries
):
    UserFactory.create_batch(50)
    for limit in (1, 50):
        with django_assert_max_num_queries(1):
            response = api_client.get(f"{API}/accounts", {"limit": limit})
        assert len(response.json()["results"]) == limit
