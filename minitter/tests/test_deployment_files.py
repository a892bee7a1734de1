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
