"""End to end on two real PostgreSQL servers: a primary and a streaming replica made with
``pg_basebackup`` on loopback, and gunicorn with ``DATABASE_REPLICA_URLS``. With the replica's
replay paused (a replica lagging as much as we like), safe requests of other users read the
replica and do not see a new tweet yet, while its author reads their own write from the primary;
once replay resumes, everyone sees it.

Run by ``make e2e``. Every server started here is stopped by PID, every wait is bounded.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import psycopg2
import pytest
import requests

from core.testing import API, RedisServer, free_port
from minitter.tests.test_e2e_production import BASE_DIR, SECRET_KEY, wait_until

pytestmark = pytest.mark.e2e


def postgres(*args: str) -> str:
    result = subprocess.run(
        ["bash", str(BASE_DIR / ".ci/postgres"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@contextmanager
def superuser(port: int):
    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="minitter")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def replay_lsn_caught_up(primary: int, replica: int) -> bool:
    with superuser(primary) as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (written,) = cursor.fetchone()
    with superuser(replica) as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
        return cursor.fetchone()[0]


@contextmanager
def replica_cluster(*, redis: bool):
    """A primary, a streaming replica and gunicorn reading from it; with ``redis``, Redis as the
    shared cache too (pages and token accounts kept there, ``core/copies.py``)."""
    root = Path(tempfile.mkdtemp(prefix="minitter-e2e-replica-"))
    root.chmod(0o755)
    ports = {"primary": free_port(), "replica": free_port(), "app": free_port()}
    app = cache = None
    try:
        primary_url = postgres("start", str(root / "primary"), str(ports["primary"]))
        replica_url = postgres(
            "replica", str(root / "replica"), str(ports["replica"]), str(ports["primary"])
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=primary_url,
            DATABASE_REPLICA_URLS=replica_url,
            DATABASE_REPLICA_PIN_SECONDS="600",
            DB_CONNECT_TIMEOUT="2",
            SECURE_SSL_REDIRECT="false",
            MINITTER_STORAGE="local",
            MEDIA_ROOT=str(root / "media"),
            GUNICORN_BIND=f"127.0.0.1:{ports['app']}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
            DJANGO_SETTINGS_MODULE="minitter.settings",
        )
        if redis:
            cache = RedisServer(root).start()
            env["REDIS_URL"] = cache.url
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )
        log = open(root / "app.log", "wb")  # noqa: SIM115 (closed with the process)
        app = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{ports['app']}"
        wait_until(lambda: requests.get(f"{url}/health/live", timeout=2).ok, 60, "gunicorn")
        yield {"url": url, "env": env, **ports}
    finally:
        if (root / "app.log").exists():  # shown when a test failed
            print((root / "app.log").read_text(errors="replace")[-5000:])
        if app is not None:
            app.terminate()
            try:
                app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                app.kill()
        postgres("stop", str(root / "replica"))
        postgres("stop", str(root / "primary"))
        if cache is not None:
            cache.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    with replica_cluster(redis=False) as running:
        yield running


def caught_up(cluster) -> None:
    """Wait until the replica has replayed everything the primary wrote."""
    wait_until(partial(replay_lsn_caught_up, cluster["primary"], cluster["replica"]), 30, "replay")


@contextmanager
def lagging(cluster):
    """The replica lags while inside (its replay paused); after, it has caught up."""
    caught_up(cluster)
    with superuser(cluster["replica"]) as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with superuser(cluster["replica"]) as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    caught_up(cluster)


def account(url: str) -> requests.Session:
    http = requests.Session()
    name = f"r_{uuid.uuid4().hex[:10]}"
    password = "a-replica-long-passphrase"
    signup = http.post(
        f"{url}{API}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": password},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    tokens = http.post(
        f"{url}{API}/auth/token", json={"username": name, "password": password}, timeout=10
    ).json()
    http.headers["Authorization"] = f"Bearer {tokens['access']}"
    http.username = name
    return http


def test_authors_read_their_writes_while_others_read_the_lagging_replica(cluster):
    url = cluster["url"]
    author, reader = account(url), account(url)
    # A brand-new account reads itself at once, even before the replica has it.
    assert reader.get(f"{url}{API}/accounts/me", timeout=10).status_code == 200
    wait_until(lambda: replay_lsn_caught_up(cluster["primary"], cluster["replica"]), 30, "replica")

    with superuser(cluster["replica"]) as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        posted = author.post(f"{url}{API}/tweets", json={"text": "fresh"}, timeout=10)
        assert posted.status_code == 201
        tweet_url = f"{url}{API}/tweets/{posted.json()['id']}"

        # The author is pinned to the primary: their own tweet, profile count and timeline.
        assert author.get(tweet_url, timeout=10).status_code == 200
        timeline = author.get(f"{url}{API}/timelines/home", timeout=10).json()["results"]
        assert [item["text"] for item in timeline] == ["fresh"]
        # Everyone else reads the paused replica, which has not seen the tweet.
        assert reader.get(tweet_url, timeout=10).status_code == 404
        assert requests.get(tweet_url, timeout=10).status_code == 404
        profile = requests.get(f"{url}{API}/accounts/{author.username}", timeout=10).json()
        assert profile["tweets_count"] == 0
    finally:
        with superuser(cluster["replica"]) as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")

    wait_until(lambda: reader.get(tweet_url, timeout=10).status_code == 200, 30, "replay")
    assert requests.get(tweet_url, timeout=10).status_code == 200
