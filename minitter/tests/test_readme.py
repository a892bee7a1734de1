"""The README's "First ten minutes" commands, run with bash against a live development server
(``manage.py runserver`` on a fresh SQLite database, on a free loopback port), exactly as a
newcomer pastes them. The README cannot drift from the API without this failing.

Marked ``e2e`` (run by ``make e2e`` and ``.ci/run``); every server it starts is stopped by PID.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.testing import free_port, wait_for_port

pytestmark = pytest.mark.e2e

BASE_DIR = Path(__file__).resolve().parents[2]
README_ADDRESS = "http://127.0.0.1:8000"


def first_ten_minutes_script() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    section = readme[readme.index("\n## First ten minutes\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 4, "the section lost its command blocks"
    return "\n".join(blocks)


@pytest.fixture
def dev_server(tmp_path):
    """A fresh ``make run``-style server: migrate, then runserver on a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="minitter.settings",
        DEBUG="true",
        MINITTER_VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "var" / "media"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, 60, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()


def test_first_ten_minutes_commands_work_as_written(dev_server, tmp_path):
    if not shutil.which("curl"):
        pytest.fail("curl is not installed")
    script = first_ten_minutes_script().replace(README_ADDRESS, dev_server)
    # The commands run "from the project folder": a folder with the project's .venv in it.
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.prefix))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout
    assert result.returncode == 0, f"{output}\n{result.stderr}"
    assert '"username": "alice"' in output and '"username": "bob"' in output
    timeline = output[output.index('"results"') :]
    # Newest first: Bob's tweet, then Alice's with her picture, served by the same server.
    assert timeline.index("Hi from Bob") < timeline.index("Hello, minitter!")
    picture = re.search(r'"url": "(' + re.escape(dev_server) + r'/media/[^"]+\.jpg)"', timeline)
    assert picture, timeline
    fetched = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", picture.group(1)],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert fetched == "200 image/jpeg"
    assert output.rstrip().endswith("logout: 204")
