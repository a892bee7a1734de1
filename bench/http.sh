#!/usr/bin/env bash
# HTTP throughput of a 20-row list endpoint through gunicorn, with a new database connection per
# request (CONN_MAX_AGE=0) and with persistent connections (CONN_MAX_AGE=60).
#
#   DATABASE_URL=postgres://… bash bench/http.sh        (needs wrk: apt-get install wrk)
#
# gunicorn listens on a free loopback port, is stopped by PID, and each run lasts DURATION seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?point DATABASE_URL at a PostgreSQL database with some tweets (seed_demo)}"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/api/minitter/v1/tweets?limit=20"

for conn_max_age in 0 60; do
  DEBUG=false ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false \
  SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  CONN_MAX_AGE=$conn_max_age REQUEST_LOG_LEVEL=WARNING GUNICORN_BIND=127.0.0.1:$port \
  GUNICORN_WORKERS=${GUNICORN_WORKERS:-4} GUNICORN_THREADS=1 \
    .venv/bin/gunicorn -c gunicorn.conf.py minitter.wsgi >/dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "$url" >/dev/null 2>&1 && break; sleep 0.2; done
  rate=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$url" | awk '/Requests\/sec/ {print $2}')
  echo "CONN_MAX_AGE=$conn_max_age: $rate requests/s"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
