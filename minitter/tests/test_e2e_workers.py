"""End to end with background workers: PostgreSQL, a real ``redis-server`` (cache and broker),
gunicorn, Celery worker processes and beat, all on loopback, driven over HTTP.

- a posted tweet reaches the followers' timelines through a worker, whose metrics (served on
  ``CELERY_WORKER_METRICS_BIND``) show the tasks' latency and the queue's length;
- a worker killed with SIGKILL in the middle of a fan-out, then replaced, leaves every follower
  with exactly one entry;
- while Redis is stopped the API keeps answering, posting included; what could not be enqueued is
  logged and counted, and beat sends it once Redis is back.

Run by ``make e2e``. Every process started here is stopped by PID (worker process groups by
group), every wait is bounded.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from contextlib import closing, suppress
from pathlib import Path

import psycopg2
import pytest
import requests

from core.testing import API, RedisServer, free_port
from minitter.tests.test_e2e_production import BASE_DIR, SECRET_KEY, Postgres, wait_until
from minitter.tests.test_operations import _metric

pytestmark = pytest.mark.e2e

FOLLOWERS = 1500
BATCH = 10


class Stack:
    def __init__(self, root: Path):
        self.root = root
        self.postgres = Postgres(root / "pg")
        # As production runs it (the compose file): a restart keeps queues and routing.
        self.redis = RedisServer(root, persistent=True)
        self.app_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.metrics_ports: dict[str, int] = {}
        self.env: dict = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def start(self):
        database_url = self.postgres.start()
        self.redis.start()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        self.env.update(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url,
            SECURE_SSL_REDIRECT="false",
            MINITTER_STORAGE="local",
            MEDIA_ROOT=str(self.root / "media"),
            MINITTER_VAR_DIR=str(self.root / "var"),
            REDIS_URL=self.redis.url,
            CELERY_BROKER_URL=self.redis.url.replace("/0", "/1"),
            CELERY_VISIBILITY_TIMEOUT="5",
            TIMELINE_FANOUT_BATCH_SIZE=str(BATCH),
            TIMELINE_WORK_RETRY_SECONDS="2",
            GUNICORN_BIND=f"127.0.0.1:{self.app_port}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
            DJANGO_SETTINGS_MODULE="minitter.settings",
        )
        self.manage("migrate", "--noinput")
        self.spawn(
            "app", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"]
        )
        wait_until(lambda: requests.get(f"{self.url}/health/live", timeout=2).ok, 60, "gunicorn")
        self.start_worker("worker1")
        self.spawn(
            "beat",
            ["celery", "-A", "minitter", "beat", "--loglevel=INFO", "-s", str(self.root / "beat")],
        )

    def manage(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            input=stdin,
            check=True,
            timeout=300,
            capture_output=True,
            text=True,
        ).stdout

    def spawn(self, name: str, command: list[str], **env: str):
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        if command[0] == "celery":
            command = [sys.executable, "-m", "celery", *command[1:]]
        # Own process group: a worker and its pool processes are killed together.
        self.processes[name] = subprocess.Popen(
            command, cwd=BASE_DIR, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def start_worker(self, name: str):
        metrics_dir = self.root / f"{name}-metrics"
        metrics_dir.mkdir()
        self.metrics_ports[name] = free_port()
        self.spawn(
            name,
            [
                "celery",
                "-A",
                "minitter",
                "worker",
                "-c",
                "2",
                "-n",
                f"{name}@%h",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            CELERY_WORKER_METRICS_BIND=f"127.0.0.1:{self.metrics_ports[name]}",
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        )
        wait_until(
            lambda: "ready" in (self.root / f"{name}.log").read_text(errors="replace"), 60, name
        )

    def kill(self, name: str, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)
        self.redis.stop()
        self.postgres.stop()

    def sql(self, query: str, params=()) -> list[tuple]:
        with (
            closing(psycopg2.connect(self.env["DATABASE_URL"])) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(query, params)
            return cursor.fetchall()


@pytest.fixture(scope="module")
def stack():
    if not RedisServer.installed():
        pytest.fail("redis-server is not installed: run `bash .ci/run` or apt-get install it")
    root = Path(tempfile.mkdtemp(prefix="minitter-e2e-workers-"))
    root.chmod(0o755)
    running = Stack(root)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for log in sorted(root.glob("*.log")):  # shown when a test failed
            print(f"--- {log.name}", log.read_text(errors="replace")[-3000:], sep="\n")
        shutil.rmtree(root, ignore_errors=True)


def account(stack) -> requests.Session:
    http = requests.Session()
    name = f"w_{uuid.uuid4().hex[:10]}"
    password = "a-worker-long-passphrase"
    signup = http.post(
        f"{stack.url}{API}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": password},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    tokens = http.post(
        f"{stack.url}{API}/auth/token", json={"username": name, "password": password}, timeout=10
    ).json()
    http.headers["Authorization"] = f"Bearer {tokens['access']}"
    http.username = name
    return http


def home_texts(stack, session) -> list[str]:
    response = session.get(f"{stack.url}{API}/timelines/home", timeout=10)
    assert response.status_code == 200
    return [item["text"] for item in response.json()["results"]]


def test_a_posted_tweet_reaches_followers_through_the_worker(stack):
    author = account(stack)
    followers = [account(stack) for _ in range(3)]
    for reader in followers:
        assert reader.post(f"{stack.url}{API}/accounts/{author.username}/follow", timeout=10).ok
    posted = author.post(f"{stack.url}{API}/tweets", json={"text": "via the worker"}, timeout=10)
    assert posted.status_code == 201
    for reader in followers:
        wait_until(lambda r=reader: "via the worker" in home_texts(stack, r), 30, "fan-out")
    assert "succeeded" in (stack.root / "worker1.log").read_text(errors="replace")

    metrics = requests.get(
        f"http://127.0.0.1:{stack.metrics_ports['worker1']}/metrics", timeout=10
    ).text
    plan = 'minitter_task_latency_seconds_count{task="tweets.tasks.timeline_fan_out_plan"}'
    assert _metric(metrics, plan) >= 1, metrics
    assert 'minitter_task_queue_length{queue="celery"}' in metrics, metrics


def test_a_worker_killed_mid_fan_out_loses_nothing_and_duplicates_nothing(stack):
    author = account(stack)
    prefix = f"{author.username}_"
    stack.manage(
        "shell",
        stdin=f"""
