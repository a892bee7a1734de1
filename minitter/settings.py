"""minitter settings, read from environment variables.

With no variables at all the project runs on the embedded default (SQLite under ``var/``, local
file storage, debug on). Production sets ``DEBUG=false`` and must then give a real ``SECRET_KEY``
and ``ALLOWED_HOSTS``. Every variable is documented in the README.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

from mastodon_api.scopes import SCOPES as MASTODON_SCOPES
from minitter.swagger import SWAGGER_UI_SETTINGS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MINITTER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off."
    )
if not SECRET_KEY:
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "corsheaders",
    "oauth2_provider",
    "core",
    "media",
    "accounts",
    "tweets",
    "mastodon_api",
    "web",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "minitter.logging.RequestLogMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "mastodon_api.middleware.RateLimitMiddleware",
    "mastodon_api.middleware.ErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "minitter.middleware.ContentSecurityPolicyMiddleware",
    "minitter.middleware.RequestBodyLimitMiddleware",
    "minitter.middleware.UrlTextGuardMiddleware",
    "minitter.middleware.RateLimitHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.replicas.ReplicaRoutingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Innermost: may run a safe request's view again (core/copies.py), and little around it.
    "core.copies.CheckedAfterwardsMiddleware",
]

ROOT_URLCONF = "minitter.urls"
WSGI_APPLICATION = "minitter.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# A refused CSRF check answers the API's JSON error (a browser's form gets Django's page).
CSRF_FAILURE_VIEW = "core.exceptions.csrf_failure"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database: DATABASE_URL (postgres://user:pass@host:5432/name), SQLite under var/ by default ---


# Every wait is bounded: connecting, each statement, each lock. A database that is down or does
# not answer turns into a 503 with Retry-After within these times (see core/db/__init__.py).
# manage.py defaults the statement timeout to 0 (none) for migrations and long commands.
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 2000)
# How often a busy server checks that the client of a statement is still there: the work (and
# the locks) of a request given up on, or of a process killed, end within this time instead of
# at the statement or lock timeout (PostgreSQL's client_connection_check_interval).
DB_CLIENT_CHECK_MS = env_int("DB_CLIENT_CHECK_MS", 1000)


def database(url: str) -> dict:
    """One database connection as minitter uses it (the primary and each replica)."""
    config = dj_database_url.parse(
        url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # django-prometheus's wrappers of the same backends count queries, errors and connections.
    config["ENGINE"] = config["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends."
    )
    if config["ENGINE"].endswith("postgresql"):
        # The same backend with client-side deadlines on every wait, including a frozen server.
        config["ENGINE"] = "core.db.postgresql"
        config.setdefault("OPTIONS", {}).update(
            connect_timeout=DB_CONNECT_TIMEOUT,
            options=(
                f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} "
                f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} "
                f"-c client_connection_check_interval={DB_CLIENT_CHECK_MS}"
            ),
        )
        # Behind pgbouncer in transaction mode a cursor cannot outlive its transaction.
        config["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
    return config


DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside a writer; IMMEDIATE makes writers queue instead of failing;
    # synchronous=FULL makes every acknowledged commit survive a power loss.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Read replicas (streaming replicas of the primary): safe API requests read from them, see
# core/replicas.py. Tests use the primary for them (MIRROR).
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica{number}"] = {**database(url), "TEST": {"MIRROR": "default"}}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["core.replicas.PrimaryReplicaRouter"]
# After a user's request writes, that user's reads go to the primary for this many seconds.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)

# --- Cache (throttle counters): in-process by default; Redis (REDIS_URL) or the database
# (CACHE_BACKEND=database) when several processes must share it -------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds to wait for Redis: an unreachable Redis must cost a request little (throttling then
# fails open, see accounts/throttles.py).
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.5)


def redis_cache(url: str, timeout: float) -> dict:
    """Django's Redis cache backend as minitter uses it (also used by the Redis tests)."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "minitter",
        "OPTIONS": {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "health_check_interval": 30,
            # Each new connection checks that the server kept every stamp it took (core/stamps.py).
            "pool_class": "core.stamps.ServerCheckedConnectionPool",
        },
    }


