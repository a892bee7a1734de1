"""Copies of what pages show, kept in the shared cache and served only while current: model
instances read with what they were read with (a tweet with its author, its original, its
media), each kept with the stamps (``core.stamps``) of every row it shows.

The rule that makes a copy current:

- The stamps of a copy's rows are read before the rows, and the copy is kept with them; it is
  served only while every one of them is unchanged. A write renews its rows' stamps after it
  commits, so a write that commits while a copy is being read leaves that copy out at once.
- Rows a copy is made from are read from the primary database, never a replica that may not
  have replayed a write yet (``core.replicas.primary_reads``).
- Inside a transaction of the caller's own nothing is read from or kept in the cache: what it
  reads may be rolled back, and the writes it made renew their stamps only when it commits.
- Which rows an object shows (its stamps' keys) are kept with the copy, and apart from it for
  objects whose copy is not kept yet; an object read for the first time is kept from its second
  read on, unless the caller knows its rows beforehand (``rows_known``).

When the cache cannot be reached, or answers with something that cannot be read, the database
is read instead; after a failure this process leaves the copies alone for a few seconds
(``stamps.unavailable``), so an unresponsive Redis costs one timeout, not one per request.
"""

import pickle
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from core import stamps
from core.cache import bytes_get_many, bytes_set_many
from core.replicas import primary_reads

# Reading a page's copies and stamps takes about a millisecond; a cache slower than this is left
# alone for a while, as one that fails is.
SLOW_SECONDS = 0.25


