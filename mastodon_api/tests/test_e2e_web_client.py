"""A Mastodon web client in a real browser: masto.js (npm, bundled with esbuild) in headless
Chromium, served from another origin than the API.

The page registers an app, sends the person to the HTML login page, takes the code back with PKCE
and reads the home timeline: CORS, the login page and the code flow as a web client such as Elk
or Phanpy uses them. Run by ``make e2e``, which installs the page's npm packages first.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from core.testing import API, free_port, wait_for_port
from core.testing.browser import Browser, chromium_path
from mastodon_api.tests import test_e2e_clients as clients

pytestmark = pytest.mark.e2e

WEBCLIENT = Path(__file__).resolve().parent / "webclient"
ESBUILD = WEBCLIENT / "node_modules/.bin/esbuild"

server = clients.server  # the same live gunicorn on PostgreSQL


@pytest.fixture
def web_client_site(tmp_path) -> Path:
    """The bundled page in a directory of its own."""
    assert ESBUILD.exists(), "run: npm ci --prefix mastodon_api/tests/webclient (make e2e does)"
    site = tmp_path / "site"
    subprocess.run(
        [str(ESBUILD), "src/app.js", "--bundle", "--format=iife", f"--outfile={site}/app.js"],
        cwd=WEBCLIENT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    (site / "index.html").write_text((WEBCLIENT / "src/index.html").read_text())
    return site


def test_masto_js_web_client_logs_in_from_another_origin_and_reads_home(server, web_client_site):
    assert chromium_path(), "Chromium is not installed (Debian package chromium)"
    username = clients.signup(server)
    access = requests.post(
        f"{server}{API}/auth/token",
        json={"username": username, "password": clients.PASSWORD},
        timeout=10,
    ).json()["access"]
    posted = requests.post(
        f"{server}{API}/tweets",
        json={"text": "hello from the browser test"},
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text

    port = free_port()
    pages = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=web_client_site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    browser = None
    try:
        wait_for_port(port, timeout=30, process=pages)
        browser = Browser()
        browser.open(f"http://127.0.0.1:{port}/index.html?server={server}")
        login_form = (
            "location.pathname === '/oauth/authorize' && !!document.getElementById('password')"
        )
        assert poll(browser, login_form), browser.evaluate("document.body.innerText")
        browser.evaluate(
            f"document.getElementById('username').value = {username!r};"
            f"document.getElementById('password').value = {clients.PASSWORD!r};"
            "document.getElementById('approve').click(); true"
        )
        result = poll(browser, "window.clientResult || null")
    finally:
        if browser is not None:
            browser.close()
        pages.terminate()
        pages.wait(timeout=10)
    assert result == {
        "ok": True,
        "acct": username,
        "scope": "read write",
        "home": ["<p>hello from the browser test</p>"],
    }


def poll(browser, expression: str, attempts: int = 150):
    """The expression's value once it is truthy (pages navigate meanwhile), at most ~30 s."""
    for _ in range(attempts):
        try:
            value = browser.evaluate(expression)
        except RuntimeError:  # the page is navigating
            value = None
        if value:
            return value
        time.sleep(0.2)
    return None
