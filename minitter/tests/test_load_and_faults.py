"""Load with faults, the way production runs (PostgreSQL, two gunicorn instances, the real nginx,
an S3-protocol store): 32 clients for ``MINITTER_LOAD_SECONDS`` (60 in CI) mixing sign-ups,
posts, replies, likes, follows, uploads and timeline reads, while PostgreSQL is stopped and
restarted, then frozen (SIGSTOP), and at last the S3 store is stopped.

Afterwards: no 5xx except fast 503s while a dependency was down (uploads only, for the store),
every acknowledged write present exactly once, every counter equal to its rows, no duplicate in
any timeline. Run by ``make load`` (``.ci/run``); prints the figures of the run.
"""

import io
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import psycopg2
import pytest
import requests
from PIL import Image

from core.testing import API, free_port, wait_for_port
from minitter.tests.test_e2e_production import BASE_DIR, Stack, wait_until

pytestmark = pytest.mark.load

CLIENTS = 32
SECONDS = float(os.environ.get("MINITTER_LOAD_SECONDS", "60"))
FAULT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 5000
# A frozen server is given up on one second after the statement timeout (core.db): the freeze
# outlasts that, so every request caught inside it ends in a 503 rather than waiting it out.
FREEZE_SECONDS = STATEMENT_TIMEOUT_MS / 1000 + 3
GRACE_SECONDS = 3  # requests sent just before a dependency came back may still get a 503
PASSWORD = "a-load-test-passphrase"
S3_CREDENTIALS = {"aws_access_key_id": "minitter-load", "aws_secret_access_key": "minitter-load"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (random.randrange(256), 80, 160)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Outcome:
    kind: str
    started: float
    finished: float
    status: int  # 0: no answer (the client gave up)
    retry_after: bool = False
    code: str = ""  # the error's code: the app's, or nginx's own when no instance answered
    request_id: str = ""  # sent by the client: the instances log it


@dataclass
class Acknowledged:
    users: set = field(default_factory=set)  # usernames
    tweets: dict = field(default_factory=dict)  # id -> text
    likes: set = field(default_factory=set)  # (username, tweet id)
    follows: set = field(default_factory=set)  # (follower, followee)
    media: set = field(default_factory=set)  # ids


class Client:
    def __init__(self, base: str, record, acknowledged: Acknowledged, lock: threading.Lock):
        self.base = base
        self.http = requests.Session()
        self.record = record
        self.ack = acknowledged
        self.lock = lock
        self.username = None

    def call(self, kind: str, method: str, path: str, **kwargs):
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        started = time.monotonic()
        try:
            response = self.http.request(
                method, f"{self.base}{API}{path}", timeout=20, headers=headers, **kwargs
            )
        except requests.RequestException:
            self.record(Outcome(kind, started, time.monotonic(), 0, request_id=request_id))
            return None
        code = ""
        if response.status_code >= 400:
            with suppress(ValueError, AttributeError):
                code = response.json().get("code", "")
        self.record(
            Outcome(
                kind,
                started,
                time.monotonic(),
                response.status_code,
                "Retry-After" in response.headers,
                code,
                request_id,
            )
        )
        return response

    def sign_up(self) -> bool:
        name = f"load_{uuid.uuid4().hex[:12]}"
        response = self.call(
            "signup",
            "POST",
            "/auth/signup",
            json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        )
        if response is None or response.status_code != 201:
            return False
        with self.lock:
            self.ack.users.add(name)
        tokens = self.call(
            "login", "POST", "/auth/token", json={"username": name, "password": PASSWORD}
        )
        if tokens is None or tokens.status_code != 200:
            return False
        self.username = name
        self.http.headers["Authorization"] = f"Bearer {tokens.json()['access']}"
        return True

    def known(self, what: str):
        with self.lock:
            pool = list(self.ack.tweets) if what == "tweet" else list(self.ack.users)
        return random.choice(pool) if pool else None

    def post(self, kind: str, in_reply_to=None, media_id=None):
        text = f"{kind} {uuid.uuid4().hex}"
        body = {"text": text}
        if in_reply_to is not None:
            body["in_reply_to"] = str(in_reply_to)
        if media_id is not None:
            body["media_ids"] = [str(media_id)]
        response = self.call(kind, "POST", "/tweets", json=body)
        if response is not None and response.status_code == 201:
            with self.lock:
                self.ack.tweets[int(response.json()["id"])] = text

    def step(self):
        roll = random.random()
        if roll < 0.25:
            self.post("post")
        elif roll < 0.35 and (parent := self.known("tweet")):
            self.post("reply", in_reply_to=parent)
        elif roll < 0.50 and (tweet := self.known("tweet")):
            response = self.call("like", "POST", f"/tweets/{tweet}/like")
            if response is not None and response.status_code == 200:
                with self.lock:
                    self.ack.likes.add((self.username, tweet))
        elif roll < 0.60 and (other := self.known("user")) and other != self.username:
            response = self.call("follow", "POST", f"/accounts/{other}/follow")
            if response is not None and response.status_code == 200:
                with self.lock:
                    self.ack.follows.add((self.username, other))
        elif roll < 0.65:
            response = self.call(
                "upload", "POST", "/media", files={"file": ("p.png", png(), "image/png")}
            )
            if response is not None and response.status_code == 201:
                media_id = int(response.json()["id"])
                with self.lock:
                    self.ack.media.add(media_id)
                self.post("post", media_id=media_id)
        elif roll < 0.67:
            self.sign_up()  # a new account for this client from now on
        else:
            self.call("timeline", "GET", "/timelines/home", params={"limit": 20})


class S3Store:
    """moto's S3-protocol server in its own process; stopped and started by PID."""

    def __init__(self):
        self.port = free_port()
        self.process = None
        self.bucket = "minitter-load"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=30, process=self.process)
        boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", **S3_CREDENTIALS
        ).create_bucket(Bucket=self.bucket)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def postgres_freeze(stack: Stack) -> list[int]:
    """Stop the postmaster, then its children (backends, checkpointer, ...); return them all.

    The postmaster goes first so that no child is forked after the list is read. A
    child that exits between the listing and its signal (a backend whose client hung
    up) is simply left out.
    """
    postmaster = int((stack.postgres.directory / "data/postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGSTOP)
    try:
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
    except BaseException:
        os.kill(postmaster, signal.SIGCONT)
        raise
    return [postmaster, *signal_living(map(int, children), signal.SIGSTOP)]


def signal_living(pids, signum) -> list[int]:
    """Send `signum` to each process still alive; return those it reached."""
    reached = []
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue
        reached.append(pid)
    return reached


@pytest.fixture(scope="module")
def loaded():
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail("nginx is not installed: run `bash .ci/run` or `apt-get install nginx`")
    root = Path(tempfile.mkdtemp(prefix="minitter-load-"))
    root.chmod(0o755)
    stack = Stack(root)
    store = S3Store()
    try:
        store.start()
        database_url = stack.postgres.start()
        env = stack.app_env(database_url)
        env.update(
            MINITTER_STORAGE="s3",
            S3_BUCKET=store.bucket,
            S3_REGION="us-east-1",
            S3_ENDPOINT_URL=store.endpoint,
            S3_ACCESS_KEY_ID=S3_CREDENTIALS["aws_access_key_id"],
            S3_SECRET_ACCESS_KEY=S3_CREDENTIALS["aws_secret_access_key"],
            S3_ADDRESSING_STYLE="path",
            S3_CONNECT_TIMEOUT="1",
            S3_READ_TIMEOUT="3",
            S3_MAX_ATTEMPTS="1",
            DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
            # The limits are not under test here: 32 clients share one address.
            **{
                f"THROTTLE_{scope}": "1000000/min"
                for scope in (
                    "WRITE_USER",
                    "WRITE_IP",
                    "UPLOAD_USER",
                    "UPLOAD_IP",
                    "LOGIN_IP",
                    "LOGIN_USERNAME",
                    "SIGNUP_IP",
                    "SIGNUP_USERNAME",
                )
            },
        )
        stack.manage(env, "migrate", "--noinput")
        stack.manage(env, "collectstatic", "--noinput")
        stack.media_root.mkdir()
        for index in (0, 1):
            stack.start_app(index, env)
        stack.start_nginx()
        yield run_load(stack, store), stack, env, database_url
    finally:
        stack.stop()
        store.stop()
        if keep := os.environ.get("MINITTER_LOAD_KEEP_LOGS"):  # a folder, to look into failures
            for log in root.glob("*.log"):
                shutil.copy(log, Path(keep) / log.name)
        shutil.rmtree(root, ignore_errors=True)


def run_load(stack: Stack, store: S3Store):
    outcomes: list[Outcome] = []
    record_lock = threading.Lock()

    def record(outcome: Outcome):
        with record_lock:
            outcomes.append(outcome)

    acknowledged = Acknowledged()
    ack_lock = threading.Lock()
    faults: dict[str, tuple[float, float]] = {}
    clients = [Client(stack.url, record, acknowledged, ack_lock) for _ in range(CLIENTS)]
    for client in clients:
        assert client.sign_up()
    stop_at = time.monotonic() + SECONDS

    def work(client: Client):
        while time.monotonic() < stop_at:
            client.step()

    injector_failures: list[str] = []

    def inject():
        try:
            inject_faults()
        except BaseException:
            injector_failures.append(traceback.format_exc())

    def inject_faults():
        def window(name, begin, end):
            faults[name] = (begin, end)

        time.sleep(SECONDS * 0.2)
        began = time.monotonic()
        stack.postgres.stop()
        time.sleep(FAULT_SECONDS)
        stack.postgres.start()
        window("postgres stopped and restarted", began, time.monotonic())

        time.sleep(max(0.0, stop_at - SECONDS * 0.45 - time.monotonic()))
        began = time.monotonic()
        pids = postgres_freeze(stack)
        try:
            time.sleep(FREEZE_SECONDS)
        finally:
            signal_living(reversed(pids), signal.SIGCONT)
        window("postgres frozen", began, time.monotonic())

        time.sleep(max(0.0, stop_at - SECONDS * 0.2 - time.monotonic()))
        began = time.monotonic()
        store.stop()
        faults["s3 stopped"] = (began, stop_at)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    injector = threading.Thread(target=inject)
    started = time.monotonic()
    for thread in [*threads, injector]:
        thread.start()
    for thread in [*threads, injector]:
        thread.join(SECONDS + 120)
    return {
        "outcomes": outcomes,
        "acknowledged": acknowledged,
        "faults": faults,
        "injector_failures": injector_failures,
        "clients": clients,
        "elapsed": time.monotonic() - started,
    }


def during(outcome: Outcome, window: tuple[float, float]) -> bool:
    begin, end = window
    return outcome.finished >= begin and outcome.started <= end + GRACE_SECONDS


def test_load_with_faults_gives_no_5xx_but_fast_503s(loaded):
    run, stack, _, _ = loaded
    outcomes, faults = run["outcomes"], run["faults"]
    assert not run["injector_failures"], "".join(run["injector_failures"])
    database_faults = [w for name, w in faults.items() if name.startswith("postgres")]
    store_fault = faults["s3 stopped"]
    unexpected = []
    for outcome in outcomes:
        if outcome.status and outcome.status < 500:
            continue
        in_db_fault = any(during(outcome, w) for w in database_faults)
        in_store_fault = outcome.kind == "upload" and during(outcome, store_fault)
        if outcome.status == 503 and outcome.retry_after and (in_db_fault or in_store_fault):
            continue
        unexpected.append(outcome)
    report(run, stack)
    assert not unexpected, explain(unexpected, faults, stack)
    assert len(outcomes) > CLIENTS * 4  # every client kept working
    # The rest works while the store is down.
    reads = [o for o in outcomes if o.kind == "timeline" and during(o, store_fault)]
    assert reads and all(o.status == 200 for o in reads)
    # Each fault was noticed (503s) and recovered from without restarting anything.
    for name, window in faults.items():
        if name.startswith("postgres"):
            assert any(o.status == 503 for o in outcomes if during(o, window)), name
            after = [o for o in outcomes if o.started > window[1] + GRACE_SECONDS]
            assert after and any(200 <= o.status < 300 for o in after), name


def test_every_acknowledged_write_is_there_exactly_once(loaded):
    run, _, _, database_url = loaded
    ack: Acknowledged = run["acknowledged"]
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT username FROM accounts_user WHERE username = ANY(%s)", [list(ack.users)]
        )
        assert {row[0] for row in cursor.fetchall()} == ack.users
        cursor.execute(
            "SELECT id, text FROM tweets_tweet WHERE text = ANY(%s)", [list(ack.tweets.values())]
        )
        rows = cursor.fetchall()
        assert Counter(text for _, text in rows) == Counter(ack.tweets.values())
        assert dict(rows).keys() >= ack.tweets.keys()
        cursor.execute(
            "SELECT u.username, l.tweet_id FROM tweets_like l "
            "JOIN accounts_user u ON u.id = l.user_id"
        )
        assert ack.likes <= set(cursor.fetchall())
        cursor.execute(
            "SELECT a.username, b.username FROM tweets_follow f "
            "JOIN accounts_user a ON a.id = f.follower_id "
            "JOIN accounts_user b ON b.id = f.followee_id"
        )
        assert ack.follows <= set(cursor.fetchall())
        cursor.execute("SELECT id FROM media_mediafile WHERE id = ANY(%s)", [list(ack.media)])
        assert {row[0] for row in cursor.fetchall()} == ack.media
        # Each tweet in its author's own timeline, no entry twice.
        cursor.execute(
            "SELECT count(*) FROM tweets_tweet t WHERE t.id = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM tweets_timelineentry e WHERE e.owner_id = t.author_id "
            "AND e.tweet_id = t.id)",
            [list(ack.tweets)],
        )
        assert cursor.fetchone()[0] == 0


def test_counters_equal_their_rows_after_the_load(loaded):
    _, _, env, _ = loaded
    result = subprocess.run(
        [sys.executable, "manage.py", "recount", "--dry-run"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Would fix 0 counters." in result.stdout, result.stdout


def test_no_timeline_shows_a_tweet_twice(loaded):
    run, stack, _, _ = loaded
    wait_until(lambda: requests.get(f"{stack.url}/health/live", timeout=5).ok, 30, "the instances")
    for client in run["clients"]:
        seen: list[int] = []
        url = f"{stack.url}{API}/timelines/home?limit=100"
        while url and len(seen) < 2000:
            response = client.http.get(url, timeout=20)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [int(tweet["id"]) for tweet in page["results"]]
            url = page["next"]
        assert len(seen) == len(set(seen)), client.username


def explain(unexpected: list[Outcome], faults: dict, stack: Stack) -> str:
    """What a failure needs to be understood: each unexpected answer, when it came relative to
    the faults, and what the instances logged for it (nothing: nginx answered alone)."""
    logged = [line for index in (0, 1) for line in stack.log_lines(index)]
    lines = [str(Counter((o.kind, o.status) for o in unexpected))]
    for outcome in unexpected[:10]:
        after = ", ".join(
            f"{outcome.started - end:+.2f} s after {name} ended"
            for name, (_, end) in faults.items()
        )
        lines.append(
            f"{outcome.kind} {outcome.status} {outcome.code!r} in "
            f"{outcome.finished - outcome.started:.2f} s, sent {after}"
        )
        lines += [f"    {line}" for line in logged if line.get("request_id") == outcome.request_id]
    return "\n".join(lines)


def report(run, stack: Stack):
    served = [line for index in (0, 1) for line in stack.log_lines(index) if "status" in line]
    unavailable = [line["duration_ms"] / 1000 for line in served if line["status"] == 503]
    if unavailable:
        print(
            f"503s as the instances timed them: {len(unavailable)}, median "
            f"{statistics.median(unavailable):.2f} s, max {max(unavailable):.2f} s"
        )
    outcomes = run["outcomes"]
    statuses = Counter(o.status for o in outcomes)
    print(f"\n{len(outcomes)} requests in {run['elapsed']:.0f} s by {CLIENTS} clients")
    print("statuses:", dict(statuses))
    print("by kind:", dict(Counter(o.kind for o in outcomes)))
    for name, window in run["faults"].items():
        inside = [o for o in outcomes if during(o, window)]
        waits = [o.finished - o.started for o in inside if o.status == 503]
        if waits:
            print(
                f"{name} ({window[1] - window[0]:.1f} s): {len(inside)} requests, "
                f"{len(waits)} 503s, as clients waited for them (queueing included): median "
                f"{statistics.median(waits):.2f} s, max {max(waits):.2f} s"
            )
    ack = run["acknowledged"]
    print(
        f"acknowledged: {len(ack.users)} sign-ups, {len(ack.tweets)} tweets, "
        f"{len(ack.likes)} likes, {len(ack.follows)} follows, {len(ack.media)} uploads"
    )
