"""Security headers: a CSP on HTML pages that those pages satisfy (no inline scripts), nosniff,
a referrer policy, and HSTS in production."""

import re

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API

pytestmark = pytest.mark.django_db

HTML_PAGES = [
    f"{API}/",
    f"{API}/tweets",
    f"{API}/docs/",
    "/api-auth/login/",
    "/admin/login/",
    "/admin/",
    "/admin/accounts/user/",
]


def inline_scripts(html: str) -> list[str]:
    """Executable <script> blocks written into the page (JSON data blocks do not run)."""
    found = []
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        if "src=" in attributes or "application/json" in attributes:
            continue
        if body.strip():
            found.append(body.strip()[:80])
    return found


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_have_a_csp_they_satisfy(client, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path, HTTP_ACCEPT="text/html", follow=True)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert inline_scripts(response.content.decode()) == [], path
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_swagger_ui_set_up_script_is_served_from_the_site(client):
    response = client.get(f"{API}/docs/?script=")
    assert response.status_code == 200
    assert "application/javascript" in response["Content-Type"]
    assert "SwaggerUIBundle" in response.content.decode()


def test_json_answers_carry_nosniff_but_no_csp(api_client):
    response = api_client.get(f"{API}/tweets")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response


def test_hsts_is_sent_over_tls_in_production(api_client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = api_client.get(f"{API}/tweets", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
