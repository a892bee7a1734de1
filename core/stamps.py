"""Version stamps in the shared cache: what lets the copies of ``core/copies.py`` be served only
while none of the rows they show has changed.

A stamp is a random token per row (the model and the primary key), replaced after each
transaction that changes what the row shows (``renew``, and on every ``save`` and ``delete`` of
the models given to ``track``). A reader takes the stamps of the rows it depends on *before* it
reads the rows, and keeps its copy with them; the copy is served only while every one of them is
unchanged. A stamp that is missing (never made, expired, evicted, an emptied cache) is made anew
with a token no copy holds. One more stamp, the epoch, is in every copy: renewing it leaves them
all out, for the rare writes that change many rows at once (more than ``RENEW_AT_MOST``: the
recounts after suspending a popular account, ``manage.py recount``, ``seed_demo``) and for
``manage.py forget_cached_copies`` (after restoring a database).

Redis can also lose renewals it had taken: restarted from a snapshot or an append-only file that
missed the last writes, or replaced by a replica that lagged (a failover). The old stamps come
back with the old copies, and would match them. So every connection to Redis first checks that
the server is the one the stamps were last written to (``SERVER_KEY`` holds the run id of the
server that wrote it; a restarted or another server has another): where it is not, the epoch is
renewed before anything is read (``ServerCheckedConnectionPool``, the pool of Django's Redis
cache).

A renewal that cannot be written (Redis unreachable, or refusing writes) is logged and counted
(``minitter_cache_stamp_renewals_failed_total``), and the process that lost it uses no copy
until it has renewed the epoch, which it tries every few seconds, with its next renewal, and
when it exits (a command or a worker that reads no copy): once Redis takes writes again, every
copy everywhere is read anew. Until then, copies in other processes live until they expire
(``HYDRATED_CACHE_SECONDS``, 30 s for the accounts of tokens), the bound of staleness in that case
only.
"""

import atexit
import hashlib
import logging
import secrets
import time
from collections.abc import Iterable
from functools import cache, partial

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.db.transaction import on_commit
from prometheus_client import Counter
from redis.exceptions import RedisError

from core.cache import bytes_get_many, bytes_set_many

logger = logging.getLogger(__name__)

RENEWALS_FAILED = Counter(
    "minitter_cache_stamp_renewals_failed",
    "Cache stamps that could not be renewed after a write (copies then live until they expire).",
)

# What a cache operation may raise when the cache is unreachable; callers fall back to the
# database (reads) or log (renewals).
CACHE_ERRORS = (RedisError, OSError)

# Stamps outlive the copies kept with them (a stamp that expires only makes copies miss).
STAMP_SECONDS = 24 * 3600
EPOCH_KEY = "stamp:epoch"
# The run id of the Redis server that last checked the stamps (``server_check``).
SERVER_KEY = "stamp:server"
# A write that changes more rows than this renews the epoch instead (a tweet with very many
# replies deleted).
RENEW_AT_MOST = 1000


def enabled() -> bool:
    """Whether copies are kept: ``HYDRATED_CACHE_SECONDS`` above 0 (a cache all processes share)."""
    return settings.HYDRATED_CACHE_SECONDS > 0


def layout(description: str, *models: type[Model]) -> str:
    """A digest of how a cache keeps its copies and of the fields of the models they hold, for
    its keys: copies kept by other code (before a deploy) are never read as its own."""
    names = [description] + [
        f"{model._meta.label}.{field.attname}"
        for model in models
        for field in model._meta.concrete_fields
    ]
    return hashlib.blake2b("\n".join(names).encode(), digest_size=4).hexdigest()


def key(model: type[Model], pk) -> str:
    """The cache key of a row's stamp."""
    return f"stamp:{model._meta.label_lower}:{pk}"


def renew(model: type[Model], pks: Iterable) -> None:
    """New stamps for these rows once the current transaction commits (at once outside one):
    copies read from them are not served any more. ``None`` among ``pks`` is ignored."""
    if not enabled():
        return
    keys = sorted({key(model, pk) for pk in pks if pk is not None})
    if len(keys) > RENEW_AT_MOST:
        renew_all()
    elif keys:
        on_commit(partial(_write_new, keys))


