"""Counting in the shared cache: ``window_count`` (what every rate limit counts with), and
``bytes_get_many`` and ``bytes_set_many`` for the many small values a page reads at once
(``core.stamps``).

Where the shared cache is the database (production without Redis), rate limits do not count in
its table but in ``RateWindow`` rows, one statement per request. Django's database cache was no
place for counters: its ``incr`` reads the value and writes it back (increments at the same moment
are lost), and every write counts the table's rows and, past ``MAX_ENTRIES``, deletes a third of
the live entries, counters included, in the writer's transaction. Counting there took three
transactions and about eight statements per limit, and under load those transactions, each
holding a counter's row while deleting others, deadlocked: a request aborted in its rate limit
answered 503.
"""

import logging
import random
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connections, router, transaction

from core.models import RateWindow

logger = logging.getLogger(__name__)

# One window opened in this many purges the closed ones (at most ``PURGE_AT_MOST`` rows): the
# table stays about as large as the windows open, with no periodic job to run.
PURGE_ONE_IN = 100
PURGE_AT_MOST = 1000


def window_count(cache, key: str, seconds: int) -> tuple[int, float | None]:
    """Count one more in the window counted at ``key`` of ``cache``, opening it (for ``seconds``)
    when there is none: (the count so far, the seconds the window has left where the cache can
    tell, else None). Atomic: requests at the same moment are all counted.

    On Redis it is one round trip, a transaction of ``SET NX EX``, ``INCR`` and ``PTTL`` (the
    counter cannot expire between them); it was four commands through the cache's API on every
    write. In the database one statement (``_database_window_count``). Elsewhere (the
    per-process cache) the cache's ``add`` and ``incr``, each under the cache's lock."""
    cache = _backend(cache)  # the default cache is a proxy: what it stands for in this thread
    if isinstance(cache, DatabaseCache):
        return _database_window_count(cache.make_and_validate_key(key), seconds)
    if isinstance(cache, RedisCache):
        redis_key = cache.make_and_validate_key(key)
        # Django's Redis client (``_cache``) holds the connection pool; ints are stored as such,
        # so the cache's own ``get`` and ``incr`` read these counters too.
        pipeline = _redis_client(cache, write=True).pipeline(transaction=True)
        pipeline.set(redis_key, 0, ex=seconds, nx=True).incr(redis_key).pttl(redis_key)
        _, count, left_ms = pipeline.execute()
        return count, max(left_ms, 0) / 1000
    for _ in range(2):  # again if the window closed between add and incr
        cache.add(key, 0, seconds)
        try:
            return cache.incr(key), None
        except ValueError:
            continue
    cache.set(key, 1, seconds)
    return 1, None


def _backend(cache):
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


def _redis_client(cache: RedisCache, *, write: bool):
    """A Redis client on the connection pool of Django's Redis cache (``_cache``), made once per
    pool and kept on it (so that it goes with the pool of a thread that ended): the cache's own
    ``get_client`` builds a new client, with its table of reply parsers, on every call, which
    cost more than a small command's round trip."""
    pool = cache._cache._get_connection_pool(write)
    client = getattr(pool, "minitter_client", None)
    if client is None:
        client = pool.minitter_client = cache._cache._client(connection_pool=pool)
    return client


def bytes_get_many(keys: list[str], cache=default_cache) -> list[bytes | None]:
    """The values ``bytes_set_many`` stored at ``keys``, in order, None where there is none. On
    Redis one ``MGET`` of the bytes as stored: the cache's ``get_many`` checks each key and
    unpickles each value, which cost more than the round trip for a page's hundred keys. Read
    from the server written to (the first of several in ``REDIS_URL``), never a replica that may
    lag: a stamp read there could be one renewed since."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        return _redis_client(cache, write=True).mget([cache.make_key(key) for key in keys])
    found = cache.get_many(keys)
    return [found.get(key) for key in keys]


def bytes_set_many(values: dict[str, bytes], seconds: int, cache=default_cache) -> None:
    """Store ``values`` (bytes) for ``seconds``; on Redis in one round trip, as they are."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        pipeline = _redis_client(cache, write=True).pipeline(transaction=False)
        for key, value in values.items():
            pipeline.set(cache.make_key(key), value, ex=seconds)
        pipeline.execute()
    else:
        cache.set_many(values, seconds)


def _database_window_count(key: str, seconds: int) -> tuple[int, float]:
    """``window_count`` in ``RateWindow`` rows: one statement that opens the window at ``key``,
    or counts in it, or opens the next one in place of a closed one, and says what it left. It
    takes no lock but its row's, for that statement: requests at the same moment queue on the
    row and are all counted, and no two of them can wait for each other."""
    now_ms = int(time.time() * 1000)
    alias = router.db_for_write(RateWindow)
    connection = connections[alias]
    table, key_column, count, closes_at = _rate_window_names(connection)
    closed = f"{table}.{closes_at} <= %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {count}, {closes_at}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET "
            f"{count} = CASE WHEN {closed} THEN 1 ELSE {table}.{count} + 1 END, "
            f"{closes_at} = CASE WHEN {closed} THEN excluded.{closes_at} "
            f"ELSE {table}.{closes_at} END "
            f"RETURNING {count}, {closes_at}",
            [key, now_ms + seconds * 1000, now_ms, now_ms],
        )
        counted, closes_at_ms = cursor.fetchone()
    if counted == 1 and random.randrange(PURGE_ONE_IN) == 0:
        rate_windows_purge(now_ms, using=alias)
    return counted, max(closes_at_ms - now_ms, 0) / 1000


def _rate_window_names(connection) -> tuple[str, str, str, str]:
    """The quoted names of ``RateWindow``'s table and of its key, count and closing columns."""
    quote, fields = connection.ops.quote_name, RateWindow._meta
    return quote(fields.db_table), *(
        quote(fields.get_field(name).column) for name in ("key", "count", "closes_at")
    )


def rate_windows_purge(now_ms: int, *, using: str) -> None:
    """Delete up to ``PURGE_AT_MOST`` windows closed before ``now_ms``. On PostgreSQL the rows a
    request is counting in at that moment are skipped (``SKIP LOCKED``): the purge waits for no
    one, and no one waits for it long. A purge that fails anyway is left for the next one."""
    connection = connections[using]
    table, key_column, _, closes_at = _rate_window_names(connection)
    skip_locked = ""
    if connection.features.has_select_for_update_skip_locked:
        skip_locked = " FOR UPDATE SKIP LOCKED"
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {key_column} IN (SELECT {key_column} FROM {table} "
                f"WHERE {closes_at} <= %s LIMIT %s{skip_locked})",
                [now_ms, PURGE_AT_MOST],
            )
    except DatabaseError as exc:
        logger.warning("closed rate-limit windows not purged: %s", type(exc).__name__)
