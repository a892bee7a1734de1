"""Test settings: the base settings with speed-ups that only tests may use."""

from minitter.settings import *  # noqa: F403
from minitter.settings import DATABASES

# A fast hasher keeps the suite quick; tests of hash upgrades set the production list themselves.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {}
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

# The unit suite runs background tasks in-process (a real worker runs in the end-to-end tests),
# and a task that fails fails the test.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# The suite runs with the hydrated-tweet cache on (the in-process cache, one process), so that
# every test that writes and then reads checks that the write renews what it changed.
HYDRATED_CACHE_SECONDS = 600

# One node lease for the whole run: a renewal uses a connection of its own, which SQLite's shared
# in-memory test database would refuse while a test's transaction holds it.
MINITTER_NODE_LEASE_SECONDS = 24 * 3600
# Test-client requests in tests without database access must not touch the database.
MINITTER_NODE_LEASE_AT_REQUEST_START = False
