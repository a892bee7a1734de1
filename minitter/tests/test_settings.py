"""Production mode refuses unsafe configuration and passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REAL_KEY = "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz!@#$"


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="minitter.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "false", "ALLOWED_HOSTS": "minitter.example"},
        {"DEBUG": "false", "ALLOWED_HOSTS": "minitter.example", "SECRET_KEY": "short"},
        {"DEBUG": "false", "SECRET_KEY": REAL_KEY},
    ],
)
def test_production_mode_refuses_to_start_without_secret_key_and_hosts(env, tmp_path):
    result = manage("check", MINITTER_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="minitter.example",
        MINITTER_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_invalid_boolean_variable_is_refused(tmp_path):
    result = manage("check", DEBUG="maybe", MINITTER_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "minitter.example"}


def test_production_counts_throttles_in_a_cache_shared_by_every_worker(tmp_path):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        MINITTER_VAR_DIR=str(tmp_path),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.db.DatabaseCache"


def test_production_refuses_a_per_process_cache(tmp_path):
    result = manage("check", MINITTER_VAR_DIR=str(tmp_path), CACHE_BACKEND="locmem", **PRODUCTION)
    assert result.returncode != 0
    assert "CACHE_BACKEND=locmem counts throttles per process" in result.stderr


def test_pre_signed_urls_shorter_than_what_pages_keep_are_refused(tmp_path):
    result = manage(
        "check",
        MINITTER_VAR_DIR=str(tmp_path),
        MINITTER_STORAGE="s3",
        S3_BUCKET="media",
        S3_URL_EXPIRE_SECONDS="60",
    )
    assert result.returncode != 0
    assert "S3_URL_EXPIRE_SECONDS must be at least 300" in result.stderr