# Without Redis, production (DEBUG=false) uses the database cache: throttle counters must be
# shared by every worker, or each one counts alone. A per-process cache is refused there. Rate
# limits then count in rows of their own (core.cache.window_count); the cache's table keeps the
# rest (replica pins). Django culls it past MAX_ENTRIES, expired entries first, then a third of
# the live ones: its 300 dropped live pins under load, and every write counts the table's rows,
# so the bound is kept modest (a site with more writers than that in a pin's 10 s uses Redis).
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "locmem" if DEBUG else "database")
if CACHE_BACKEND not in ("locmem", "database"):
    raise ImproperlyConfigured("CACHE_BACKEND must be 'locmem' or 'database'.")
if not DEBUG and not REDIS_URL and CACHE_BACKEND == "locmem":
    raise ImproperlyConfigured(
        "CACHE_BACKEND=locmem counts throttles per process; with DEBUG off set REDIS_URL or "
        "CACHE_BACKEND=database."
    )
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, REDIS_TIMEOUT)}
elif CACHE_BACKEND == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "minitter_cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Copies of hydrated tweets (tweets/cache.py), of profiles by username and of the accounts of
# access tokens (accounts/cache.py, the latter at most 30 s) kept in the cache this many
# seconds, served only while every row they show is unchanged (core/copies.py, core/stamps.py):
# the bound of staleness only should Redis refuse a renewal. Kept only with Redis, whose stamps
# every process checks: a per-process cache alone would miss other workers' renewals, and the
# database cache would cost what it saves.
# 0 turns it off.
HYDRATED_CACHE_SECONDS = env_int("HYDRATED_CACHE_SECONDS", 300) if REDIS_URL else 0
# How many of those copies each process also holds of each kind (tweets, accounts...), the least
# recently used leaving first: a page whose copies it holds needs one round trip to Redis (their
# stamps) instead of two, and no unpickling. About 5 KB each for tweets. 0 holds none.
HYDRATED_LOCAL_ENTRIES = env_int("HYDRATED_LOCAL_ENTRIES", 5000)

# --- Background work: Celery (see minitter/celery.py) -------------------------------------------
# With a broker (Redis) set, tasks go to `celery -A minitter worker`; without one they run in this
# process right after the transaction that asked for them commits (`make run` needs no server).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Never sent to: Celery only builds a producer for in-process runs (no host, no warning).
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only when it has finished, and given back to the queue when the process
# running it dies, so a killed worker loses nothing: another worker runs it again (tasks are
# idempotent). One message at a time per process keeps the unacknowledged window small.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message taken by a worker that vanished (SIGKILL, lost machine) goes back to the queue after
# this many seconds; tasks are short batches, so a few minutes is safe and bounds the delay.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
# Workers look for such messages every CELERY_RESTORE_INTERVAL seconds (kombu's default looks
# only every tenth time, about every 100 s, which can double the delay).
CELERY_RESTORE_INTERVAL = env_int("CELERY_RESTORE_INTERVAL", 10)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_RESTORE_INTERVAL,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": max(REDIS_TIMEOUT, 5),
    # Publishing gives up after one quick retry instead of kombu's default seconds of retrying.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Publishing must not hang a request when the broker is down: fail fast, the outbox keeps the work.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# host:port on which a worker serves its Prometheus metrics (queue length, task latency); "": none.
CELERY_WORKER_METRICS_BIND = os.environ.get("CELERY_WORKER_METRICS_BIND", "")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "idempotency-keys-purge": {"task": "core.tasks.idempotency_keys_purge", "schedule": 3600},
    "media-cleanup": {
        "task": "media.tasks.media_cleanup",
        "schedule": env_int("MEDIA_CLEANUP_INTERVAL_SECONDS", 3600),
    },
    "mutes-expired-delete": {"task": "tweets.tasks.mutes_expired_delete", "schedule": 3600},
    "tag-uses-old-delete": {"task": "tweets.tasks.tag_uses_old_delete", "schedule": 3600},
    "timeline-work-resend": {
        "task": "tweets.tasks.timeline_work_resend",
        "schedule": env_int("TIMELINE_WORK_RETRY_SECONDS", 60),
    },
    "timelines-trim": {
        "task": "tweets.tasks.timelines_trim",
        "schedule": env_int("TIMELINE_TRIM_INTERVAL_SECONDS", 3600),
    },
}

# --- E-mail (notices such as a sign-up with an address that already has an account) ------------
# The console backend writes messages to stderr; production sets an SMTP server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 5)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "minitter <noreply@localhost>")