def renew_all() -> None:
    """A new epoch once the current transaction commits: no copy kept so far is served."""
    if enabled():
        on_commit(partial(_write_new, [EPOCH_KEY]))


def current(keys: Iterable[str]) -> dict[str, bytes]:
    """The stamps at ``keys`` (and the epoch's), making those that are missing. Read them before
    the rows a copy is made from. Raises one of ``CACHE_ERRORS`` when the cache is unreachable."""
    keys = list({EPOCH_KEY: None, **dict.fromkeys(keys)})
    return completed(dict(zip(keys, bytes_get_many(keys), strict=True)))


def completed(stamps: dict[str, bytes | None]) -> dict[str, bytes]:
    """Stamps read in a round trip of the caller's (None: missing), the missing ones made."""
    missing = {stamp_key: _token() for stamp_key, stamp in stamps.items() if stamp is None}
    if missing:
        # Overwriting a stamp renewed meanwhile is safe: it was made before the rows are read.
        bytes_set_many(missing, STAMP_SECONDS)
        stamps.update(missing)
    return stamps


_tracked: set[type[Model]] = set()


def tracked(model: type[Model]) -> bool:
    """Whether the stamps of ``model``'s rows are renewed (``track``)."""
    return model in _tracked


def track(model: type[Model]) -> None:
    """Renew a row's stamp on every ``save`` (but its creation) and ``delete`` of ``model``: the
    admin's forms, fixtures and any later code that saves. Writes by ``QuerySet.update`` call
    ``renew``."""
    _tracked.add(model)
    uid = f"core.stamps.{model._meta.label_lower}"
    post_save.connect(_renew_saved, sender=model, dispatch_uid=uid, weak=False)
    post_delete.connect(_renew_deleted, sender=model, dispatch_uid=uid, weak=False)


def _renew_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        renew(sender, [instance.pk])


def _renew_deleted(sender, instance, **kwargs) -> None:
    renew(sender, [instance.pk])


def _token() -> bytes:
    return secrets.token_bytes(8)


def renew_after_migrate(**kwargs) -> None:
    """After ``migrate`` (and ``flush``): a new epoch, since data migrations write with
    historical models, which renew nothing."""
    if not enabled():
        return
    try:
        renew_all_now()
    except CACHE_ERRORS as exc:
        logger.error(
            "could not renew the cache epoch after migrating (%s): run "
            "`manage.py forget_cached_copies` once the cache is back",
            type(exc).__name__,
        )


def renew_all_now() -> None:
    """A new epoch at once; raises one of ``CACHE_ERRORS`` when it cannot be written."""
    bytes_set_many({EPOCH_KEY: _token()}, STAMP_SECONDS)


def _write_new(keys: list[str]) -> None:
    """Write new stamps at ``keys``, and the epoch too if this process owes it."""
    global _epoch_owed
    stamps = {stamp_key: _token() for stamp_key in keys}
    if _epoch_owed:
        _epoch_owed = False  # cleared before the write: a failure meanwhile sets it again
        stamps[EPOCH_KEY] = _token()
    try:
        bytes_set_many(stamps, STAMP_SECONDS)
    except CACHE_ERRORS as exc:
        RENEWALS_FAILED.inc(len(keys))
        logger.error("could not renew %d cache stamps: %s", len(keys), type(exc).__name__)
        _owe_epoch()
        unavailable(exc)


def _owe_epoch() -> None:
    """Remember that a renewal was lost: the epoch is renewed before this process uses a copy
    again, with its next renewal, or when it exits (a management command, a worker)."""
    global _epoch_owed, _exit_hook
    _epoch_owed = True
    if not _exit_hook:
        _exit_hook = True
        atexit.register(_pay_owed_epoch_at_exit)


def _pay_owed_epoch_at_exit() -> None:
    if not _epoch_owed:
        return
    try:
        renew_all_now()
    except CACHE_ERRORS as exc:
        logger.error(
            "a cache renewal was lost and the epoch could not be renewed (%s): run "
            "`manage.py forget_cached_copies` once the cache takes writes again",
            type(exc).__name__,
        )


