"""Prometheus counters of the accounts app."""

from prometheus_client import Counter

SIGNUPS = Counter("minitter_signups", "Accounts created.")
LOGINS = Counter("minitter_logins", "Login attempts by result.", ["result"])
THROTTLE_FAILED_OPEN = Counter(
    "minitter_throttle_failed_open",
    "Requests let through unthrottled because the cache (Redis) could not be reached.",
    ["scope"],
)
