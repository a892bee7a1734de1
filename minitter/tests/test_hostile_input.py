"""Hostile input is a 400 on every JSON endpoint, never a 500: deep nesting, unpaired surrogates,
NUL characters in bodies and query strings."""

import json

import pytest

from accounts.models import User
from core.testing import API
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

DEEP = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"text": ' + "[" * 100 + "]" * 100 + "}"


@pytest.mark.parametrize("path", ["auth/token", "auth/signup", "auth/token/refresh"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deeply_nested_json_is_400_without_a_token(api_client, path, body):
    response = api_client.post(f"{API}/{path}", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "tweets"), ("patch", "accounts/me"), ("post", "auth/logout"), ("post", "reports")],
)
def test_deeply_nested_json_is_400_with_a_token(auth_client, user, method, path):
    response = getattr(auth_client(user), method)(
        f"{API}/{path}", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Tweet.objects.exists()


def raw_json(**fields) -> str:
    """JSON with ``\\ud800``-style escapes kept as written (json.dumps would refuse them)."""
    return "{" + ", ".join(f'"{key}": "{value}"' for key, value in fields.items()) + "}"


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "\\ud800", "password": "unusual-passphrase"},
        {"username": "alice_01", "password": "pass\\udfffword-long-enough"},
    ],
)
@pytest.mark.parametrize("path", ["auth/token", "auth/signup"])
def test_unpaired_surrogate_is_400_on_login_and_signup(api_client, path, fields):
    body = raw_json(email="a@example.com", **fields)
    response = api_client.post(f"{API}/{path}", body, content_type="application/json")
    assert response.status_code == 400
    field = next(name for name, value in fields.items() if "\\u" in value)
    assert response.json()["fields"][field][0]["code"] == "surrogate_characters_not_allowed"
    assert not User.objects.exists()


def test_paired_surrogates_are_ordinary_text(auth_client, user):
    body = raw_json(text="\\ud83c\\udf38 spring")
    response = auth_client(user).post(f"{API}/tweets", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["text"] == "🌸 spring"


@pytest.mark.parametrize("path", ["accounts", "tweets", "accounts/someone/followers"])
@pytest.mark.parametrize("query", ["search=%00", "search=a%00b", "%00=1", "limit=1%00"])
def test_nul_in_query_string_is_400(api_client, path, query):
    response = api_client.get(f"{API}/{path}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_nul_in_json_body_is_400_and_names_the_field(auth_client, user):
    response = auth_client(user).post(
        f"{API}/tweets", json.dumps({"text": "a\x00b"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["text"][0]["code"] == "null_characters_not_allowed"
    assert not Tweet.objects.exists()


def test_nul_in_form_body_is_400(api_client):
    response = api_client.post(
        f"{API}/auth/token", {"username": "a\x00", "password": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert "username" in response.json()["fields"]


def test_nul_in_a_json_key_is_400(api_client):
    response = api_client.post(
        f"{API}/auth/signup", json.dumps({"user\x00name": "x"}), content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/accounts/a%00b/avatar",
        f"{API}/accounts/someone%00/followers",
        f"{API}/accounts/someone%00",
        f"{API}/tags/a%00b/tweets",
        f"{API}/tweets/1%00",
    ],
)
def test_nul_in_the_path_is_400_before_any_view(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["path"][0]["code"] == "null_characters_not_allowed"


def test_nul_in_a_mastodon_path_is_400_in_mastodons_shape(api_client):
    response = api_client.get("/api/v1/accounts/1%00/statuses")
    assert response.status_code == 400
    assert list(response.json()) == ["error"]


def test_nul_in_the_path_of_a_write_is_400(auth_client, user):
    response = auth_client(user).post(f"{API}/accounts/someone%00/follow")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["q=%ff", "q=a%C3", "%ff=1", "q=%ed%a0%80"])
def test_a_query_string_that_is_no_utf8_is_400(api_client, query):
    response = api_client.get(f"{API}/accounts?{query}")
    assert response.status_code == 400
    assert response.json()["fields"]["query"][0]["code"] == "invalid_utf8"


def test_a_form_body_that_is_no_utf8_is_400_and_saves_nothing(auth_client, user):
    response = auth_client(user).post(
        f"{API}/tweets", b"text=a%ff", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "must be UTF-8" in response.json()["detail"]
    assert not Tweet.objects.exists()


def test_utf8_in_forms_and_query_strings_is_ordinary_text(auth_client, user):
    client = auth_client(user)
    response = client.post(
        f"{API}/tweets",
        "text=%EC%BB%A4%ED%94%BC+%F0%9F%8C%B8",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201
    assert response.json()["text"] == "커피 🌸"
    assert client.get(f"{API}/accounts?search=%EC%BB%A4").status_code == 200