# --- Accounts and passwords ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
# Argon2 hashes new passwords; PBKDF2, bcrypt and scrypt hashes from older systems still verify
# and are upgraded to Argon2 on the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.AccountOAuthAuthentication",
        "accounts.authentication.AccountTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",
        "core.renderers.BrowsableAPIRenderer",
    ],
    # Serializers pass datetimes through; core.renderers writes them as 2024-01-01T00:00:00.000Z.
    "DATETIME_FORMAT": None,
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, refusing deep nesting, NUL and unpaired surrogates (see core/parsers.py).
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.KeysetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # Every write is limited per user and per address (core/throttling.py); login and sign-up
    # have limits of their own.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.WriteUserThrottle",
        "core.throttling.WriteAddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "write_user": os.environ.get("THROTTLE_WRITE_USER", "60/min"),
        "write_ip": os.environ.get("THROTTLE_WRITE_IP", "1200/min"),
        "upload_user": os.environ.get("THROTTLE_UPLOAD_USER", "10/min"),
        "upload_ip": os.environ.get("THROTTLE_UPLOAD_IP", "60/min"),
        "login_ip": os.environ.get("THROTTLE_LOGIN_IP", "30/min"),
        "login_username": os.environ.get("THROTTLE_LOGIN_USERNAME", "10/min"),
        "signup_ip": os.environ.get("THROTTLE_SIGNUP_IP", "10/hour"),
        "signup_username": os.environ.get("THROTTLE_SIGNUP_USERNAME", "5/hour"),
    },
    # How many proxies (nginx = 1) put their address in X-Forwarded-For; 0 trusts only the socket.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
MINITTER_MAX_PAGE_SIZE = 100
# How long an Idempotency-Key is remembered (core/idempotency.py).
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)
# Largest request body accepted outside file uploads (JSON and form posts), in bytes.
MINITTER_MAX_JSON_BODY = env_int("MINITTER_MAX_JSON_BODY", 64 * 1024)

# --- Tweets and timelines (see docs/architecture.md) ----------------------------------------------
TWEET_MAX_LENGTH = env_int("TWEET_MAX_LENGTH", 300)
# Edits of one tweet at most: its history is served whole, one version per edit.
TWEET_EDITS_MAX = env_int("TWEET_EDITS_MAX", 50)
# Authors with more followers than this are not fanned out; readers merge their tweets at read time.
# Fan-out runs in background tasks of TIMELINE_FANOUT_BATCH_SIZE followers each.
TIMELINE_FANOUT_MAX_FOLLOWERS = env_int("TIMELINE_FANOUT_MAX_FOLLOWERS", 100_000)
TIMELINE_FANOUT_BATCH_SIZE = env_int("TIMELINE_FANOUT_BATCH_SIZE", 1000)
# Fan-outs and backfills still pending after this many seconds are sent again (periodic job).
TIMELINE_WORK_RETRY_SECONDS = env_int("TIMELINE_WORK_RETRY_SECONDS", 60)
# On follow, the followee's tweets of the last N days (at most M of them) enter the timeline.
TIMELINE_BACKFILL_DAYS = env_int("TIMELINE_BACKFILL_DAYS", 30)
TIMELINE_BACKFILL_MAX = env_int("TIMELINE_BACKFILL_MAX", 200)
# Each home timeline keeps its N newest entries (as Mastodon), trimmed every
# TIMELINE_TRIM_INTERVAL_SECONDS; pages beyond them are read from the tweets themselves.
TIMELINE_MAX_ENTRIES = env_int("TIMELINE_MAX_ENTRIES", 800)
TIMELINE_TRIM_INTERVAL_SECONDS = env_int("TIMELINE_TRIM_INTERVAL_SECONDS", 3600)
# Take or renew the tweet-id node lease when a request starts, outside any transaction.
MINITTER_NODE_LEASE_AT_REQUEST_START = env_bool("MINITTER_NODE_LEASE_AT_REQUEST_START", True)
# Benchmark-only routes (the naive timeline query that bench/run.py compares against); never
# in production.
MINITTER_BENCHMARK_ENDPOINTS = env_bool("MINITTER_BENCHMARK_ENDPOINTS", False)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The login's own service sets last_login, in the transaction that issues the tokens.
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    # Tokens carry a hash of the password hash: changing the password voids access tokens at once.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.TokenRefreshSerializer",
    "USER_AUTHENTICATION_RULE": "accounts.authentication.user_authentication_rule",
}

