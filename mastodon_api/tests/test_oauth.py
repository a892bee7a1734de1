"""OAuth 2 for Mastodon apps: registration, the login-and-approve page, PKCE, the token endpoint's
grants, revocation, scopes, and tokens that stop working with the account."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import RefreshToken
from core.testing import API
from tweets.services import account_set_suspended

pytestmark = pytest.mark.django_db

CALLBACK = "https://client.example/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"


def register(client=None, **fields):
    data = {"client_name": "My app", "redirect_uris": CALLBACK, "scopes": "read write"} | fields
    return (client or APIClient()).post("/api/v1/apps", data)


def pkce_pair():
    verifier = "v" * 20 + "x9-._~" * 5
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def authorize_url(app, **params):
    query = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "read write",
    } | params
    return "/oauth/authorize?" + urlencode(query)


def csrf_of(response) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)[1].decode()


def login_and_approve(browser, url, username, password=DEFAULT_PASSWORD, decision="approve"):
    page = browser.get(url)
    assert page.status_code == 200, page.content
    return browser.post(
        url,
        {
            "csrfmiddlewaretoken": csrf_of(page),
            "username": username,
            "password": password,
            "decision": decision,
        },
    )


def token_request(**data):
    return APIClient().post("/oauth/token", data)


def password_grant_request(user, app: dict, **fields):
    """The password grant asked by ``app`` (as registered) for ``user``."""
    return token_request(
        grant_type="password",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        username=user.username,
        password=DEFAULT_PASSWORD,
        **fields,
    )


def password_grant(user, app: dict, **fields) -> dict:
    """The tokens the password grant gives ``app`` (as registered) for ``user``."""
    response = password_grant_request(user, app, **fields)
    assert response.status_code == 200, response.content
    return response.json()


def test_registering_an_app_returns_its_client_credentials():
    response = register(website="https://client.example")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "My app"
    assert body["scopes"] == ["read", "write"]
    assert body["redirect_uri"] == CALLBACK
    assert body["website"] == "https://client.example"
    assert body["client_id"] and body["client_secret"]


def test_registering_an_app_accepts_json_and_several_redirect_uris():
    response = APIClient().post(
        "/api/v1/apps/",
        {"client_name": "App", "redirect_uris": [CALLBACK, OOB], "scopes": "read"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == [CALLBACK, OOB]


@pytest.mark.parametrize(
    "fields",
    [
        {"scopes": "read admin:everything"},
        {"redirect_uris": "javascript:alert(1)"},
        {"redirect_uris": ""},
        {"client_name": ""},
        {"redirect_uris": "http://[::1"},
        {"redirect_uris": f"{OOB} https://a]b"},
        {"website": "http://[x]"},
        # Addresses the authorization step could never send a browser to.
        {"redirect_uris": "http://client.example:99999/cb"},
        {"redirect_uris": "http://client.example:0/cb"},
        {"redirect_uris": "http://client.example:abc/cb"},
        {"redirect_uris": "http://user:secret@client.example/cb"},
        {"redirect_uris": "http://clïent.example/cb"},
        {"redirect_uris": "http://client.example/\u202ecb"},
    ],
)
def test_registering_an_app_with_bad_input_is_a_422(fields):
    response = register(**fields)
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert not Application.objects.exists()


def test_password_grant_returns_a_token_with_the_scopes_asked_for():
    user = UserFactory()
    body = password_grant(user, register().json(), scope="read write")
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write"
    assert isinstance(body["created_at"], int)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    me = client.get("/api/v1/accounts/verify_credentials")
    assert me.json()["username"] == user.username


def test_token_requests_may_come_as_json():
    user = UserFactory()
    app = register().json()
    response = APIClient().post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": user.email.upper(),
            "password": DEFAULT_PASSWORD,
            "scope": "read",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "read"


def test_a_token_cannot_get_scopes_its_app_did_not_register():
    response = password_grant_request(
        UserFactory(), register(scopes="read").json(), scope="read write"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_wrong_password_or_suspended_account_gets_no_token(django_user_model):
    user = UserFactory()
    app = register().json()
    credentials = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    wrong = token_request(
        grant_type="password", username=user.username, password="nope", **credentials
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    account_set_suspended(
        account=user, suspended=True, moderator=UserFactory(is_staff=True), reason="spam"
    )
    assert password_grant_request(user, app).status_code == 400


def test_client_credentials_token_identifies_the_app_but_no_account():
    app = register().json()
    response = token_request(
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        scope="read",
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    assert client.get("/api/v1/apps/verify_credentials").json()["name"] == "My app"
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401


def test_revoked_token_stops_working():
    app = register().json()
    token = password_grant(UserFactory(), app)["access_token"]
    revoked = APIClient().post(
        "/oauth/revoke",
        {"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert revoked.status_code == 200
    assert revoked.json() == {}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_server_metadata_names_the_endpoints_and_grants():
    body = APIClient().get("/.well-known/oauth-authorization-server").json()
    assert body["token_endpoint"] == "http://testserver/oauth/token"
    assert body["authorization_endpoint"] == "http://testserver/oauth/authorize"
    assert body["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "password", "client_credentials"} <= set(
        body["grant_types_supported"]
    )
    assert "read:statuses" in body["scopes_supported"]


# --- The authorization page ----------------------------------------------------------------------
def test_authorization_code_flow_with_pkce():
    user = UserFactory()
    app = register().json()
    verifier, challenge = pkce_pair()
    url = authorize_url(app, state="xyz", code_challenge=challenge, code_challenge_method="S256")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert b'name="password"' in page.content
    assert b"My app" in page.content and b"read" in page.content
    response = login_and_approve(browser, url, user.username)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": CALLBACK,
        "code": query["code"][0],
    }
    assert token_request(**exchange, code_verifier="wrong" * 10).status_code == 400
    # Start again with a fresh code: a wrong verifier gets no token.
    response = login_and_approve(browser, url, user.username)
    exchange["code"] = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    token = token_request(**exchange, code_verifier=verifier)
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "read write"
    assert AccessToken.objects.get(user=user).application.client_id == app["client_id"]


def test_plain_code_challenges_are_refused():
    app = register().json()
    url = authorize_url(app, code_challenge="a" * 43, code_challenge_method="plain")
    response = Client().get(url)
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]


def test_out_of_band_shows_the_code_on_the_page():
    user = UserFactory()
    app = register(redirect_uris=OOB).json()
    url = authorize_url(app, redirect_uri=OOB)
    response = login_and_approve(Client(), url, user.username)
    assert response.status_code == 200
    code = re.search(rb'<code id="code">([^<]+)</code>', response.content)[1].decode()
    token = token_request(
        grant_type="authorization_code",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        redirect_uri=OOB,
        code=code,
    )
    assert token.status_code == 200, token.content


def test_wrong_password_shows_the_form_again_and_issues_no_code():
    user = UserFactory()
    app = register().json()
    response = login_and_approve(Client(), authorize_url(app), user.username, password="nope")
    assert response.status_code == 401
    assert b"Wrong username or password" in response.content
    assert not AccessToken.objects.exists()


def test_suspended_accounts_cannot_authorize():
    user = UserFactory()
    account_set_suspended(
        account=user, suspended=True, moderator=UserFactory(is_staff=True), reason="spam"
    )
    app = register().json()
    response = login_and_approve(Client(), authorize_url(app), user.username)
    assert response.status_code == 401


def test_denying_sends_the_app_an_access_denied_error():
    user = UserFactory()
    app = register().json()
    response = login_and_approve(Client(), authorize_url(app), user.username, decision="deny")
    assert response.status_code == 302
    assert "error=access_denied" in response["Location"]


def test_logged_in_person_only_approves_unless_force_login():
    user = UserFactory()
    app = register().json()
    browser = Client()
    browser.force_login(user)
    page = browser.get(authorize_url(app))
    assert b'name="password"' not in page.content
    assert user.username.encode() in page.content
    approved = browser.post(
        authorize_url(app), {"csrfmiddlewaretoken": csrf_of(page), "decision": "approve"}
    )
    assert approved.status_code == 302 and "code=" in approved["Location"]
    forced = browser.get(authorize_url(app, force_login="true"))
    assert b'name="password"' in forced.content


def test_unknown_client_or_redirect_uri_is_shown_not_redirected():
    app = register().json()
    unknown = Client().get(authorize_url({"client_id": "nope"}))
    assert unknown.status_code == 400
    elsewhere = Client().get(authorize_url(app, redirect_uri="https://evil.example/"))
    assert elsewhere.status_code == 400
    assert "Location" not in elsewhere


def test_apps_redirect_uris_in_their_own_schemes_or_with_ports_can_authorize():
    user = UserFactory()
    for uri in ("com.example.app://oauth", "http://localhost:8080/cb", "http://[::1]:9/cb"):
        app = register(redirect_uris=uri).json()
        approved = login_and_approve(Client(), authorize_url(app, redirect_uri=uri), user.username)
        assert approved.status_code == 302, uri
        assert approved["Location"].startswith(uri + "?code="), uri


def test_an_app_registered_with_a_port_out_of_range_is_refused_not_a_500():
    # Registered before registration refused such addresses.
    app = register().json()
    Application.objects.filter(client_id=app["client_id"]).update(
        redirect_uris="http://client.example:99999/cb"
    )
    url = authorize_url(app, redirect_uri="http://client.example:99999/cb")
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "unsupported_grant_type"),
        ({"grant_type": "implicit", "client_id": "x"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
    ],
)
def test_a_grant_the_server_does_not_offer_is_a_400_naming_it(fields, error):
    response = token_request(**fields)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not AccessToken.objects.exists()


def test_the_authorization_page_cannot_be_framed_and_has_no_cors():
    app = register().json()
    response = Client().get(authorize_url(app), HTTP_ORIGIN="https://elsewhere.example")
    assert response["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in response


# --- Scopes and the lifetime of tokens ----------------------------------------------------------
def test_read_only_token_cannot_post(oauth_client):
    client = oauth_client(UserFactory(), scopes="read")
    response = client.post("/api/v1/statuses", {"status": "hello"})
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert client.get("/api/v1/timelines/home").status_code == 200


def test_sub_scopes_allow_exactly_their_endpoints(oauth_client):
    client = oauth_client(UserFactory(), scopes="read:accounts write:statuses")
    assert client.post("/api/v1/statuses", {"status": "hello"}).status_code == 200
    assert client.get("/api/v1/timelines/home").status_code == 403
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 200


def test_follow_scope_allows_following(oauth_client):
    other = UserFactory()
    client = oauth_client(UserFactory(), scopes="follow")
    assert client.post(f"/api/v1/accounts/{other.pk}/follow").status_code == 200
    assert client.post("/api/v1/statuses", {"status": "x"}).status_code == 403


def test_oauth_tokens_work_on_the_projects_own_api_within_their_scopes(oauth_client):
    reader = oauth_client(UserFactory(), scopes="read")
    assert reader.get(f"{API}/timelines/home").status_code == 200
    assert reader.post(f"{API}/tweets", {"text": "no"}, format="json").status_code == 403
    writer = oauth_client(UserFactory(), scopes="read write")
    assert writer.post(f"{API}/tweets", {"text": "yes"}, format="json").status_code == 201


def test_jwt_access_tokens_work_on_the_mastodon_surface():
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    assert client.get("/api/v1/accounts/verify_credentials").json()["id"] == str(user.pk)
    assert client.post("/api/v1/statuses", {"status": "via JWT"}).status_code == 200


def test_password_change_revokes_oauth_tokens(oauth_client, auth_client):
    user = UserFactory()
    client = oauth_client(user)
    changed = auth_client(user).post(
        f"{API}/accounts/me/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
        format="json",
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401
    assert not AccessToken.objects.filter(user=user).exists()


def test_deactivation_revokes_oauth_tokens(oauth_client, auth_client):
    user = UserFactory()
    client = oauth_client(user)
    auth_client(user).delete(f"{API}/accounts/me", {"password": DEFAULT_PASSWORD}, format="json")
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401


def test_suspension_refuses_oauth_tokens_until_lifted(oauth_client):
    user = UserFactory()
    client = oauth_client(user)
    moderator = UserFactory(is_staff=True)
    account_set_suspended(account=user, suspended=True, moderator=moderator, reason="spam")
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401
    account_set_suspended(account=user, suspended=False, moderator=moderator, reason="appeal")
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 200


def test_the_login_page_may_send_its_answer_to_the_app():
    app = register().json()
    policy = Client().get(authorize_url(app))["Content-Security-Policy"]
    assert "form-action 'self' https://client.example" in policy
    assert "frame-ancestors 'none'" in policy


# --- Hostile input: a 400 in the OAuth error shape, never a 500 ---------------------------------
DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize("body", [DEEP, '{"token": ' + DEEP + "}"])
def test_json_nested_too_deep_is_an_invalid_request(path, body):
    response = APIClient().post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "nested deeper" in response.json()["error_description"]


@pytest.mark.parametrize(
    "body",
    [
        '{"grant_type": "password", "username": "\\ud800", "password": "x"}',
        '{"grant_type": "password", "username": "alice", "password": "x\\udfff"}',
        '{"grant_type": "password", "username": "a\\u0000b", "password": "x"}',
        '{"grant_type": "password", "user\\u0000name": "alice", "password": "x"}',
    ],
)
def test_token_json_with_text_no_column_can_hold_is_an_invalid_request(body):
    response = APIClient().post("/oauth/token", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"grant_type": "authorization_code", "code": "a\x00", "redirect_uri": OOB},
        {"grant_type": "password", "username": "a\x00", "password": "x"},
        {"grant_type": "refresh_token", "refresh_token": "\x00"},
    ],
)
def test_nul_in_a_token_form_field_is_an_invalid_request(fields):
    app = register().json()
    response = token_request(client_id=app["client_id"], client_secret="s", **fields)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "Null characters" in body["error_description"]


def test_nul_in_a_revocation_form_field_is_an_invalid_request():
    response = APIClient().post("/oauth/revoke", {"token": "a\x00", "client_id": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_nul_in_a_basic_auth_client_id_names_no_client():
    credentials = base64.b64encode(b"app%00:secret").decode()
    response = APIClient().post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_nul_in_the_authorization_pages_username_is_a_wrong_login():
    app = register().json()
    response = login_and_approve(Client(), authorize_url(app), "a\x00b")
    assert response.status_code == 401
    assert b"Wrong username or password" in response.content
