"""Test settings: the base settings with speed-ups that only tests may use."""

from minitter.settings import *  # noqa: F403
from minitter.settings import DATABASES

# A fast hasher keeps the suite quick; tests of hash upgrades set the production list themselves.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {}
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
