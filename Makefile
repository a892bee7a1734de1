# Set-up and everyday commands. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format migrate worker beat e2e load bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: re-install only when a requirements file changes, so re-running is quick.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

migrate: $(VENV)/.runtime-installed
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Background workers (need CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0; without it the app
# runs its tasks itself and no worker is needed). Run one beat for the periodic jobs.
worker: migrate
	@test -n "$$CELERY_BROKER_URL" || { echo "set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	$(VENV)/bin/celery -A minitter worker --loglevel=INFO --without-mingle --without-gossip

beat: migrate
	@test -n "$$CELERY_BROKER_URL" || { echo "set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	$(VENV)/bin/celery -A minitter beat --loglevel=INFO

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser test's web client (masto.js and esbuild from npm, versions locked).
WEBCLIENT := mastodon_api/tests/webclient
$(WEBCLIENT)/node_modules/.installed: $(WEBCLIENT)/package-lock.json
	npm ci --prefix $(WEBCLIENT) --no-audit --no-fund --loglevel=error
	touch $@

# End-to-end tests with PostgreSQL, two gunicorn instances and nginx (needs nginx, npm and
# chromium installed; PostgreSQL is installed by .ci/postgres when missing).
e2e: $(VENV)/.dev-installed $(WEBCLIENT)/node_modules/.installed
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

# The load test with faults: 32 clients for MINITTER_LOAD_SECONDS (60) through nginx and two
# gunicorn instances on PostgreSQL and an S3-protocol store, stopping and freezing them meanwhile.
load: $(VENV)/.dev-installed
	$(PY) -m pytest -m load -s $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var staticfiles

# The HTTP benchmark (bench/run.py): a throwaway PostgreSQL, seed_demo, gunicorn and nginx, wrk.
# BENCH_ARGS=--full for 1,000,000 tweets; --smoke for the quick check CI runs. Needs wrk, nginx and redis-server.
BENCH_ARGS ?=
bench: $(VENV)/.dev-installed
	$(PY) bench/run.py $(BENCH_ARGS)
