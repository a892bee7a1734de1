"""The compose file: pinned images, and a set-up step that refreshes static files on every start."""

import re
from pathlib import Path

COMPOSE = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()


def test_every_image_is_pinned_to_a_version():
    images = re.findall(r"^\s*image:\s*(\S+)", COMPOSE, flags=re.MULTILINE)
    assert len(images) >= 6
    for image in images:
        tag = image.partition(":")[2]
        assert tag and tag != "latest", image


def test_static_files_are_collected_on_every_start_not_frozen_in_the_image_volume():
    setup = COMPOSE[COMPOSE.index("\n  migrate:") : COMPOSE.index("\n  app1:")]
    assert "collectstatic --noinput --clear" in setup
    assert "static:/srv/minitter/staticfiles" in setup
    app = COMPOSE[COMPOSE.index("x-app:") : COMPOSE.index("\nservices:")]
    assert "staticfiles" not in app  # only the set-up step writes the volume nginx reads


def service(name: str) -> str:
    """The text of one service of the compose file."""
    start = COMPOSE.index(f"\n  {name}:\n")
    following = re.search(r"\n  [a-z0-9-]+:\n", COMPOSE[start + 1 :])
    return COMPOSE[start : start + 1 + following.start()] if following else COMPOSE[start:]


def test_pgbouncer_accepts_the_apps_connections_and_the_role_carries_their_timeouts():
    assert "IGNORE_STARTUP_PARAMETERS: extra_float_digits,options" in service("pgbouncer")
    role_settings = service("postgres-timeouts")
    assert "SET statement_timeout = '${DB_STATEMENT_TIMEOUT_MS:-5000}ms'" in role_settings
    assert "SET lock_timeout = '${DB_LOCK_TIMEOUT_MS:-2000}ms'" in role_settings
    check = "SET client_connection_check_interval = '${DB_CLIENT_CHECK_MS:-1000}ms'"
    assert check in role_settings
    setup = service("migrate")
    assert "postgres-timeouts:" in setup
    # Migrations connect directly, where the connection's own (unbounded) timeout applies.
    assert "@postgres:5432/minitter" in setup
    assert 'DB_STATEMENT_TIMEOUT_MS: "0"' in setup


def test_workers_run_without_mingle_and_gossip():
    """With mingle, a worker could stop taking tasks after a Redis restart (celery/celery#7276);
    nothing here uses mingle or gossip."""
    worker = service("worker")
    assert '"--without-mingle"' in worker and '"--without-gossip"' in worker
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "minitter worker --loglevel=INFO --without-mingle --without-gossip" in makefile
