"""Sign-up: what is accepted, and every bad input that must change nothing."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.testing import API

pytestmark = pytest.mark.django_db

URL = f"{API}/auth/signup"


def signup(client, **overrides):
    payload = {
        "username": "alice_01",
        "email": "alice@example.com",
        "password": "a-long-unusual-passphrase",
        **overrides,
    }
    return client.post(URL, payload, format="json")


def test_signup_creates_account_and_returns_private_view(api_client):
    response = signup(api_client, display_name="Alice")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "alice_01"
    assert body["email"] == "alice@example.com"
    assert body["display_name"] == "Alice"
    assert isinstance(body["id"], str) and body["id"].isdigit()
    assert body["created_at"].endswith("Z")
    assert "password" not in body
    user = User.objects.get(username="alice_01")
    assert user.check_password("a-long-unusual-passphrase")


def test_signup_stores_password_with_argon2(api_client, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    signup(api_client)
    assert User.objects.get(username="alice_01").password.startswith("argon2$")


def test_korean_display_name_round_trips(api_client):
    response = signup(api_client, display_name="김민지 🌸")
    assert response.status_code == 201
    assert response.json()["display_name"] == "김민지 🌸"
    assert User.objects.get().display_name == "김민지 🌸"


def test_taken_username_in_another_letter_case_is_rejected(api_client):
    UserFactory(username="alice_01", email="alice@example.com")
    response = signup(api_client, username="ALICE_01", email="x@example.com")
    assert response.status_code == 400
    assert "username" in response.json()["fields"]
    assert User.objects.count() == 1


def test_signup_does_not_tell_whether_an_email_has_an_account(api_client, mailoutbox):
    UserFactory(username="alice_01", email="alice@example.com")
    taken = signup(api_client, username="someone", email="ALICE@Example.COM")
    fresh = signup(api_client, username="another", email="fresh@example.com")
    assert taken.status_code == fresh.status_code == 201
    assert set(taken.json()) == set(fresh.json())
    assert taken.json()["username"] == "someone"
    assert int(taken.json()["id"]) > 0
    assert set(User.objects.values_list("username", flat=True)) == {"alice_01", "another"}
    [notice] = mailoutbox
    assert notice.to == ["ALICE@example.com"]
    assert "already has an account" in notice.body


def test_the_id_answered_for_a_taken_email_is_never_anyone_elses(api_client):
    # It was the highest id plus one: a second try repeated it, and the next real sign-up got
    # it, which told whether the address had an account.
    UserFactory(username="alice_01", email="alice@example.com")
    ids = [
        int(signup(api_client, username=name, email=email).json()["id"])
        for name, email in [
            ("try_one", "alice@example.com"),
            ("try_two", "alice@example.com"),
            ("fresh", "fresh@example.com"),
            ("try_three", "alice@example.com"),
        ]
    ]
    assert ids == sorted(set(ids))  # all different, in the order asked, as new accounts' are
    assert User.objects.get(username="fresh").pk == ids[2]


def test_taken_email_still_reports_the_other_errors(api_client, mailoutbox):
    UserFactory(username="alice_01", email="alice@example.com")
    response = signup(api_client, username="alice_01", email="alice@example.com", password="short")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}
    assert mailoutbox == []


@pytest.mark.parametrize(
    "username", ["ab", "a" * 31, "has space", "hyphen-ated", "dot.ted", "한국어", "", "   "]
)
def test_invalid_username_is_rejected(api_client, username):
    response = signup(api_client, username=username)
    assert response.status_code == 400
    assert "username" in response.json()["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", "alice_01alice"])
def test_weak_or_common_password_is_rejected(api_client, password):
    response = signup(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_malformed_email_is_rejected(api_client, email):
    response = signup(api_client, email=email)
    assert response.status_code == 400
    assert "email" in response.json()["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_missing_field_is_rejected(api_client, missing):
    payload = {"username": "alice_01", "email": "a@example.com", "password": "unusual-passphrase"}
    del payload[missing]
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][missing] == [
        {"code": "required", "detail": "This field is required."}
    ]
    assert not User.objects.exists()


def test_non_string_username_is_rejected(api_client):
    response = signup(api_client, username=12345)
    assert response.status_code == 400
    assert response.json()["fields"]["username"] == [
        {"code": "invalid", "detail": "Must be a string."}
    ]


def test_display_name_over_fifty_characters_is_rejected(api_client):
    response = signup(api_client, display_name="가" * 51)
    assert response.status_code == 400
    assert "display_name" in response.json()["fields"]
    assert not User.objects.exists()


def test_malformed_json_is_rejected(api_client):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not User.objects.exists()


def test_wrong_content_type_is_rejected(api_client):
    response = api_client.post(URL, "username=alice_01", content_type="text/plain")
    assert response.status_code == 415
    assert "detail" in response.json()
    assert not User.objects.exists()


def test_oversized_body_is_rejected_before_it_is_read(api_client, settings):
    settings.MINITTER_MAX_JSON_BODY = 1000
    response = signup(api_client, display_name="x" * 2000)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not User.objects.exists()


def test_signup_is_throttled_per_address(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signup_ip": "2/hour",
        },
    }
    assert signup(api_client, username="first_1", email="1@example.com").status_code == 201
    assert signup(api_client, username="second_2", email="2@example.com").status_code == 201
    response = signup(api_client, username="third_3", email="3@example.com")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert User.objects.count() == 2