def _in_own_transaction() -> bool:
    """Whether the caller has a transaction open (a test's own wrapping one does not count)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _usable() -> bool:
    return stamps.enabled() and stamps.available() and not _in_own_transaction()


def rows_shown(instance: Model) -> list[str]:
    """The stamp keys of every row ``instance`` shows: itself and the related instances it was
    read with (``select_related``), those of the models whose stamps are renewed
    (``stamps.track``); the epoch first."""
    shown = [part for part in _instances(instance) if stamps.tracked(type(part))]
    keys = [stamps.EPOCH_KEY, *(stamps.key(type(part), part.pk) for part in shown)]
    return list(dict.fromkeys(keys))


def _instances(instance: Model):
    """``instance`` and the instances read with it, through ``select_related``."""
    seen, todo = set(), [instance]
    while todo:
        current = todo.pop()
        if id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [related for related in current._state.fields_cache.values() if related]


class Copies:
    """Copies of objects of one kind, by primary key. ``name`` and ``models`` (the models a copy
    holds) make the keys, with a digest of the models' fields: copies kept by other code (before
    a deploy) are never read. ``private`` fields (a password hash) are left out of every instance
    a copy holds (deferred: read from the database if ever asked for)."""

    def __init__(
        self,
        name: str,
        models: Iterable[type[Model]],
        *,
        seconds: Callable[[], int],
        private: tuple[str, ...] = (),
        rows_known: Callable[[object], list[str]] | None = None,
    ):
        self.prefix = f"{name}:{stamps.layout(f'copies v1, without {private}', *models)}"
        self.seconds = seconds
        self.private = private
        self.rows_known = rows_known

    def get_many(self, ids: Iterable, read: Callable[[list], dict]) -> dict:
        """The objects of ``ids`` that ``read(ids)`` finds (a dict by id), from their copies
        where these are current and from ``read`` for the others, whose copies are kept."""
        ids = list(dict.fromkeys(ids))
        if not ids or not _usable():
            return read(ids)
        started = time.monotonic()
        try:
            kept, rows, now = self._read_kept(ids)
        except stamps.CACHE_ERRORS as exc:
            stamps.unavailable(exc)
            return read(ids)
        if time.monotonic() - started > SLOW_SECONDS:
            stamps.unavailable(TimeoutError(f"the cache took over {SLOW_SECONDS} s"))
        found, missing = {}, []
        for pk in ids:
            copy = kept.get(pk)
            current = copy is not None and copy[1] == [now.get(key) for key in copy[0]]
            instance = self._load(copy[2]) if current else None
            if instance is None:
                missing.append(pk)
            else:
                found[pk] = instance
        if not missing:
            return found
        with primary_reads():
            loaded = read(missing)
        self._keep(loaded, rows, now)
        return {**found, **loaded}

    def _key(self, pk) -> str:
        return f"{self.prefix}:{pk}"

    def _rows_key(self, pk) -> str:
        return f"{self.prefix}:rows:{pk}"

    def _read_kept(self, ids: list) -> tuple[dict, dict, dict]:
        """The copies kept (by id: their stamps' keys, those stamps, the pickled object), the
        rows each id shows where known, and the current stamps of all of those rows (made
        where missing): two round trips, one where the rows are known beforehand."""
        copy_keys = [self._key(pk) for pk in ids]
        if self.rows_known is not None:
            rows = {pk: self.rows_known(pk) for pk in ids}
            stamp_keys = list(dict.fromkeys(key for keys in rows.values() for key in keys))
            values = bytes_get_many([*copy_keys, *stamp_keys])
            now = stamps.completed(dict(zip(stamp_keys, values[len(ids) :], strict=True)))
            return _decoded(ids, values[: len(ids)], _is_copy), rows, now
        kept = _decoded(ids, bytes_get_many(copy_keys), _is_copy)
        rows = {pk: copy[0] for pk, copy in kept.items()}
        unknown = [pk for pk in ids if pk not in rows]
        if unknown:
            keys = bytes_get_many([self._rows_key(pk) for pk in unknown])
            rows.update(_decoded(unknown, keys, _is_rows))
        now = stamps.current(key for keys in rows.values() for key in keys)
        return kept, rows, now

    def _keep(self, loaded: dict, rows: dict, now: dict) -> None:
        """Keep copies of the objects read whose rows were known (their stamps were read before
        them), and the rows of the others, for their next read."""
        copies, learnt, outdated = {}, {}, []
        for pk, instance in loaded.items():
            shown = rows_shown(instance)
            if rows.get(pk) == shown:
                copy = (shown, [now[key] for key in shown], self._dump(instance))
                copies[self._key(pk)] = pickle.dumps(copy, pickle.HIGHEST_PROTOCOL)
            elif self.rows_known is None:
                learnt[self._rows_key(pk)] = pickle.dumps(shown, pickle.HIGHEST_PROTOCOL)
                if pk in rows:  # a copy of other rows (a name another account took): drop it,
                    outdated.append(self._key(pk))  # or its rows would be read instead
        try:
            if copies:
                bytes_set_many(copies, self.seconds())
            if learnt:
                bytes_set_many(learnt, stamps.STAMP_SECONDS)
            if outdated:
                cache.delete_many(outdated)
        except stamps.CACHE_ERRORS as exc:
            stamps.unavailable(exc)

    def _dump(self, instance: Model) -> bytes:
        """``instance`` pickled without its ``private`` fields (put back afterwards)."""
        held = []
        for part in _instances(instance):
            for name in self.private:
                if name in part.__dict__:
                    held.append((part, name, part.__dict__.pop(name)))
        try:
            return pickle.dumps(instance, pickle.HIGHEST_PROTOCOL)
        finally:
            for part, name, value in held:
                part.__dict__[name] = value

    @staticmethod
    def _load(data: bytes) -> Model | None:
        try:
            instance = pickle.loads(data)
        except Exception:  # kept by other code: read the database instead
            return None
        return instance if isinstance(instance, Model) else None


def _is_rows(value) -> bool:
    return isinstance(value, list) and all(isinstance(key, str) for key in value)


def _is_copy(value) -> bool:
    """(the stamps' keys, the stamps, the pickled object), as ``Copies._keep`` keeps it."""
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and _is_rows(value[0])
        and isinstance(value[1], list)
        and isinstance(value[2], bytes)
    )


def _decoded(ids: list, values: list, valid: Callable[[object], bool]) -> dict:
    """The values that unpickle into what ``valid`` accepts, by id; any other is as good as
    absent (kept by other code: the database is read instead)."""
    decoded = {}
    for pk, value in zip(ids, values, strict=True):
        if value is None:
            continue
        try:
            value = pickle.loads(value)
        except Exception:
            continue
        if valid(value):
            decoded[pk] = value
    return decoded
