"""What holds for every endpoint of the Mastodon surface: paging with Link headers, errors in
Mastodon's shape, trailing slashes, rate-limit headers and CORS."""

import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core.exceptions import DatabaseUnavailable
from tweets.models import Mute
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response["Link"])}


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()]


@pytest.fixture
def timeline(oauth_client):
    user = UserFactory()
    tweets = [TweetFactory(author=user, text=f"tweet {n}") for n in range(7)]
    return oauth_client(user), [str(tweet.pk) for tweet in reversed(tweets)]  # newest first


def test_pages_follow_next_links_without_repeats(timeline):
    client, newest_first = timeline
    first = client.get("/api/v1/timelines/home?limit=3")
    assert ids(first) == newest_first[:3]
    second = client.get(links(first)["next"])
    assert ids(second) == newest_first[3:6]
    third = client.get(links(second)["next"])
    assert ids(third) == newest_first[6:]
    last = client.get(links(third)["next"])
    assert last.json() == [] and "Link" not in last
    back = client.get(links(second)["prev"])
    assert ids(back) == newest_first[:3]


def test_max_since_and_min_id(timeline):
    client, newest_first = timeline
    url = "/api/v1/timelines/home"
    assert ids(client.get(url, {"max_id": newest_first[2]})) == newest_first[3:]
    # since_id: the newest items above it; min_id: the items just above it.
    since = client.get(url, {"since_id": newest_first[5], "limit": 2})
    assert ids(since) == newest_first[:2]
    after = client.get(url, {"min_id": newest_first[5], "limit": 2})
    assert ids(after) == newest_first[3:5]
    between = client.get(url, {"min_id": newest_first[5], "max_id": newest_first[3]})
    assert ids(between) == newest_first[4:5]


def test_limit_is_clamped_and_bad_ids_are_422(timeline):
    client, _ = timeline
    assert len(client.get("/api/v1/timelines/home?limit=1000").json()) == 7
    assert len(client.get("/api/v1/timelines/home?limit=abc").json()) == 7
    response = client.get("/api/v1/timelines/home?max_id=abc")
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")


def test_routes_work_with_and_without_trailing_slash(api_client):
    for path in ("/api/v1/instance", "/api/v1/instance/", "/api/v2/instance/", "/nodeinfo/2.0/"):
        assert api_client.get(path).status_code == 200


def test_unknown_routes_and_missing_tokens_answer_in_mastodons_shape(api_client):
    unknown = api_client.get("/api/v1/does/not/exist")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Record not found"}
    anonymous = api_client.get("/api/v1/accounts/verify_credentials")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"error": "The access token is invalid"}
    assert "WWW-Authenticate" in anonymous
    api_client.credentials(HTTP_AUTHORIZATION="Bearer forged")
    assert api_client.get("/api/v1/accounts/verify_credentials").status_code == 401


def test_the_request_guards_answer_in_mastodons_shape_on_its_surface(oauth_client, settings):
    client = oauth_client(UserFactory())
    nul = client.get("/api/v1/accounts/a%00b")
    assert nul.status_code == 400
    assert list(nul.json()) == ["error"] and "path" in nul.json()["error"]
    settings.MINITTER_MAX_JSON_BODY = 100
    large = client.post("/api/v1/statuses", {"status": "x" * 200}, format="json")
    assert large.status_code == 413
    assert large.json() == {"error": "Request body too large: at most 100 bytes are accepted."}
    bad_length = client.generic("POST", "/api/v1/statuses", b"{}", CONTENT_LENGTH="many")
    assert (bad_length.status_code, bad_length.json()) == (
        400,
        {"error": "Invalid Content-Length header."},
    )
    # The project's own API keeps its shape.
    own = client.get("/api/minitter/v1/accounts/a%00b")
    assert own.status_code == 400 and set(own.json()) == {"code", "detail", "fields"}


@pytest.mark.parametrize("body", [b"1", b"null", b"[]", b'"display_name"', b"1e400"])
def test_a_json_body_that_is_not_an_object_is_a_400_and_changes_nothing(oauth_client, body):
    me = UserFactory(display_name="Kept")
    response = oauth_client(me).generic(
        "PATCH", "/api/v1/accounts/update_credentials", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    me.refresh_from_db()
    assert me.display_name == "Kept"


def mute_with_json(oauth_client, body: str):
    """A mute of a new account by another, with ``body`` as its JSON parameters."""
    other = UserFactory()
    return oauth_client(UserFactory()).generic(
        "POST", f"/api/v1/accounts/{other.pk}/mute", body, content_type="application/json"
    )


@pytest.mark.parametrize(
    "duration",
    [
        "1e400",
        "-1e400",
        '"12.5x"',
        "1e30",
        "-5",
        "1.5",
        '"\u0663"',
        '" 5 "',
        '"9999999999999999999999999999999999"',
        '"' + "9" * 5000 + '"',
        "{}",
        "true",
    ],
)
def test_a_number_parameter_out_of_its_range_is_a_422_and_changes_nothing(oauth_client, duration):
    response = mute_with_json(oauth_client, f'{{"duration": {duration}}}')
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")
    assert not Mute.objects.exists()


@pytest.mark.parametrize("notifications", ["{}", "[]", '"maybe"', "2"])
def test_a_flag_that_is_neither_true_nor_false_is_a_422(oauth_client, notifications):
    response = mute_with_json(oauth_client, f'{{"notifications": {notifications}}}')
    assert response.status_code == 422
    assert "true or false" in response.json()["error"]
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    ("body", "seconds", "notifications"),
    [
        ('{"duration": 60, "notifications": "0"}', 60, False),
        ('{"duration": 60.0}', 60, True),
        ('{"duration": "60", "notifications": "undefined"}', 60, True),
        ('{"duration": "60", "notifications": "NULL"}', 60, True),
    ],
)
def test_whole_numbers_and_flags_in_their_usual_forms_are_read(
    oauth_client, body, seconds, notifications
):
    response = mute_with_json(oauth_client, body)
    assert response.status_code == 200, response.content
    mute = Mute.objects.get()
    assert mute.notifications is notifications
    assert abs((mute.expires_at - timezone.now()).total_seconds() - seconds) < 10