DOWN_SECONDS = 5.0
_down_until = 0.0
# A renewal of this process was lost: it uses no copy until it has renewed the epoch, which
# leaves every copy out in every process (should the cache have kept the old stamps).
_epoch_owed = False
_exit_hook = False


def available() -> bool:
    """Whether this process uses the cache's copies: not within ``DOWN_SECONDS`` of a failure,
    and not owing the epoch a renewal (tried here, once the pause is over)."""
    global _epoch_owed
    if time.monotonic() < _down_until:
        return False
    if _epoch_owed:
        _epoch_owed = False  # cleared before the write: a renewal lost meanwhile sets it again
        try:
            renew_all_now()
        except CACHE_ERRORS as exc:
            _epoch_owed = True
            unavailable(exc)
            return False
        logger.warning("cache epoch renewed after a lost renewal: every copy is read again")
    return True


def unavailable(exc: Exception) -> None:
    """Leave the copies alone in this process for ``DOWN_SECONDS`` after ``exc``: an
    unresponsive (or slow) Redis costs one timeout, not one per request."""
    global _down_until
    _down_until = time.monotonic() + DOWN_SECONDS
    logger.warning("cache copies unused for %s s: %s", DOWN_SECONDS, type(exc).__name__)


class ServerCheckedConnectionPool(redis.ConnectionPool):
    """The connection pool of Django's Redis cache (``OPTIONS["pool_class"]``): its connections,
    plain or TLS, run ``server_check`` as soon as they connect, before any command."""

    def __init__(self, connection_class=redis.Connection, **kwargs):
        super().__init__(connection_class=_server_checked(connection_class), **kwargs)


@cache
def _server_checked(connection_class: type) -> type:
    class ServerCheckedConnection(connection_class):
        def on_connect_check_health(self, *args, **kwargs):
            super().on_connect_check_health(*args, **kwargs)
            server_check(self)

    ServerCheckedConnection.__name__ = f"ServerChecked{connection_class.__name__}"
    return ServerCheckedConnection


def server_check(connection) -> None:
    """On a new ``connection``: when its server is not the one that last checked the stamps (its
    run id is not at ``SERVER_KEY``: Redis restarted, from a snapshot that may miss renewals it
    had taken, or a replica took over), renew the epoch, then record the server. A replica
    (another server of ``REDIS_URL`` that Django reads from, or a primary demoted by a fail-over)
    is left alone: stamps are neither read from nor written to it, and a renewal lost on it is
    owed already."""
    try:
        connection.send_command("ROLE", check_health=False)
        role = connection.read_response()
        connection.send_command("INFO", "server", check_health=False)
        info = connection.read_response()
    except redis.ResponseError as exc:  # refused (a managed service's rules)
        logger.warning("the cache server's run id cannot be read (%s): a restart goes unseen", exc)
        return
    if role and role[0] not in (b"master", "master"):
        return
    if isinstance(info, bytes):
        info = info.decode()
    run_id = next(
        (
            line.split(":", 1)[1].strip()
            for line in str(info).splitlines()
            if line.startswith("run_id:")
        ),
        None,
    )
    if not run_id:
        logger.warning("the cache server gives no run id: a restart that lost writes goes unseen")
        return
    make_key = caches[DEFAULT_CACHE_ALIAS].make_key
    connection.send_command("GET", make_key(SERVER_KEY), check_health=False)
    recorded = connection.read_response()
    if recorded is not None and recorded.decode() == run_id:
        return
    try:
        for stamp_key, value, seconds in (
            (EPOCH_KEY, _token(), STAMP_SECONDS),
            (SERVER_KEY, run_id.encode(), None),
        ):
            expiry = ("EX", seconds) if seconds else ()
            connection.send_command("SET", make_key(stamp_key), value, *expiry, check_health=False)
            connection.read_response()
    except redis.ResponseError as exc:
        # Refusing writes (no memory left): the epoch is renewed once it takes them.
        logger.error("cache server changed, epoch not renewed: %s", exc)
        _owe_epoch()
        return
    if recorded is not None:
        logger.warning("cache server changed (restarted or replaced): every copy is read again")