# --- OAuth 2 for the Mastodon client API (django-oauth-toolkit; see mastodon_api/) ---------------
OAUTH2_PROVIDER = {
    "SCOPES": MASTODON_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    "SCOPES_BACKEND_CLASS": "mastodon_api.oauth.ApplicationScopes",
    "OAUTH2_VALIDATOR_CLASS": "mastodon_api.oauth.MastodonOAuth2Validator",
    # Mastodon's tokens do not expire; clients keep them until they are revoked.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_DAYS", 3650) * 86400,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # PKCE is checked whenever a client sends a code challenge, and only S256 is accepted.
    "PKCE_REQUIRED": False,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # RFC 9700 (OAuth security best practice) where Mastodon clients allow it: no implicit grant,
    # tokens only in the Authorization header, tokens stored hashed, the issuer in redirects,
    # refresh-token replay revokes the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
    ],
}
# Deliberate departures from RFC 9700, for the Mastodon clients in use: the password grant
# (Mastodon.py's log_in; behind the login throttles), PKCE optional (many clients send none) and
# http redirect URIs (native apps' loopback callbacks, local web clients).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W002", "oauth2_provider.W008", "oauth2_provider.W010"]
# Registration: POST /api/v1/apps is open to anyone, like on Mastodon.
MASTODON_INSTANCE_TITLE = os.environ.get("MASTODON_INSTANCE_TITLE", "minitter")
MASTODON_CONTACT_EMAIL = os.environ.get("MASTODON_CONTACT_EMAIL", "")
# Requests per window on the Mastodon surface, per token (or per address without one).
MASTODON_RATE_LIMIT = env_int("MASTODON_RATE_LIMIT", 300)
MASTODON_RATE_WINDOW_SECONDS = env_int("MASTODON_RATE_WINDOW_SECONDS", 300)

