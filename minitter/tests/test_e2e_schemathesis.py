"""Schemathesis over every operation of the OpenAPI schema, anonymous and with a JWT, against
gunicorn on PostgreSQL: no 5xx, no status code the schema does not list, no response, header or
content type outside the schema.

Bounded for CI: 10 generated cases per operation and phase (examples, coverage, fuzzing) with a
fixed seed, one client worker: about 1,500 requests per pass, a few minutes in all. Limits are
raised out of reach so that writes reach their code instead of a 429. Failures it found are
regression tests next to the code they concern (e.g. accounts/tests/test_avatar.py).

One worker, not two: schemathesis' workers are threads, and Python 3.11.7's `ast.parse` (which
hypothesis calls to describe its strategies) can fail with "AST constructor recursion depth
mismatch" when two threads parse at once (CPython gh-106905). That failed a CI run with every
generated case passing.
"""

import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import requests

from core.testing import API
from minitter.tests.test_e2e_production import Stack

pytestmark = pytest.mark.e2e

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
NO_LIMITS = {
    f"THROTTLE_{name}": "1000000/min"
    for name in [
        "WRITE_USER",
        "WRITE_IP",
        "UPLOAD_USER",
        "UPLOAD_IP",
        "LOGIN_IP",
        "LOGIN_USERNAME",
        "SIGNUP_IP",
        "SIGNUP_USERNAME",
    ]
}


@pytest.fixture(scope="module")
def server():
    root = Path(tempfile.mkdtemp(prefix="minitter-fuzz-"))
    root.chmod(0o755)
    stack = Stack(root)
    try:
        env = stack.app_env(stack.postgres.start())
        env.update(NO_LIMITS, JWT_ACCESS_MINUTES="60", LOG_LEVEL="WARNING")
        env["REQUEST_LOG_LEVEL"] = "WARNING"
        stack.manage(env, "migrate", "--noinput")
        stack.media_root.mkdir()
        stack.start_app(0, env)
        yield stack, f"http://127.0.0.1:{stack.app_ports[0]}"
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


def access_token(url: str) -> str:
    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    password = "a-fuzzing-long-passphrase"
    signup = requests.post(
        f"{url}{API}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": password},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    tokens = requests.post(
        f"{url}{API}/auth/token", json={"username": name, "password": password}, timeout=10
    )
    return tokens.json()["access"]


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "jwt"])
def test_every_operation_answers_within_the_schema(server, authenticated, tmp_path):
    stack, url = server
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "run",
        f"{url}{API}/schema/?format=json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "10",
        "--workers",
        "1",
        "--seed",
        "1",
        "--request-timeout",
        "30",
        "--continue-on-failure",
    ]
    if authenticated:
        command += ["--header", f"Authorization: Bearer {access_token(url)}"]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=1200, check=False
    )
    log = (stack.root / "app0.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if '"level": "error"' in line]
    assert result.returncode == 0, result.stdout[-6000:] + "\n".join(errors[-3:])
    assert not errors, errors[-3:]