from accounts.models import User
from tweets.models import Follow
author = User.objects.get(username={author.username!r})
readers = User.objects.bulk_create(
    [User(username={prefix!r} + str(n), email={prefix!r} + str(n) + "@example.com", password="!")
     for n in range({FOLLOWERS})]
)
Follow.objects.bulk_create([Follow(follower=reader, followee=author) for reader in readers])
User.objects.filter(pk=author.pk).update(followers_count={FOLLOWERS})
""",
    )
    posted = author.post(f"{stack.url}{API}/tweets", json={"text": "to many"}, timeout=10)
    assert posted.status_code == 201
    tweet_id = int(posted.json()["id"])

    def entries() -> int:
        return stack.sql(
            "SELECT count(*) FROM tweets_timelineentry WHERE tweet_id = %s", [tweet_id]
        )[0][0]

    wait_until(lambda: entries() > 1, 60, "the fan-out to start")
    stack.kill("worker1")  # SIGKILL, pool processes included
    assert entries() < FOLLOWERS + 1, "the fan-out finished before the worker was killed"

    stack.start_worker("worker2")
    wait_until(lambda: entries() == FOLLOWERS + 1, 120, "the fan-out to complete")
    duplicates = stack.sql(
        "SELECT owner_id FROM tweets_timelineentry WHERE tweet_id = %s "
        "GROUP BY owner_id HAVING count(*) > 1",
        [tweet_id],
    )
    assert duplicates == []


def test_the_api_keeps_answering_while_redis_is_stopped_and_catches_up(stack):
    author, reader = account(stack), account(stack)
    assert reader.post(f"{stack.url}{API}/accounts/{author.username}/follow", timeout=10).ok
    metrics = lambda: requests.get(f"{stack.url}/metrics", timeout=10).content.decode()  # noqa: E731
    failed_before = _metric(metrics(), "minitter_task_enqueue_failed_total")

    stack.redis.stop()
    try:
        posted = author.post(f"{stack.url}{API}/tweets", json={"text": "while down"}, timeout=10)
        assert posted.status_code == 201
        assert home_texts(stack, author)[0] == "while down"
        assert requests.get(f"{stack.url}{API}/tweets/{posted.json()['id']}", timeout=10).ok
        ready = requests.get(f"{stack.url}/health/ready", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["checks"]["redis"] == "unavailable"
        assert _metric(metrics(), "minitter_task_enqueue_failed_total") > failed_before
        log = (stack.root / "app.log").read_text(errors="replace")
        tweet_id = posted.json()["id"]
        assert (
            f"could not enqueue tweets.tasks.timeline_fan_out_plan {{'tweet_id': {tweet_id}}}"
            in log
        )
        pending = stack.sql("SELECT kind, object_id FROM tweets_timelinework")
        assert ("fan_out", int(posted.json()["id"])) in pending
    finally:
        stack.redis.start()

    wait_until(lambda: "while down" in home_texts(stack, reader), 180, "catching up")
    wait_until(
        lambda: stack.sql("SELECT count(*) FROM tweets_timelinework")[0][0] == 0, 30, "outbox"
    )
    for log in stack.root.glob("worker*.log"):  # reconnected, never gave up (core/broker.py)
        assert "Unrecoverable error" not in log.read_text(errors="replace"), log.name
