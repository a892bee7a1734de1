"""One command for the HTTP benchmark: `make bench` (or `python bench/run.py`).

On a fresh machine it starts a throwaway PostgreSQL (.ci/postgres), seeds it with `seed_demo`,
adds benchmark accounts (bench/prepare.py), serves the app with gunicorn from gunicorn.conf.py and,
for a second set of rows, through the project's nginx site; drives each endpoint with wrk
(bench/wrk.lua) and prints one table: requests/s, p50, p99 and the ratio to the API root's rate,
then posting latency, the operator commands that rewrite timelines (`trim_timelines`,
`rebuild_timelines --all`, against `seed_demo`) and the storage the home timelines take with every
entry and bounded by TIMELINE_MAX_ENTRIES, all from the same run.

Sizes: the default finishes in a few minutes; `--full` is 10,000 accounts and 1,000,000 tweets.
Every server listens on 127.0.0.1 only and is stopped by PID when the run ends. Timings are
printed, never asserted: CI runs `--smoke` to check that the whole benchmark still works.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from core.testing import RedisServer, free_port, wait_for_port  # noqa: E402

API = "/api/minitter/v1"
SECRET_KEY = "bench-only-" + "k3Vq9xZ2" * 8
SIZES = {
    "smoke": {"users": 300, "tweets": 3_000, "follows_per_user": 10},
    "default": {"users": 6_000, "tweets": 100_000, "follows_per_user": 20},
    "full": {"users": 10_000, "tweets": 1_000_000, "follows_per_user": 50},
}


class Servers:
    """The processes of one run, stopped in reverse order by PID."""

    def __init__(self, root: Path):
        self.root = root
        self.processes: list[subprocess.Popen] = []
        self.redis_server = None
        self.postgres_dir = root / "pg"

    def postgres(self) -> str:
        port = free_port()
        result = subprocess.run(
            ["bash", str(BASE_DIR / ".ci/postgres"), "start", str(self.postgres_dir), str(port)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]

    def start(self, args: list[str], env: dict, port: int, log: str) -> None:
        with open(self.root / log, "wb") as output:
            process = subprocess.Popen(
                args, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        wait_for_port(port, timeout=60, process=process)

    def worker(self, env: dict) -> None:
        """One Celery worker for the fan-out, as production runs it (posting answers before the
        followers' timelines are written)."""
        log = self.root / "worker.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "minitter",
                    "worker",
                    "-c",
                    "1",
                    "-l",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not start: see {log}")
            time.sleep(0.2)

    def redis(self) -> str:
        """The shared cache production runs with (REDIS_URL): throttle counters, the Mastodon
        surface's rate limits."""
        self.redis_server = RedisServer(self.root).start()
        return self.redis_server.url

    def stop(self) -> None:
        if self.redis_server is not None:
            self.redis_server.stop()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(
            ["bash", str(BASE_DIR / ".ci/postgres"), "stop", str(self.postgres_dir)],
            timeout=120,
            check=False,
        )


def app_env(database_url: str, redis_url: str, root: Path, options) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECURE_SSL_REDIRECT="false",
        NUM_PROXIES="0",
        STATIC_ROOT=str(root / "static"),
        MEDIA_ROOT=str(root / "media"),
        MINITTER_STORAGE="local",
        REQUEST_LOG_LEVEL="WARNING",
        GUNICORN_WORKERS=str(options.workers),
        GUNICORN_THREADS=str(options.threads),
        GUNICORN_MAX_REQUESTS="0",
        # The limits still count every request (as in production), but never refuse one here.
        THROTTLE_WRITE_USER="100000000/min",
        THROTTLE_WRITE_IP="100000000/min",
        THROTTLE_UPLOAD_USER="100000000/min",
        THROTTLE_UPLOAD_IP="100000000/min",
        MASTODON_RATE_LIMIT="100000000",
        MINITTER_BENCHMARK_ENDPOINTS="1",
        DJANGO_SETTINGS_MODULE="minitter.settings",
    )
    return env


