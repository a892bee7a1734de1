"""End to end, the way production runs: PostgreSQL, two gunicorn instances, the real nginx with
``nginx/minitter.conf``, all on loopback ports, driven over HTTP through nginx.

Run by ``make e2e`` (``.ci/run`` installs nginx and PostgreSQL first). Every server started here is
stopped by PID at the end, and every wait is bounded.
"""

import gzip
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image

from core.testing import API, free_port

pytestmark = pytest.mark.e2e

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET_KEY = "e2e-" + "x7Kq2mZ9" * 8


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Postgres:
    """A throwaway cluster run by .ci/postgres (installs PostgreSQL if it is missing)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()

    def start(self) -> str:
        result = subprocess.run(
            ["bash", str(BASE_DIR / ".ci/postgres"), "start", str(self.directory), str(self.port)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]

    def stop(self):
        subprocess.run(
            ["bash", str(BASE_DIR / ".ci/postgres"), "stop", str(self.directory)],
            timeout=60,
            check=False,
        )


class Stack:
    def __init__(self, root: Path):
        self.root = root
        self.processes: dict[str, subprocess.Popen] = {}
        self.app_ports = [free_port(), free_port()]
        self.nginx_port = free_port()
        self.static_root = root / "static"
        self.media_root = root / "media"
        self.postgres = Postgres(root / "pg")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def app_env(self, database_url: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=database_url,
            DB_CONNECT_TIMEOUT="2",
            SECURE_SSL_REDIRECT="false",  # TLS ends before nginx in this test
            NUM_PROXIES="1",
            STATIC_ROOT=str(self.static_root),
            MEDIA_ROOT=str(self.media_root),
            MINITTER_STORAGE="local",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="2",
            DJANGO_SETTINGS_MODULE="minitter.settings",
        )
        return env

    def manage(self, env: dict, *args: str):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )

    def start_app(self, index: int, env: dict):
        port = self.app_ports[index]
        log = open(self.root / f"app{index}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.processes[f"app{index}"] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"],
            cwd=BASE_DIR,
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "PROMETHEUS_MULTIPROC_DIR": str(self.root / f"prometheus{index}"),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: requests.get(f"http://127.0.0.1:{port}/health/live", timeout=2).ok,
            60,
            f"gunicorn instance {index}",
        )

    def nginx_config(self) -> Path:
        """The project's config with this test's ports and paths, inside a minimal nginx.conf."""
        site = (BASE_DIR / "nginx/minitter.conf").read_text()
        replacements = {
            "include /etc/nginx/minitter-upstream.conf;": f"include {self.root}/upstream.conf;",
            "listen 80;": f"listen 127.0.0.1:{self.nginx_port};",
            "/srv/minitter/staticfiles/": f"{self.static_root}/",
            "/srv/minitter/media/": f"{self.media_root}/",
        }
        for old, new in replacements.items():
            assert old in site, old
            site = site.replace(old, new)
        (self.root / "minitter.conf").write_text(site)
        upstream = (BASE_DIR / "nginx/upstream.conf.example").read_text()
        upstream = upstream.replace("127.0.0.1:8001", f"127.0.0.1:{self.app_ports[0]}")
        upstream = upstream.replace("127.0.0.1:8002", f"127.0.0.1:{self.app_ports[1]}")
        (self.root / "upstream.conf").write_text(upstream)
        temp = self.root / "nginx-temp"
        temp.mkdir()
        config = self.root / "nginx.conf"
        config.write_text(
            f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {self.root}/nginx.pid;
error_log {self.root}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {self.root}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    # Lets the test pose as a client from outside the internal network.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Test-Client-Address;
    include {self.root}/minitter.conf;
}}
"""
        )
        return config

    def start_nginx(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        config = self.nginx_config()
        subprocess.run(
            [nginx, "-t", "-c", str(config)], check=True, timeout=30, capture_output=True
        )
        self.processes["nginx"] = subprocess.Popen(
            [nginx, "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: requests.get(f"{self.url}/ping", timeout=2).ok, 30, "nginx")

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.postgres.stop()

    def log_lines(self, index: int) -> list[dict]:
        lines = []
        for raw in (self.root / f"app{index}.log").read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines


@pytest.fixture(scope="module")
def stack():
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail("nginx is not installed: run `bash .ci/run` or `apt-get install nginx`")
    # Not pytest's tmp_path: PostgreSQL runs as its own user and must be able to reach the folder.
    root = Path(tempfile.mkdtemp(prefix="minitter-e2e-"))
    root.chmod(0o755)
    running = Stack(root)
    try:
        env = running.app_env(running.postgres.start())
        running.manage(env, "migrate", "--noinput")
        running.manage(env, "collectstatic", "--noinput")
        running.media_root.mkdir()
        for index in (0, 1):
            running.start_app(index, env)
        running.start_nginx()
        yield running
    finally:
        running.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def session(stack):
    """A user signed up and logged in through nginx."""
    http = requests.Session()
    name = f"e2e_{uuid.uuid4().hex[:8]}"
    password = "an-e2e-long-passphrase"
    response = http.post(
        f"{stack.url}{API}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": password},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    tokens = http.post(
        f"{stack.url}{API}/auth/token",
        json={"username": name, "password": password},
        timeout=10,
    ).json()
    http.headers["Authorization"] = f"Bearer {tokens['access']}"
    return http


def test_post_read_timeline_and_upload_avatar_through_nginx(stack, session):
    posted = session.post(f"{stack.url}{API}/tweets", json={"text": "through nginx"}, timeout=10)
    assert posted.status_code == 201
    timeline = session.get(f"{stack.url}{API}/timelines/home", timeout=10).json()
    assert [t["text"] for t in timeline["results"]] == ["through nginx"]

    picture = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 128, 255)).save(picture, format="JPEG")
    avatar = session.put(
        f"{stack.url}{API}/accounts/me/avatar",
        files={"file": ("me.jpg", picture.getvalue(), "image/jpeg")},
        timeout=20,
    )
    assert avatar.status_code == 200, avatar.text
    avatar_url = avatar.json()["avatar_url"]
    assert avatar_url.startswith(f"{stack.url}/media/")
    served = requests.get(avatar_url, timeout=10)  # by nginx, from MEDIA_ROOT
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]


