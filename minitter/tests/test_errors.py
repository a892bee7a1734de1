"""One error shape everywhere: ``{"code", "detail"}``, plus ``fields`` on validation errors, and
every operation's errors listed in the OpenAPI schema."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"code", "detail", "fields"}
    return body


def test_validation_error_names_each_field_with_a_code(api_client):
    response = api_client.post(f"{API}/auth/signup", {"email": "x@example.com"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert body["fields"]["username"] == [{"code": "required", "detail": "This field is required."}]
    assert body["detail"].startswith("username: ")


def test_service_validation_error_without_a_field_is_a_detail(auth_client, user):
    response = auth_client(user).post(f"{API}/accounts/{user.username}/follow")
    body = assert_error(response, 400, "invalid")
    assert body["detail"] == "You cannot follow yourself."
    assert body["fields"] == {}


def test_nested_field_errors_have_dotted_names(auth_client, user):
    response = auth_client(user).post(
        f"{API}/tweets", {"text": "hi", "media_ids": ["1", "x"]}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["media_ids.1"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "not_authenticated"), ({"HTTP_AUTHORIZATION": "Bearer forged"}, "token_not_valid")],
)
def test_authentication_errors_have_a_code(api_client, headers, code):
    assert_error(api_client.get(f"{API}/timelines/home", **headers), 401, code)


def test_permission_and_not_found_errors_have_a_code(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    assert_error(client.delete(f"{API}/tweets/{tweet.id}"), 403, "permission_denied")
    assert_error(client.get(f"{API}/tweets/123"), 404, "not_found")
    assert_error(
        client.put(f"{API}/tweets/{tweet.id}", {}, format="json"), 405, "method_not_allowed"
    )


def test_malformed_json_and_wrong_content_type_have_a_code(auth_client, user):
    client = auth_client(user)
    response = client.post(f"{API}/tweets", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")
    response = client.post(f"{API}/tweets", "text", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_body_refused_before_the_view_has_the_same_shape(api_client, settings):
    settings.MINITTER_MAX_JSON_BODY = 10
    response = api_client.post(f"{API}/auth/token", {"username": "a" * 50}, format="json")
    assert_error(response, 413, "request_too_large")


def test_throttled_error_has_a_code_and_retry_after(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_ip": "1/min",
        },
    }
    UserFactory(username="someone")
    for _ in range(2):
        response = api_client.post(
            f"{API}/auth/token", {"username": "someone", "password": "wrong"}, format="json"
        )
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_every_operation_documents_its_errors_in_the_one_shape(api_client):
    schema = api_client.get(f"{API}/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}
    operations = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operations += 1
            responses = operation["responses"]
            expected = {"400", "401", "503"}
            if "{" in path:
                expected.add("404")
            if method != "get":
                expected |= {"403", "429"}
            assert expected <= set(responses), (method, path, sorted(responses))
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    content = response["content"]["application/json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Error"}
                    assert content["example"]["code"]
    assert operations >= 30


def test_schema_shows_realistic_ids_and_input_limits(api_client):
    schema = api_client.get(f"{API}/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert components["Tweet"]["properties"]["id"]["example"] == "912878538340905458"
    assert components["TweetCreateInputRequest"]["properties"]["text"]["maxLength"] == 300
    assert components["TweetCreateInputRequest"]["properties"]["media_ids"]["maxItems"] == 4
    assert components["SignupInputRequest"]["properties"]["username"]["maxLength"] == 30
    tweet_path = schema["paths"]["/api/minitter/v1/tweets/{id}"]["get"]
    assert tweet_path["parameters"][0]["schema"]["pattern"] == "^[0-9]{1,19}$"
