"""Authentication in the OpenAPI schema and in Swagger UI: public reads declare an optional
bearer token, writes a required one; in headless Chromium (skipped when it is not installed)
padlocks say whether a token will be sent, public reads are marked as taking an optional token,
and Authorize with a JWT closes the padlocks."""

import time

import pytest

from core.testing import API
from core.testing.browser import Browser, chromium_path

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")

SUMMARY = (
    "(() => {{ const path = [...document.querySelectorAll('.opblock-{method}"
    " .opblock-summary-path')].find((p) => p.dataset.path === '{path}');"
    " const block = path.closest('.opblock-summary');"
    " return {{ text: block.innerText,"
    " padlock: block.querySelector('.authorization__btn')?.getAttribute('aria-label') }}; }})()"
)


@pytest.mark.django_db
def test_schema_declares_optional_tokens_for_public_reads_and_required_ones_for_writes(api_client):
    schema = api_client.get(f"{API}/schema/", {"format": "json"}).json()
    assert list(schema["components"]["securitySchemes"]) == ["bearerAuth"]
    assert "Authorize" in schema["components"]["securitySchemes"]["bearerAuth"]["description"]
    operations = schema["paths"]
    assert operations[f"{API}/tweets"]["get"]["security"] == [{"bearerAuth": []}, {}]
    assert operations[f"{API}/tweets"]["post"]["security"] == [{"bearerAuth": []}]
    assert operations[f"{API}/timelines/home"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in operations[f"{API}/auth/token"]["post"]
    assert "Authorize" in schema["info"]["description"]


def summary(browser, method: str, path: str) -> dict:
    return browser.evaluate(SUMMARY.format(method=method, path=f"{API}{path}"))


@pytest.fixture
def swagger(live_server):
    browser = Browser(width=1280, height=900)
    try:
        browser.open(f"{live_server.url}{API}/docs/")
        deadline = time.monotonic() + 30
        while not browser.evaluate("document.querySelectorAll('.opblock').length"):
            assert time.monotonic() < deadline, "Swagger UI did not render the operations"
            time.sleep(0.2)
        yield browser
    finally:
        browser.close()


@needs_chromium
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps migration data
def test_padlocks_show_whether_a_token_is_sent(swagger):
    public = summary(swagger, "get", "/tweets")
    write = summary(swagger, "post", "/tweets")
    login = summary(swagger, "post", "/auth/token")
    assert public["padlock"] == "authorization button unlocked"
    assert "token optional" in public["text"]
    assert write["padlock"] == "authorization button unlocked"
    assert "token optional" not in write["text"]
    assert login.get("padlock") is None  # logging in takes no token at all

    swagger.evaluate("ui.preauthorizeApiKey('bearerAuth', 'a-jwt-access-token'), null")
    deadline = time.monotonic() + 10
    while summary(swagger, "post", "/tweets")["padlock"] != "authorization button locked":
        assert time.monotonic() < deadline, "Authorize did not close the padlocks"
        time.sleep(0.2)
    assert summary(swagger, "get", "/tweets")["padlock"] == "authorization button locked"
    assert "Authorize" in swagger.evaluate("document.querySelector('.info').innerText")
