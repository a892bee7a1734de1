"""Real Mastodon clients against a live server: gunicorn on PostgreSQL, on loopback.

- Mastodon.py (the PyPI package ``mastodon-py``) runs a day of use: register an app, log in,
  post with a picture (and retry a post with its Idempotency-Key), page the home timeline,
  follow, favourite, reblog, bookmark, read a thread, read notifications and set the read
  markers, search (accounts and v2), block.
- The authorization-code flow driven with a plain HTTP client, as a browser would: fill in the
  HTML login page, follow the redirect, exchange the code with a PKCE verifier.

Run by ``make e2e``. Every server started here is stopped by PID; every wait is bounded.
"""

import base64
import hashlib
import io
import os
import re
import secrets
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from PIL import Image

from core.testing import API, free_port, wait_for_port

pytestmark = pytest.mark.e2e

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET_KEY = "e2e-mastodon-" + "q8Zr4nW1" * 7
PASSWORD = "a-long-e2e-passphrase"
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the test reads the redirect


def _postgres(command: str, directory: Path, port: int | None = None) -> str:
    args = ["bash", str(BASE_DIR / ".ci/postgres"), command, str(directory)]
    if port is not None:
        args.append(str(port))
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@pytest.fixture(scope="module")
def server():
    """The base URL of gunicorn serving minitter on a throwaway PostgreSQL."""
    root = Path(tempfile.mkdtemp(prefix="minitter-mastodon-e2e-"))
    root.chmod(0o755)
    process = None
    try:
        database_url = _postgres("start", root / "pg", free_port())
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=database_url,
            # Plain HTTP on loopback: the login page's cookies cannot be Secure here.
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            MEDIA_ROOT=str(root / "media"),
            DJANGO_SETTINGS_MODULE="minitter.settings",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )
        log = open(root / "gunicorn.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port, timeout=60, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        _postgres("stop", root / "pg")
        subprocess.run(["rm", "-rf", str(root)], check=False, timeout=60)


def signup(server) -> str:
    name = f"m_{uuid.uuid4().hex[:10]}"
    response = requests.post(
        f"{server}{API}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return name


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_mastodon_py_scenario(server):
    from mastodon import Mastodon

    scopes = ["read", "write", "follow", "push"]
    alice, bob = signup(server), signup(server)
    client_id, client_secret = Mastodon.create_app(
        "minitter e2e", scopes=scopes, api_base_url=server
    )

    def logged_in(username):
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
        api.log_in(username, PASSWORD, scopes=scopes, allow_http=True)
        return api

    a, b = logged_in(alice), logged_in(bob)
    assert a.retrieve_mastodon_version()
    me = a.account_verify_credentials()
    assert me.acct == alice
    them = b.account_verify_credentials()

    relationship = a.account_follow(them.id)
    assert relationship.following

    media = b.media_post(png(), mime_type="image/png", description="a red square")
    assert media.url and media.meta.original.width == 120
    first = b.status_post(f"hello @{alice} #minitter", media_ids=[media])
    assert first.media_attachments[0].id == media.id
    assert first.mentions[0].acct == alice
    described = b.generate_media_edit_attributes(media.id, description="a redder square")
    edited = b.status_update(first.id, f"hello @{alice} #minitter", media_attributes=[described])
    assert edited.edited_at and edited.media_attachments[0].description == "a redder square"
    history = b.status_history(first.id)
    assert [version.media_attachments[0].description for version in history] == [
        "a red square",
        "a redder square",
    ]
    for n in range(24):
        key = secrets.token_hex(8)
        last = b.status_post(f"post {n}", idempotency_key=key)
    assert b.status_post("post 23", idempotency_key=key).id == last.id  # a retry posts nothing

    page = a.timeline_home(limit=20)
    assert len(page) == 20 and page[0].id == last.id
    rest = a.fetch_next(page)
    assert len(rest) == 5 and rest[-1].id == first.id and rest[0].id < page[-1].id
    assert a.fetch_next(rest) == []

    favourited = a.status_favourite(first.id)
    assert favourited.favourited and favourited.favourites_count == 1
    reply = a.status_post("a reply", in_reply_to_id=first.id)
    context = b.status_context(reply.id)
    assert [status.id for status in context.ancestors] == [first.id]

    reblog = a.status_reblog(first.id)
    assert reblog.reblog.id == first.id and reblog.reblog.reblogged
    assert a.status_bookmark(first.id).bookmarked
    assert [status.id for status in a.bookmarks()] == [first.id]

    notifications = b.notifications()
    assert {n.type for n in notifications} == {"follow", "favourite", "reblog", "mention"}
    assert b.notifications_unread_count().count == len(notifications)
    markers = b.markers_set(["notifications", "home"], [notifications[0].id, last.id])
    assert str(markers.notifications.last_read_id) == str(notifications[0].id)
    read = b.markers_get(["home", "notifications"])
    assert str(read.home.last_read_id) == str(last.id) and read.notifications.version == 1
    assert b.notifications_unread_count().count == 0

    found = a.search_v2("hello")
    assert [status.id for status in found.statuses] == [first.id]
    assert [tag.name for tag in found.hashtags] == ["hello"]
    assert [account.acct for account in a.search_v2(bob, result_type="accounts").accounts] == [bob]
    assert [account.acct for account in a.account_search(bob[:6])] == [bob]
    assert a.account_relationships([them.id])[0].following

    blocked = a.account_block(them.id)
    assert blocked.blocking and not blocked.following
    assert [account.id for account in a.blocks()] == [them.id]
    assert all(status.account.id != them.id for status in a.timeline_home())
    assert a.app_verify_credentials().name == "minitter e2e"
    a.revoke_access_token(allow_http=True)


def test_authorization_code_flow_with_the_html_login_page(server):
    username = signup(server)
    http = requests.Session()
    app = http.post(
        f"{server}/api/v1/apps",
        data={"client_name": "web", "redirect_uris": CALLBACK, "scopes": "read write"},
        timeout=10,
    ).json()
    verifier = base64.urlsafe_b64encode(os.urandom(40)).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "read write",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page = http.get(f"{server}/oauth/authorize?{query}", timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)[1].replace("&amp;", "&")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    approved = http.post(
        server + action,
        data={
            "csrfmiddlewaretoken": csrf,
            "username": username,
            "password": PASSWORD,
            "decision": "approve",
        },
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert approved.status_code == 302, approved.text
    location = urlsplit(approved.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    params = parse_qs(location.query)
    assert params["state"] == ["s1"]
    token = requests.post(
        f"{server}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    me = requests.get(
        f"{server}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=10,
    )
    assert me.json()["username"] == username
