"""Prometheus counters of the accounts app."""

from prometheus_client import Counter

SIGNUPS = Counter("minitter_signups", "Accounts created.")
LOGINS = Counter("minitter_logins", "Login attempts by result.", ["result"])
