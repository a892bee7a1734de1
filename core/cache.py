"""Counting in the shared cache: ``window_count`` (what every rate limit counts with) and Django's
database cache with an ``incr`` fit for counters shared by processes; ``bytes_get_many`` and
``bytes_set_many`` for the many small values a page reads at once (``core.stamps``).

The database cache's base ``incr`` reads the value and writes it back: increments made at the
same moment are lost, and the entry's expiry is reset to the default timeout. Here the row is
locked while it is read and written (``SELECT ... FOR UPDATE``), and its expiry is kept. Its base
``add`` replaces an expired entry without a lock, so callers that find it expired at the same
moment each replace it, the later ones wiping what was counted since (a rate limit's window
opened several times over): here the row is locked first.
"""

import base64
import pickle

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends import db
from django.core.cache.backends.redis import RedisCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now

from core.sql import row_lock


def window_count(cache, key: str, seconds: int) -> tuple[int, float | None]:
    """Count one more in the window counted at ``key`` of ``cache``, opening it (for ``seconds``)
    when there is none: (the count so far, the seconds the window has left where the cache can
    tell, else None). Atomic: requests at the same moment are all counted.

    On Redis it is one round trip, a transaction of ``SET NX EX``, ``INCR`` and ``PTTL`` (the
    counter cannot expire between them); it was four commands through the cache's API on every
    write. Elsewhere it is the cache's ``add`` and ``incr``."""
    cache = _backend(cache)  # the default cache is a proxy: what it stands for in this thread
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
    unpickles each value, which cost more than the round trip for a page's hundred keys."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        return _redis_client(cache, write=False).mget([cache.make_key(key) for key in keys])
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


class DatabaseCache(db.DatabaseCache):
    def add(self, key, value, timeout=db.DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        using = router.db_for_write(self.cache_model_class)
        connection = connections[using]
        with transaction.atomic(using=using), connection.cursor() as cursor:
            self._read_locked(cursor, key, "1")
            return self._base_set("add", key, value, timeout)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        using = router.db_for_write(self.cache_model_class)
        connection = connections[using]
        quote = connection.ops.quote_name
        with transaction.atomic(using=using), connection.cursor() as cursor:
            row = self._read_locked(cursor, key, f"{quote('value')}, {quote('expires')}")
            if row is None or _as_datetime(row[1], connection) < tz_now():
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {quote(self._table)} SET {quote('value')} = %s "
                f"WHERE {quote('cache_key')} = %s",
                [encoded, key],
            )
        return value

    def _read_locked(self, cursor, key: str, columns: str):
        """These columns of the entry at ``key`` (None when there is none), its row locked until
        the transaction ends where the database can (``SELECT ... FOR UPDATE``)."""
        connection = cursor.db
        quote = connection.ops.quote_name
        lock = row_lock(connection)
        cursor.execute(
            f"SELECT {columns} FROM {quote(self._table)} WHERE {quote('cache_key')} = %s{lock}",
            [key],
        )
        return cursor.fetchone()


def _as_datetime(value, connection):
    """A value of the ``expires`` column as the aware or naive datetime Django compares it as."""
    expression = models.Expression(output_field=models.DateTimeField())
    converters = connection.ops.get_db_converters(expression)
    for converter in converters + expression.get_db_converters(connection):
        value = converter(value, expression, connection)
    return value