def test_a_tweets_page_and_its_link_through_nginx(stack, session):
    """The page a shared link opens, its address as apps get it (Mastodon's ``url``) and the
    search that resolves it, all with the public address nginx is reached at."""
    posted = session.post(f"{stack.url}{API}/tweets", json={"text": "a page"}, timeout=10).json()
    name = posted["author"]["username"]
    address = f"{stack.url}/@{name}/{posted['id']}"
    page = requests.get(address, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    assert f'<link rel="canonical" href="{address}">' in page.text
    status = requests.get(f"{stack.url}/api/v1/statuses/{posted['id']}", timeout=10).json()
    assert status["url"] == address
    found = requests.get(f"{stack.url}/api/v2/search", params={"q": address}, timeout=10).json()
    assert [found_status["id"] for found_status in found["statuses"]] == [posted["id"]]


def test_uploads_over_the_limit_are_refused_by_nginx(stack, session):
    response = session.post(
        f"{stack.url}{API}/media",
        files={"file": ("big.jpg", b"\0" * (10 * 1024 * 1024), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def raw_request(port: int, head: bytes) -> tuple[int, bytes, bytes]:
    """Send ``head`` as it is (no client library would) and return (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    headers, _, body = reply.partition(b"\r\n\r\n")
    return int(headers.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_line", "status", "code"),
    [
        (b"GET /ping HTTP/0.9", 400, "bad_request"),
        (b"GET /../../etc/passwd HTTP/1.1", 400, "bad_request"),
        (b"OPTIONS * HTTP/1.1", 400, "bad_request"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1", 414, "uri_too_long"),
    ],
    ids=["http-0.9", "dot-dot", "asterisk", "long-uri"],
)
def test_request_lines_nginx_cannot_read_answer_a_json_error(stack, request_line, status, code):
    """nginx answers these itself, before it knows a URI (its own HTML 500 page until its error
    pages stopped going to a named location)."""
    answer = raw_request(
        stack.nginx_port, request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    assert answer[0] == status
    assert b"application/json" in answer[1]
    assert json.loads(answer[2])["code"] == code


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        ("GET", "/media/no/such/file.jpg", {}, 404, "not_found"),
        ("GET", "/media/", {}, 403, "permission_denied"),
        (
            "POST",
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
            {},
            405,
            "method_not_allowed",
        ),
        (
            "GET",
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
            {"Range": "bytes=999999999-", "Accept-Encoding": "identity"},
            416,
            "range_not_satisfiable",
        ),
    ],
    ids=["missing-upload", "directory", "post-to-a-file", "range"],
)
def test_what_nginx_refuses_itself_for_files_is_a_json_error(
    stack, method, path, headers, status, code
):
    response = requests.request(method, stack.url + path, headers=headers, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    # The app's own errors pass through as the app wrote them.
    assert requests.get(f"{stack.url}{API}/tweets/1", timeout=10).json()["code"] == "not_found"


def test_login_limit_holds_across_instances_and_workers(stack):
    """Two instances of two workers behind nginx share one set of throttle counters (the
    database cache): 10 wrong passwords a minute per username, wherever they land."""
    name = f"victim_{uuid.uuid4().hex[:8]}"
    statuses = [
        requests.post(
            f"{stack.url}{API}/auth/token",
            json={"username": name, "password": f"guess-{n}"},
            timeout=10,
        ).status_code
        for n in range(14)
    ]
    assert statuses == [401] * 10 + [429] * 4


def test_static_files_and_gzip_are_served_by_nginx(stack):
    asset = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert requests.get(stack.url + asset, timeout=10).status_code == 200
    schema = requests.get(
        f"{stack.url}{API}/schema/?format=json",
        headers={"Accept-Encoding": "gzip"},
        timeout=10,
        stream=True,
    )
    assert schema.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(schema.raw.read()))["openapi"].startswith("3.")


def test_request_id_round_trip_and_json_log_line(stack, session):
    request_id = f"e2e-{uuid.uuid4().hex}"
    response = session.get(
        f"{stack.url}{API}/accounts/me", headers={"X-Request-ID": request_id}, timeout=10
    )
    assert response.headers["X-Request-ID"] == request_id
    generated = requests.get(f"{stack.url}/ping", timeout=10).headers["X-Request-ID"]
    assert generated

    def logged():
        lines = stack.log_lines(0) + stack.log_lines(1)
        return [line for line in lines if line.get("request_id") == request_id]

    wait_until(lambda: logged(), 10, "the request's log line")
    line = logged()[0]
    assert line["path"] == f"{API}/accounts/me"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["user_id"] == int(response.json()["id"])
    assert line["duration_ms"] >= 0


def test_metrics_are_internal_only_and_count_across_workers(stack, session):
    outside = requests.get(
        f"{stack.url}/metrics", headers={"X-Test-Client-Address": "203.0.113.7"}, timeout=10
    )
    assert outside.status_code == 403
    inside = requests.get(f"{stack.url}/metrics", timeout=10)
    assert inside.status_code == 200
    assert "minitter_tweets_total" in inside.text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in inside.text


def test_requests_keep_succeeding_when_an_instance_dies(stack, session):
    stack.processes["app0"].send_signal(signal.SIGKILL)
    stack.processes["app0"].wait(timeout=10)
    for n in range(12):
        assert session.get(f"{stack.url}{API}/timelines/home", timeout=10).status_code == 200
        posted = session.post(f"{stack.url}{API}/tweets", json={"text": f"after {n}"}, timeout=10)
        assert posted.status_code == 201


def test_database_outage_shows_in_readiness_and_recovers_without_restart(stack, session):
    assert requests.get(f"{stack.url}/health/ready", timeout=10).status_code == 200
    stack.postgres.stop()
    try:
        ready = requests.get(f"{stack.url}/health/ready", timeout=15)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "unavailable"
        assert requests.get(f"{stack.url}/health/live", timeout=10).status_code == 200
    finally:
        stack.postgres.start()
    wait_until(
        lambda: requests.get(f"{stack.url}/health/ready", timeout=10).status_code == 200,
        60,
        "readiness after the database came back",
    )
    timeline = session.get(f"{stack.url}{API}/timelines/home", timeout=10)
    assert timeline.status_code == 200
    assert timeline.json()["results"]