@pytest.mark.parametrize("path", ["/api/v1/nothing_here", "/.well-known/nothing", "/oauth/nothing"])
def test_every_404_of_the_surface_says_record_not_found(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_too_many_fields_is_a_400_that_says_so(oauth_client, settings):
    fields = "&".join(
        f"f{number}=x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
    )
    response = oauth_client(UserFactory()).post(
        "/api/v1/statuses", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "fields in one request" in response.json()["error"]


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_oauth_endpoints_answer_other_methods_with_a_json_405(api_client, path, method):
    response = getattr(api_client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "not allowed" in response.json()["error"]


def test_a_token_error_of_the_toolkit_is_typed_as_json(api_client):
    # oauthlib refuses parameters in the query string; the toolkit answered without a type.
    response = api_client.post("/oauth/token?username=x", {"grant_type": "password"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_an_unknown_route_is_a_json_404_for_writes_too(api_client):
    """No CSRF page: the catch-all answers every method, with or without a session cookie."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    for method in ("post", "put", "delete"):
        response = getattr(client, method)("/api/v1/statuses/1/no-such-action")
        assert (response.status_code, response.json()) == (404, {"error": "Record not found"})


def test_a_database_that_cannot_be_reached_is_a_503_in_mastodons_shape(api_client):
    with mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=OperationalError("refused")
    ):
        response = api_client.get("/api/v1/timelines/public")
    assert response.status_code == 503
    assert response.json() == {"error": DatabaseUnavailable.detail}
    assert int(response["Retry-After"]) > 0


def test_wrong_method_is_405_in_mastodons_shape(oauth_client):
    response = oauth_client(UserFactory()).delete("/api/v1/timelines/home")
    assert response.status_code == 405
    assert list(response.json()) == ["error"]


def test_empty_features_answer_empty_lists(oauth_client):
    client = oauth_client(UserFactory())
    for name in ("custom_emojis", "lists", "filters", "announcements", "follow_requests"):
        assert client.get(f"/api/v1/{name}").json() == []


def test_nodeinfo_is_discoverable(api_client):
    links_ = api_client.get("/.well-known/nodeinfo").json()["links"]
    assert links_[0]["href"] == "http://testserver/nodeinfo/2.0"
    body = api_client.get("/nodeinfo/2.0").json()
    assert body["software"]["name"] == "minitter" and body["version"] == "2.0"


def test_every_response_carries_rate_limit_headers(api_client):
    for path in ("/api/v1/instance", "/api/v1/nope", "/api/v1/accounts/verify_credentials"):
        response = api_client.get(path)
        assert response["X-RateLimit-Limit"] == "300"
        assert int(response["X-RateLimit-Remaining"]) < 300
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$", response["X-RateLimit-Reset"])
    assert "X-RateLimit-Limit" not in api_client.get("/ping")


@override_settings(MASTODON_RATE_LIMIT=2)
def test_over_the_rate_limit_is_429_per_token(oauth_client):
    client = oauth_client(UserFactory())
    assert client.get("/api/v1/instance").status_code == 200
    assert client.get("/api/v1/instance").status_code == 200
    refused = client.get("/api/v1/instance")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert refused["X-RateLimit-Remaining"] == "0" and int(refused["Retry-After"]) >= 1
    assert oauth_client(UserFactory()).get("/api/v1/instance").status_code == 200


def test_cors_allows_any_origin_without_credentials(api_client):
    origin = "https://web-client.example"
    preflight = api_client.options(
        "/api/v1/timelines/home",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight
    response = api_client.get("/api/v1/instance", HTTP_ORIGIN=origin)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Link" in response["Access-Control-Expose-Headers"]
    token = api_client.options(
        "/oauth/token", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert token["Access-Control-Allow-Origin"] == "*"
    for path in ("/oauth/authorize", "/admin/login/", "/api/minitter/v1/tweets"):
        assert "Access-Control-Allow-Origin" not in api_client.get(path, HTTP_ORIGIN=origin)


def test_writes_count_against_the_projects_write_limits(oauth_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "write_user": "2/min",
        },
    }
    client = oauth_client(UserFactory())
    first = client.post("/api/v1/statuses", {"status": "one"})
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert re.match(r"^\d{4}-\d\d-\d\dT", first["X-RateLimit-Reset"])
    client.post("/api/v1/statuses", {"status": "two"})
    refused = client.post("/api/v1/statuses", {"status": "three"})
    assert refused.status_code == 429
    assert list(refused.json()) == ["error"] and "Retry-After" in refused
