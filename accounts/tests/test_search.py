"""Account search and listing."""

import pytest

from accounts.selectors import account_list
from accounts.tests.factories import UserFactory
from core.testing import API, explain, on_postgresql

pytestmark = pytest.mark.django_db

URL = f"{API}/accounts"


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


def usernames(api_client, search):
    response = api_client.get(URL, {"search": search})
    assert response.status_code == 200, response.json()
    return sorted(account["username"] for account in response.json()["results"])


def test_korean_display_name_is_found_by_any_part_of_it(api_client):
    UserFactory(username="minji", display_name="김민지")
    UserFactory(username="jimin", display_name="박지민")
    assert usernames(api_client, "민지") == ["minji"]
    assert usernames(api_client, "김민지") == ["minji"]
    assert usernames(api_client, "김") == ["minji"]
    assert usernames(api_client, "지민") == ["jimin"]


def test_latin_display_name_words_are_found_from_their_start(api_client):
    UserFactory(username="someone", display_name="Minji Kim")
    assert usernames(api_client, "min") == ["someone"]
    assert usernames(api_client, "KIM") == ["someone"]
    assert usernames(api_client, "minji ki") == ["someone"]
    assert usernames(api_client, "inji") == []


def test_username_prefix_and_display_name_match_together_once(api_client):
    UserFactory(username="minji_kim", display_name="Minji")
    UserFactory(username="other", display_name="민지")
    assert usernames(api_client, "MINJI") == ["minji_kim"]
    assert usernames(api_client, "minji_k") == ["minji_kim"]


def test_changed_display_name_is_found_by_the_new_name_only(api_client, auth_client):
    user = UserFactory(username="minji", display_name="김민지")
    response = auth_client(user).patch(f"{URL}/me", {"display_name": "이서연"}, format="json")
    assert response.status_code == 200
    assert usernames(api_client, "민지") == []
    assert usernames(api_client, "서연") == ["minji"]


def test_signed_up_account_is_found_by_its_display_name(api_client):
    response = api_client.post(
        f"{API}/auth/signup",
        {
            "username": "seoyeon",
            "email": "seoyeon@example.com",
            "password": "a-long-passphrase",
            "display_name": "이서연",
        },
        format="json",
    )
    assert response.status_code == 201
    assert usernames(api_client, "서연") == ["seoyeon"]


def test_deactivated_and_suspended_accounts_are_not_found(api_client):
    UserFactory(username="gone", display_name="김민지", is_active=False)
    UserFactory(username="banned", display_name="김민지", is_suspended=True)
    assert usernames(api_client, "민지") == []
    assert usernames(api_client, "gone") == []


@pytest.mark.parametrize("search", ["!!!", "😀"])
def test_punctuation_or_emoji_only_search_finds_no_accounts(api_client, search):
    UserFactory(display_name="hello 😀!!!")
    assert usernames(api_client, search) == []


def test_account_search_over_200_characters_or_with_nul_is_400(api_client):
    assert usernames(api_client, "a" * 200) == []
    response = api_client.get(URL, {"search": "a" * 201})
    assert response.status_code == 400
    assert response.json()["fields"]["search"][0]["code"] == "max_length"
    response = api_client.get(URL, {"search": "kim\x00"})
    assert response.status_code == 400
    assert response.json()["fields"]["search"][0] == {
        "code": "null_characters_not_allowed",
        "detail": "Null characters are not allowed.",
    }


def test_account_search_query_count_does_not_grow_with_page_size(
    api_client, django_assert_max_num_queries
):
    UserFactory.create_batch(30, display_name="김민지")
    for limit in (1, 30):
        with django_assert_max_num_queries(1):
            response = api_client.get(URL, {"search": "민지", "limit": limit})
        assert len(response.json()["results"]) == limit


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL indexes")
def test_account_search_goes_through_the_username_and_display_name_indexes():
    UserFactory(username="minji", display_name="김민지")
    plan = explain(account_list(search="min").order_by("-pk")[:21], enable_seqscan="off")
    assert "accounts_user_username_prefix" in plan, plan
    assert "account_search_document" in plan, plan


def test_display_name_changed_in_the_admin_is_found(client, api_client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    user = UserFactory(username="minji", display_name="Someone")
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"username": "minji", "email": user.email, "display_name": "김민지", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert usernames(api_client, "민지") == ["minji"]
