"""Project-wide behaviour: liveness, JSON errors, pagination rules, schema and docs, the admin."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.pagination import encode_cursor
from core.testing import API
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def test_ping_answers_pong_as_plain_text(api_client):
    response = api_client.get("/ping")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"pong"


def test_api_root_links_the_entry_points(api_client):
    response = api_client.get(f"{API}/")
    assert response.status_code == 200
    links = response.json()
    assert links["tweets"] == "http://testserver/api/minitter/v1/tweets"
    assert links["home_timeline"] == "http://testserver/api/minitter/v1/timelines/home"
    for name, url in links.items():
        path = url.removeprefix("http://testserver")
        if name in ("schema", "docs"):
            assert api_client.get(path).status_code == 200, path
        else:
            assert api_client.options(path).status_code in (200, 401), path
    assert "Api Root" in api_client.get(f"{API}/", HTTP_ACCEPT="text/html").content.decode()


def test_options_on_every_documented_path_never_fails(auth_client, user):
    """DRF answers OPTIONS by introspecting each view; every route must survive it."""
    tweet = TweetFactory(author=user)
    schema = auth_client(user).get(f"{API}/schema/?format=json").json()
    client = auth_client(user)
    for path in schema["paths"]:
        concrete = path.replace("{id}", str(tweet.id)).replace("{username}", user.username)
        response = client.options(concrete)
        assert response.status_code < 500, concrete
        assert response.status_code in (200, 302, 405), (concrete, response.status_code)


def test_head_on_every_documented_read_answers_as_get_without_a_body(auth_client, user):
    tweet = TweetFactory(author=user)
    client = auth_client(user)
    schema = client.get(f"{API}/schema/?format=json").json()
    for path, operations in [(f"{API}/", {"get": {}}), *schema["paths"].items()]:
        if "get" not in operations:
            continue
        concrete = path.replace("{id}", str(tweet.id)).replace("{username}", user.username)
        got, head = client.get(concrete), client.head(concrete)
        assert head.status_code == got.status_code, (concrete, head.status_code)
        assert head.content == b"", concrete


def test_unknown_url_is_a_json_404(api_client, settings):
    settings.DEBUG = False
    response = api_client.get(f"{API}/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.parametrize(
    ("path", "body_of"),
    [
        ("/ping", lambda body: body["detail"]),
        ("/health/live", lambda body: body["detail"]),
        ("/health/ready", lambda body: body["detail"]),
        ("/.well-known/nodeinfo", lambda body: body["error"]),
        ("/nodeinfo/2.0", lambda body: body["error"]),
        ("/.well-known/oauth-authorization-server", lambda body: body["error"]),
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "delete", "options"])
def test_read_only_documents_answer_other_methods_with_a_json_405(path, body_of, method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "not allowed" in body_of(response.json())
    assert client.head(path).status_code == 200


@pytest.mark.parametrize(
    ("limit", "body", "code"),
    [
        (
            "DATA_UPLOAD_MAX_NUMBER_FILES",
            {f"f{n}": SimpleUploadedFile(f"{n}.png", b"x") for n in range(3)},
            "too_many_files",
        ),
        ("DATA_UPLOAD_MAX_NUMBER_FIELDS", {f"f{n}": "x" for n in range(3)}, "too_many_fields"),
    ],
)
def test_more_fields_or_files_than_allowed_is_a_400_naming_the_limit(
    auth_client, user, settings, limit, body, code
):
    setattr(settings, limit, 2)
    response = auth_client(user).post(f"{API}/media", body, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "At most 2" in response.json()["detail"]


def test_a_refused_csrf_check_is_json_but_a_browsers_form_gets_the_page():
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/api/schema/")  # the old address, a plain Django view
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    prefers_json = client.post("/api/schema/", HTTP_ACCEPT="application/json, text/html;q=0.1")
    assert prefers_json.json()["code"] == "csrf_failed"
    form = client.post("/admin/login/", {"username": "x"}, HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert form.status_code == 403
    assert form["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("limit", ["0", "-1", "abc", ""])
def test_invalid_limit_is_400(api_client, limit):
    response = api_client.get(f"{API}/accounts", {"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["fields"]


def test_huge_limit_is_clamped_to_100(api_client):
    UserFactory.create_batch(101)
    response = api_client.get(f"{API}/accounts", {"limit": 100000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


MALFORMED_CURSORS = [
    "garbage!",
    "bjpub3RhbnVtYmVy",
    "eDoxMg",
    "%%%",
    encode_cursor(True, 2**63),  # beyond every id a database holds
    encode_cursor(False, 2**64),
    "bjrCsg",  # "n:²": a digit, but not an ASCII one
]


@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
@pytest.mark.parametrize("path", ["accounts", "timelines/home"])
def test_malformed_cursor_is_400(auth_client, user, cursor, path):
    response = auth_client(user).get(f"{API}/{path}", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "cursor": [{"code": "invalid", "detail": "Invalid cursor."}]
    }


def test_previous_link_leads_back_to_the_same_page(api_client):
    UserFactory.create_batch(7)
    first = api_client.get(f"{API}/accounts", {"limit": 3}).json()
    second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()
    assert back["results"] == first["results"]
    assert back["previous"] is None


def test_openapi_schema_documents_the_api(api_client):
    response = api_client.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in [f"{API}/auth/signup", f"{API}/auth/token", f"{API}/accounts/me"]:
        assert path in schema["paths"], path
    list_params = {p["name"] for p in schema["paths"][f"{API}/accounts"]["get"]["parameters"]}
    assert {"cursor", "limit", "search"} <= list_params


def test_schema_generation_has_no_warnings(tmp_path, capsys):
    call_command("spectacular", "--file", str(tmp_path / "schema.yaml"), "--fail-on-warn")
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_swagger_ui_is_served_without_internet(api_client):
    response = api_client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(src|href)=\"https?://", html)
    assets = re.findall(r"/static/(drf_spectacular_sidecar/[^\"']+)", html)
    assert assets
    for asset in assets:
        assert finders.find(asset), asset


@pytest.mark.parametrize("accept", ["*/*", "text/html"])
def test_options_on_the_documentation_page_lists_its_methods(api_client, accept):
    response = api_client.options(f"{API}/docs/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    # The page is HTML only.
    assert api_client.options(f"{API}/docs/", HTTP_ACCEPT="application/json").status_code == 406


def test_browsable_api_session_login_works(client):
    user = UserFactory()
    page = client.get("/api-auth/login/")
    assert page.status_code == 200
    response = client.post(
        "/api-auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    me = client.get(f"{API}/accounts/me", HTTP_ACCEPT="text/html")
    assert me.status_code == 200
    assert user.username in me.content.decode()


def test_user_admin_searches_exact_username_email_or_id_in_any_case(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    found = UserFactory(username="Findable_One", email="Needle@Example.com")
    UserFactory(username="findable_two")
    client.force_login(admin)
    for term in ["findable_one", "NEEDLE@example.com", str(found.pk)]:
        response = client.get("/admin/accounts/user/", {"q": term})
        assert response.status_code == 200
        assert [u.pk for u in response.context["cl"].result_list] == [found.pk], term
    response = client.get("/admin/accounts/user/", {"q": "findable"})
    assert list(response.context["cl"].result_list) == []


def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