def manage(env: dict, *args: str, timeout: int = 7200) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def nginx_config(root: Path, nginx_port: int, app_port: int) -> Path:
    """The project's nginx site with this run's ports and paths, inside a minimal nginx.conf."""
    site = (BASE_DIR / "nginx/minitter.conf").read_text()
    site = site.replace(
        "include /etc/nginx/minitter-upstream.conf;", f"include {root}/upstream.conf;"
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("/srv/minitter/staticfiles/", f"{root}/static/")
    site = site.replace("/srv/minitter/media/", f"{root}/media/")
    (root / "minitter.conf").write_text(site)
    (root / "upstream.conf").write_text(f"server 127.0.0.1:{app_port};\n")
    temp = root / "nginx-temp"
    temp.mkdir(exist_ok=True)
    config = root / "nginx.conf"
    config.write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/minitter.conf;
}}
"""
    )
    return config


def http(method: str, url: str, token: str = "", body: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wrk(url: str, options, token: str = "", method: str = "GET", body: str = "", alternate=""):
    """One wrk run; returns its JSON summary (see bench/wrk.lua)."""
    env = {
        **os.environ,
        "BENCH_TOKEN": token,
        "BENCH_METHOD": method,
        "BENCH_BODY": body,
        "BENCH_ALTERNATE": alternate,
    }
    result = subprocess.run(
        [
            "wrk",
            f"-t{options.threads_wrk}",
            f"-c{options.connections}",
            f"-d{options.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(BASE_DIR / "bench/wrk.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=options.duration + 120,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    summary = json.loads(line)
    summary["rate"] = summary["requests"] / (summary["duration_us"] / 1_000_000)
    return summary


def posting_latency(base: str, token: str, count: int) -> float:
    """Median milliseconds of ``count`` sequential posts, end to end over HTTP."""
    samples = []
    for n in range(count):
        started = time.perf_counter()
        status, _ = http("POST", f"{base}{API}/tweets", token, {"text": f"latency probe {n}"})
        samples.append((time.perf_counter() - started) * 1000)
        if status != 201:
            raise SystemExit(f"posting answered {status}")
    return statistics.median(samples)


def wait_for_worker(broker_url: str, seconds: float = 600) -> None:
    """Until the Celery worker has nothing left to do: no message queued and none taken but not
    finished (kombu's Redis transport keeps those in ``unacked``), twice in a row."""
    import redis

    broker = redis.Redis.from_url(broker_url)
    deadline, quiet = time.monotonic() + seconds, 0
    try:
        while quiet < 2:
            if time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker was still busy after {seconds:.0f} s")
            busy = broker.llen("celery") or broker.hlen("unacked")
            quiet = 0 if busy else quiet + 1
            time.sleep(0.5)
    finally:
        broker.close()


VACUUM_TIMELINES = (
    "from django.db import connection\n"
    "from tweets.models import TimelineEntry\n"
    "connection.cursor().execute(f'VACUUM FULL ANALYZE {TimelineEntry._meta.db_table}')\n"
)


def storage(env: dict) -> dict:
    """Timeline rows and bytes per tweet, from PostgreSQL's own counts."""
    script = (
        "from django.db import connection\n"
        "from tweets.models import TimelineEntry, Tweet\n"
        "import json\n"
        "c = connection.cursor()\n"
        "c.execute('SELECT pg_total_relation_size(%s), pg_total_relation_size(%s)',"
        " [TimelineEntry._meta.db_table, Tweet._meta.db_table])\n"
        "timeline_bytes, tweet_bytes = c.fetchone()\n"
        "print(json.dumps({'tweets': Tweet.objects.count(),"
        " 'timeline_rows': TimelineEntry.objects.count(),"
        " 'timeline_bytes': timeline_bytes, 'tweet_bytes': tweet_bytes}))\n"
    )
    return json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])


def rows(base: str, fixture: dict) -> list[tuple[str, dict]]:
    """What to measure: (label, wrk arguments). The API root comes first: the reference."""
    tweet, profile, target = fixture["tweet_id"], fixture["profile"], fixture["follow_target"]
    return [
        ("API root `GET /api/minitter/v1/`", {"url": f"{base}{API}/"}),
        (
            "home timeline, reader following 50",
            {"url": f"{base}{API}/timelines/home", "token": fixture["reader_50"]},
        ),
        (
            f"home timeline, reader following {fixture['big']}",
            {"url": f"{base}{API}/timelines/home", "token": fixture["reader_5000"]},
        ),
        (
            f"naive query (benchmark-only), reader following {fixture['big']}",
            {"url": f"{base}{API}/bench/naive-home", "token": fixture["reader_5000"]},
        ),
        (
            f"Mastodon `GET /api/v1/timelines/home`, reader following {fixture['big']}",
            {"url": f"{base}/api/v1/timelines/home", "token": fixture["reader_5000"]},
        ),
        (
            f"Mastodon `GET /api/v1/timelines/home`, app's OAuth token, reader following "
            f"{fixture['big']}",
            {"url": f"{base}/api/v1/timelines/home", "token": fixture["reader_5000_app"]},
        ),
        ("tweet detail", {"url": f"{base}{API}/tweets/{tweet}", "token": fixture["reader_50"]}),
        ("profile", {"url": f"{base}{API}/accounts/{profile}", "token": fixture["reader_50"]}),
        (
            "like / unlike",
            {
                "url": f"{base}{API}/tweets/{tweet}/like",
                "token": fixture["actor"],
                "method": "POST",
                "alternate": f"DELETE {API}/tweets/{tweet}/like",
            },
        ),
        (
            "follow / unfollow",
            {
                "url": f"{base}{API}/accounts/{target}/follow",
                "token": fixture["actor"],
                "method": "POST",
                "alternate": f"DELETE {API}/accounts/{target}/follow",
            },
        ),
        (
            "post a tweet, author with 50 followers",
            {
                "url": f"{base}{API}/tweets",
                "token": fixture["author_50"],
                "method": "POST",
                "body": '{"text": "benchmark post {n}"}',
            },
        ),
        (
            f"post a tweet, author with {fixture['big']} followers",
            {
                "url": f"{base}{API}/tweets",
                "token": fixture["author_5000"],
                "method": "POST",
                "body": '{"text": "benchmark post {n}"}',
            },
        ),
    ]