# --- CORS: browser clients on any origin may call the Mastodon surface with a bearer token. No
# cookies cross origins; the admin, the HTML login page and the project's own API are not CORS.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api/v1/|api/v2/|oauth/token|oauth/revoke|\.well-known/|nodeinfo/).*$"
CORS_EXPOSE_HEADERS = ["Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
CORS_ALLOW_HEADERS = [*default_cors_headers, "idempotency-key"]

SPECTACULAR_SETTINGS = {
    "TITLE": "minitter API",
    "DESCRIPTION": (
        "A mini-Twitter REST API. Authenticate with `Authorization: Bearer <access>` from "
        "`POST /api/minitter/v1/auth/token`. Ids are strings, timestamps ISO 8601 in UTC. "
        "Every error is "
        '`{"code": "...", "detail": "...", "fields": {...}}` (`fields` on validation errors '
        "only; `code` is stable). Lists are cursor-paginated: "
        '`{"next", "previous", "results"}` with `?limit=` (1-100, default 20).\n\n'
        "**Trying writes here:** open `POST /api/minitter/v1/auth/token`, *Try it out* with your "
        "username and password, copy `access` from the response, click **Authorize** and paste it "
        "(without `Bearer`). A closed padlock means your token is sent with that request. Reads "
        "marked *public, token optional* work without one; with one they also show your own "
        "state (`liked`, `following`). Access tokens last 5 minutes: log in again, or use "
        "`POST /api/minitter/v1/auth/token/refresh`."
    ),
    "VERSION": "1.0.0",
    # Bearer tokens only: the session login is for the browsable API, not for API clients.
    "AUTHENTICATION_WHITELIST": ["accounts.authentication.AccountTokenAuthentication"],
    "SWAGGER_UI_SETTINGS": SWAGGER_UI_SETTINGS,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/minitter/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Media storage: local files by default, S3 (or MinIO, any S3-compatible store) with
# MINITTER_STORAGE=s3. Objects get random keys, a content type and long-lived cache headers.
MINITTER_STORAGE = os.environ.get("MINITTER_STORAGE", "local")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")


def s3_storage(
    *,
    bucket: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    custom_domain: str | None = None,
    url_protocol: str = "https:",
    public: bool = False,
    url_expire_seconds: int = 3600,
    addressing_style: str | None = None,
    connect_timeout: int = 3,
    read_timeout: int = 10,
    max_attempts: int = 2,
) -> dict:
    """The django-storages S3 backend as minitter uses it (also used by the S3 tests)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region,
            "endpoint_url": endpoint_url,
            "access_key": access_key,
            "secret_key": secret_key,
            "custom_domain": custom_domain,
            "url_protocol": url_protocol,
            # A private bucket (the default) gets pre-signed URLs; a public one plain URLs.
            "querystring_auth": not public,
            "querystring_expire": url_expire_seconds,
            "addressing_style": addressing_style,
            "file_overwrite": False,
            "default_acl": None,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            # Fail fast when the store is down: uploads answer 503 instead of hanging.
            "client_config": Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"max_attempts": max_attempts, "mode": "standard"},
                signature_version="s3v4",
            ),
        },
    }


if MINITTER_STORAGE == "s3":
    if not os.environ.get("S3_BUCKET"):
        raise ImproperlyConfigured("S3_BUCKET must be set when MINITTER_STORAGE=s3.")
    # Pages keep the JSON they wrote, pre-signed URLs in it, for up to a minute
    # (core.copies.DERIVED_SECONDS): a URL must stay valid well beyond that.
    if env_int("S3_URL_EXPIRE_SECONDS", 3600) < 300:
        raise ImproperlyConfigured("S3_URL_EXPIRE_SECONDS must be at least 300.")
    DEFAULT_STORAGE = s3_storage(
        bucket=os.environ["S3_BUCKET"],
        region=os.environ.get("S3_REGION") or None,
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        access_key=os.environ.get("S3_ACCESS_KEY_ID") or None,
        secret_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        custom_domain=os.environ.get("S3_CUSTOM_DOMAIN") or None,
        url_protocol=os.environ.get("S3_URL_PROTOCOL", "https:"),
        public=env_bool("S3_PUBLIC_BUCKET", False),
        url_expire_seconds=env_int("S3_URL_EXPIRE_SECONDS", 3600),
        addressing_style=os.environ.get("S3_ADDRESSING_STYLE") or None,
        connect_timeout=env_int("S3_CONNECT_TIMEOUT", 3),
        read_timeout=env_int("S3_READ_TIMEOUT", 10),
        max_attempts=env_int("S3_MAX_ATTEMPTS", 2),
    )
elif MINITTER_STORAGE == "local":
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
else:
    raise ImproperlyConfigured("MINITTER_STORAGE must be 'local' or 's3'.")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 8 * 1024 * 1024)
# Images whose header declares more pixels are refused before decoding (image bombs).
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000)
# Memory per upload (media/images.py): JPEG is decoded already scaled down; PNG, GIF and WebP are
# decoded at full size, so they have a smaller budget (4096x4096: 64 MB of pixels at most).
MEDIA_MAX_DECODED_PIXELS = env_int("MEDIA_MAX_DECODED_PIXELS", 4096 * 4096)
# Stored images are at most this many pixels on their long side.
MEDIA_MAX_SIDE = env_int("MEDIA_MAX_SIDE", 2048)
# Images processed at once per process (others wait up to MEDIA_PROCESSING_WAIT_SECONDS, then 503).
MEDIA_PROCESSING_CONCURRENCY = env_int("MEDIA_PROCESSING_CONCURRENCY", 1)
MEDIA_PROCESSING_WAIT_SECONDS = env_int("MEDIA_PROCESSING_WAIT_SECONDS", 10)
MEDIA_MAX_PER_TWEET = 4
MEDIA_UNATTACHED_GRACE_HOURS = env_int("MEDIA_UNATTACHED_GRACE_HOURS", 24)
# Multipart bodies may carry one upload plus form fields.
MINITTER_MAX_UPLOAD_BODY = MEDIA_MAX_UPLOAD_BYTES + 256 * 1024

# --- Logging: JSON lines on stderr, each with the request id (see minitter/logging.py) ----------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "minitter.logging.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        # The request log line replaces Django's own per-request warnings and runserver's log.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        "minitter.request": {
            "handlers": ["stderr"],
            "level": os.environ.get("REQUEST_LOG_LEVEL", "INFO").upper(),
            "propagate": False,
        },
    },
}

# --- Static files (admin, browsable API, Swagger UI); nginx serves STATIC_ROOT in production -----
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

# --- Security (production) -----------------------------------------------------------------------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true so Django trusts its
# X-Forwarded-Proto header; never set it when clients can reach Django directly.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^ping$", r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTML pages (browsable API, Swagger UI, admin) load scripts and styles from this site only;
# inline styles are allowed (Swagger UI and the admin use them), inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