def measure(label_prefix: str, base: str, fixture: dict, options, only=None) -> list[dict]:
    """Each row, and the API root again for a third of the time right before it (``beside``):
    this machine's speed drifts over a run (other tenants), and a ratio to a root measured
    minutes earlier carries that drift."""
    results = []
    all_rows = rows(base, fixture)
    _, root_arguments = all_rows[0]
    beside_duration = max(2, options.duration // 3)
    beside_options = argparse.Namespace(**{**vars(options), "duration": beside_duration})
    for index, (label, arguments) in enumerate(all_rows):
        if only is not None and label not in only:
            continue
        optional = "naive" in label or "Mastodon" in label
        if optional and http("GET", arguments["url"], arguments.get("token", ""))[0] == 404:
            results.append({"label": label_prefix + label, "missing": True})
            continue
        beside = wrk(options=beside_options, **root_arguments) if index else None
        summary = wrk(options=options, **arguments)
        summary["label"] = label_prefix + label
        summary["beside"] = beside["rate"] if beside else summary["rate"]
        results.append(summary)
    return results


def ratio(rate: float, reference: float) -> str:
    return f"{rate / reference:.2f}" if reference else "n/a"


def warm_up(base: str, fixture: dict, rounds: int = 20) -> None:
    """Every worker imports and compiles lazily on its first requests: take that out of the rows
    by reading each endpoint a few times first."""
    for _ in range(rounds):
        for _label, arguments in rows(base, fixture):
            if arguments.get("method", "GET") == "GET":
                http("GET", arguments["url"], arguments.get("token", ""))


def table(results: list[dict]) -> str:
    root = next(r for r in results if "API root" in r["label"] and not r.get("missing"))
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | x API root | x API root beside it | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        if result.get("missing"):
            lines.append(f"| {result['label']} | not served | | | | | |")
            continue
        lines.append(
            f"| {result['label']} | {result['rate']:,.0f} | {result['p50_us'] / 1000:.1f} | "
            f"{result['p99_us'] / 1000:.1f} | {ratio(result['rate'], root['rate'])} | "
            f"{ratio(result['rate'], result['beside'])} | "
            f"{result['non_2xx_3xx'] + result['socket_errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="10,000 accounts, 1,000,000 tweets")
    size.add_argument("--smoke", action="store_true", help="tiny and short: checks it all works")
    parser.add_argument("--users", type=int)
    parser.add_argument("--tweets", type=int)
    parser.add_argument("--follows-per-user", type=int)
    parser.add_argument("--duration", type=int, help="seconds per row (default 15; smoke 2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads-wrk", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GUNICORN_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 1)))
    parser.add_argument("--posts", type=int, default=50, help="sequential posts for latency")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()
    preset = SIZES["full" if options.full else "smoke" if options.smoke else "default"]
    for key, value in preset.items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    if options.duration is None:
        options.duration = 2 if options.smoke else 15
    if options.smoke:
        options.posts = min(options.posts, 5)
    for program in ("wrk", "nginx", "redis-server"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            raise SystemExit(f"{program} is not installed (apt-get install {program})")

    root = Path(tempfile.mkdtemp(prefix="minitter-bench."))
    root.chmod(0o755)
    servers = Servers(root)
    try:
        started = time.monotonic()
        database_url = servers.postgres()
        env = app_env(database_url, servers.redis(), root, options)
        # The seed and the preparation run their tasks in-process; the app hands them to a worker.
        app = {**env, "CELERY_BROKER_URL": env["REDIS_URL"].replace("/0", "/1")}
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        seed_started = time.monotonic()
        manage(
            env,
            "seed_demo",
            "--users",
            str(options.users),
            "--tweets",
            str(options.tweets),
            "--follows-per-user",
            str(options.follows_per_user),
            "--seed",
            "1",
            "--verbosity",
            "0",
        )
        seed_seconds = time.monotonic() - seed_started
        # seed_demo writes every timeline in full; production keeps TIMELINE_MAX_ENTRIES each.
        unbounded = storage(env)
        maintenance = {}
        for command in (("trim_timelines",), ("rebuild_timelines", "--all")):
            command_started = time.monotonic()
            manage(env, *command, "--verbosity", "0")
            maintenance[" ".join(command)] = time.monotonic() - command_started
        # Deleted rows keep their pages until PostgreSQL rewrites the table: measure what is kept.
        manage(env, "shell", "-c", VACUUM_TIMELINES)
        prepared = subprocess.run(
            [sys.executable, str(BASE_DIR / "bench/prepare.py")],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
        fixture = json.loads(prepared.stdout)
        before = storage(env)

        app_port, nginx_port = free_port(), free_port()
        servers.worker(app)
        servers.start(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "minitter.wsgi"],
            {**app, "GUNICORN_BIND": f"127.0.0.1:{app_port}"},
            app_port,
            "gunicorn.log",
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        config = nginx_config(root, nginx_port, app_port)
        subprocess.run([nginx, "-t", "-c", str(config)], check=True, capture_output=True)
        servers.start([nginx, "-c", str(config), "-g", "daemon off;"], env, nginx_port, "nginx.log")

        direct = f"http://127.0.0.1:{app_port}"
        through_nginx = f"http://127.0.0.1:{nginx_port}"
        warm_up(direct, fixture)
        # Posting latency on a quiet machine first (the worker idle), then after the rows below,
        # whose concurrent posts leave the worker millions of timeline rows to write meanwhile.
        wait_for_worker(app["CELERY_BROKER_URL"])
        quiet_50 = posting_latency(direct, fixture["author_50"], options.posts)
        quiet_big = posting_latency(direct, fixture["author_5000"], options.posts)
        wait_for_worker(app["CELERY_BROKER_URL"])
        results = measure("", direct, fixture, options)
        nginx_rows = {rows(through_nginx, fixture)[i][0] for i in (0, 2)}
        results += measure("nginx: ", through_nginx, fixture, options, only=nginx_rows)
        latency_50 = posting_latency(direct, fixture["author_50"], options.posts)
        latency_big = posting_latency(direct, fixture["author_5000"], options.posts)
        after = storage(env)

        print(
            f"\nminitter benchmark: {options.users:,} accounts, {options.tweets:,} tweets, "
            f"{options.follows_per_user} follows each (seeded in {seed_seconds:.0f} s); gunicorn "
            f"{options.workers} workers x {options.threads} threads; wrk -t{options.threads_wrk} "
            f"-c{options.connections} -d{options.duration}s\n"
        )
        print(table(results))
        print(
            "\n| posting, end to end (median of sequential posts) | ms, worker idle "
            "| ms, worker busy with the rows' fan-out |\n| --- | ---: | ---: |"
        )
        print(f"| author with 50 followers | {quiet_50:.1f} | {latency_50:.1f} |")
        print(f"| author with {fixture['big']} followers | {quiet_big:.1f} | {latency_big:.1f} |")
        print("\n| operator command | seconds |\n| --- | ---: |")
        print(f"| `seed_demo` (for comparison) | {seed_seconds:.1f} |")
        for command, seconds in maintenance.items():
            print(f"| `{command}` | {seconds:.1f} |")
        states = {
            "every entry (as seeded)": unbounded,
            "bounded, before the run": before,
            "bounded, after the run": after,
        }
        print(
            "\n| timelines | tweets | timeline rows | rows per tweet | bytes per tweet |\n"
            "| --- | ---: | ---: | ---: | ---: |"
        )
        for label, state in states.items():
            tweets = max(state["tweets"], 1)
            print(
                f"| {label} | {state['tweets']:,} | {state['timeline_rows']:,} | "
                f"{state['timeline_rows'] / tweets:.1f} | {state['timeline_bytes'] / tweets:,.0f} |"
            )
        print(f"\nwhole run: {time.monotonic() - started:.0f} s")
        failures = sum(r.get("non_2xx_3xx", 0) + r.get("socket_errors", 0) for r in results)
        if failures:
            raise SystemExit(f"{failures} requests failed: see {root}")
    finally:
        servers.stop()
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
