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

Each process also holds the copies it read last (``HYDRATED_LOCAL_ENTRIES`` of each kind, the
least recently used leaving first), as objects, so that a page whose copies it holds costs one
round trip for their stamps instead of two and no unpickling. A held copy is served by the same
rule (only while its stamps are current, never after its shared copy would have expired), and
every caller gets objects of its own, never the held ones, unless it asks for the held objects
themselves to read them only (``get_many(shared=True)``: a page that only renders its tweets, which
spares it a clone of each). What such a caller derives from a held object alone (its JSON) it may
keep with it (``derived``), for as long as the copy is held and at most ``DERIVED_SECONDS``: the
next page made from the same copy takes it as it is.

A safe request (GET, HEAD, OPTIONS: ``CheckedAfterwardsMiddleware``) may be served a held copy
before its stamps are read (``get_many(checked_afterwards=True)``: the account of its token), the
stamps being asked with the next round trip the request makes for copies anyway (a page's
tweets), or at its end. Where one of them turns out to have changed, the request's answer is
thrown away and it runs again, its copies all checked first: no answer is ever made of a copy
that was not current, and a request costs a round trip fewer.

When the cache cannot be reached, or answers with something that cannot be read, the database
is read instead; after a failure this process leaves the copies alone for a few seconds
(``stamps.unavailable``), so an unresponsive Redis costs one timeout, not one per request.
"""

import functools
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import JSONField, Model
from django.db.models.base import ModelState
from django.http import HttpResponse
from prometheus_client import Counter

from core import stamps
from core.cache import bytes_get_many, bytes_set_many
from core.db import in_own_transaction
from core.replicas import primary_reads

# How long a value derived from a held copy (``derived``) is used: the copy alone bounds it, but
# what is derived may hold pre-signed URLs of private media, which expire (an hour by default).
DERIVED_SECONDS = 60
# Where a held object keeps what is derived from it (an attribute no model has), and how many
# values at most: a page keeps one or two per object for each links' root it is asked for, and
# a client could name many roots (a host with any port passes ALLOWED_HOSTS).
_DERIVED = "_held_copy_derived"
DERIVED_AT_MOST = 8

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

REQUESTS_RUN_AGAIN = Counter(
    "minitter_cache_requests_run_again",
    "Safe requests run again because a copy they were served before its check had changed.",
)

# Reading a page's copies and stamps takes about a millisecond; a cache slower than this is left
# alone for a while, as one that fails is.
SLOW_SECONDS = 0.25


def _usable() -> bool:
    return stamps.enabled() and stamps.available() and not in_own_transaction()


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


class Held(NamedTuple):
    """A copy held in this process: the stamps' keys and stamps it was kept with, the object,
    and when its shared copy expires (``time.time()``)."""

    rows: list[str]
    stamps: list[bytes]
    instance: Model
    expires: float


class HeldCopies:
    """The copies of one kind this process read last, by primary key: at most
    ``HYDRATED_LOCAL_ENTRIES``, the least recently used leaving first. Thread-safe (gunicorn's
    threads share it)."""

    def __init__(self):
        self._held: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, ids: list) -> dict[object, Held]:
        """The unexpired copies held of ``ids``."""
        now, found = time.time(), {}
        with self._lock:
            for pk in ids:
                held = self._held.get(pk)
                if held is None:
                    continue
                if held.expires <= now:
                    del self._held[pk]
                else:
                    self._held.move_to_end(pk)
                    found[pk] = held
        return found

    def put(self, pk, held: Held) -> None:
        limit = settings.HYDRATED_LOCAL_ENTRIES
        with self._lock:
            self._held[pk] = held
            self._held.move_to_end(pk)
            while len(self._held) > limit:
                self._held.popitem(last=False)

    def discard(self, pk) -> None:
        with self._lock:
            self._held.pop(pk, None)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


class Unchecked:
    """The stamps of copies a request was served before they were checked
    (``get_many(checked_afterwards=True)``), until a round trip reads them; and whether one of
    them had changed (or could not be read), which makes the request run again."""

    def __init__(self):
        self.pending: list[Held] = []
        self.changed = False

    def keys(self) -> list[str]:
        return [key for held in self.pending for key in held.rows]

    def settle(self, now: dict) -> None:
        """Check the pending copies against stamps ``now`` read (which hold all their keys)."""
        if any(not _current(held.rows, held.stamps, now) for held in self.pending):
            self.changed = True
        self.pending = []

    def settle_now(self) -> None:
        """Check what is still pending in a round trip of its own (the request made none)."""
        if not self.pending:
            return
        keys = list(dict.fromkeys(self.keys()))
        try:
            now = dict(zip(keys, bytes_get_many(keys), strict=True))
        except stamps.CACHE_ERRORS as exc:
            stamps.unavailable(exc)
            self.changed, self.pending = True, []
            return
        self.settle(now)


_unchecked: ContextVar[Unchecked | None] = ContextVar("copies_unchecked", default=None)


@contextmanager
def checked_afterwards():
    """Within this block copies may be served before their check (``Unchecked``); the block's
    caller settles what is left and looks at ``changed`` before it uses what the block made."""
    unchecked = Unchecked()
    token = _unchecked.set(unchecked)
    try:
        yield unchecked
    finally:
        _unchecked.reset(token)


class CheckedAfterwardsMiddleware:
    """Runs each safe request with its token's copies checked afterwards (``Unchecked``), and
    again, every copy checked first, where one of them had changed: the answer of the first run
    is thrown away unsent. The innermost middleware, so that nothing around the view (the
    request's log line, its rate limit, the metrics by status) happens twice; the middlewares'
    ``process_view`` hooks run again with the view (django-prometheus counts such a request
    twice in its metrics by view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS or _has_body(request):
            return self.get_response(request)  # a body could not be read a second time
        before = request.__dict__.copy()  # what the view sets on it (its user) goes with the run
        with checked_afterwards() as unchecked:
            response = self.get_response(request)
            unchecked.settle_now()
        if not unchecked.changed:
            return response
        # Not closed: that would signal the request's end (closing its database connections);
        # a streamed file it holds is closed once the answer is collected.
        REQUESTS_RUN_AGAIN.inc()
        request.__dict__.clear()
        request.__dict__.update(before)
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A view that failed on a copy that had changed (an account deleted meanwhile) is run
        again, not answered with a 500 (and not logged as one): its answer is thrown away."""
        unchecked = _unchecked.get()
        if unchecked is None:
            return None
        unchecked.settle_now()
        return HttpResponse(status=503) if unchecked.changed else None


def _has_body(request) -> bool:
    meta = request.META
    return meta.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in meta


_all_copies: list["Copies"] = []


def forget_held() -> None:
    """Drop every copy this process holds (tests start from none)."""
    for copies in _all_copies:
        copies.held.clear()


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
        self.prefix = f"{name}:{stamps.layout(f'copies v2, without {private}', *models)}"
        self.seconds = seconds
        self.private = private
        self.rows_known = rows_known
        self.held = HeldCopies()
        _all_copies.append(self)

    def get_many(
        self,
        ids: Iterable,
        read: Callable[[list], dict],
        *,
        shared: bool = False,
        checked_afterwards: bool = False,
    ) -> dict:
        """The objects of ``ids`` that ``read(ids)`` finds (a dict by id), from the copies held
        here or kept in the cache where these are current and from ``read`` for the others,
        whose copies are kept. Each is the caller's own to change, but with ``shared``, where
        the caller only reads them (and what they hold): then the copies held here are given
        as they are, and ``derived`` keeps what the caller makes of them.

        ``checked_afterwards``: within a request run by ``CheckedAfterwardsMiddleware``, where
        every one of ``ids`` is held here, they are given at once and checked later
        (``Unchecked``). Copies checked later are checked in this call's first round trip."""
        ids = list(dict.fromkeys(ids))
        if not ids or not _usable():
            return read(ids)
        held = self.held.get_many(ids) if settings.HYDRATED_LOCAL_ENTRIES > 0 else {}
        unchecked = _unchecked.get()
        if checked_afterwards and unchecked is not None and len(held) == len(ids):
            unchecked.pending += held.values()
            return {
                pk: copy.instance if shared else _clone(copy.instance) for pk, copy in held.items()
            }
        started = time.monotonic()
        also = unchecked.keys() if unchecked is not None else []
        try:
            kept, rows, now = self._read_kept(ids, held, also=also)
        except stamps.CACHE_ERRORS as exc:
            stamps.unavailable(exc)
            if unchecked is not None and unchecked.pending:
                unchecked.changed, unchecked.pending = True, []  # cannot be checked now
            return read(ids)
        if also:
            unchecked.settle(now)
        if time.monotonic() - started > SLOW_SECONDS:
            stamps.unavailable(TimeoutError(f"the cache took over {SLOW_SECONDS} s"))
        found, missing = {}, []
        for pk in ids:
            if pk in held and _current(held[pk].rows, held[pk].stamps, now):
                found[pk] = held[pk].instance if shared else _clone(held[pk].instance)
                continue
            copy = kept.get(pk)
            instance = None
            if copy is not None and _current(copy[0], copy[1], now):
                instance = self._load(copy[2])
            if instance is None:
                missing.append(pk)
                if pk in held:  # out of date, and no current copy to take its place
                    self.held.discard(pk)
            else:
                self._hold(pk, copy[0], copy[1], instance, kept_at=copy[3])
                found[pk] = instance if shared else _clone(instance)
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

    def _read_kept(self, ids: list, held: dict, also: list[str] = ()) -> tuple[dict, dict, dict]:
        """The copies kept in the cache (by id: their stamps' keys, those stamps, the pickled
        object, when it was kept) that may be needed, the rows each id shows where known, and
        the current stamps of all of those rows (made where missing), and of ``also`` (asked
        with the first round trip).

        Round trips, each asking only what the ones before left open:

        1. the copies of the ids not held here (of every id, where the rows are known
           beforehand), and the stamps of the held copies' rows (of every id's, where known
           beforehand);
        2. the kept copies of held ones that are out of date, the rows of ids of which there is
           no copy yet, and the stamps of the kept copies' rows;
        3. the stamps of what 2 found.

        One round trip when every copy is held here and current, and always where the rows are
        known beforehand; two when they were kept by other processes; three for objects kept
        for the first time."""
        if self.rows_known is not None:
            rows = {pk: self.rows_known(pk) for pk in ids}
        else:
            rows = {pk: copy.rows for pk, copy in held.items()}
        kept, now, asked = {}, {}, set()
        ask_copies = ids if self.rows_known is not None else [pk for pk in ids if pk not in held]
        ask_rows = []
        while True:
            wanted = dict.fromkeys([*also, *(key for keys in rows.values() for key in keys)])
            ask_stamps = [key for key in wanted if key not in now]
            if not (ask_copies or ask_rows or ask_stamps):
                return kept, rows, now
            asked.update(ask_copies)
            copy_keys = [self._key(pk) for pk in ask_copies]
            rows_keys = [self._rows_key(pk) for pk in ask_rows]
            values = bytes_get_many([*copy_keys, *rows_keys, *ask_stamps])
            stamps_from = len(copy_keys) + len(rows_keys)
            copies = _decoded(ask_copies, values[: len(copy_keys)], _is_copy)
            learnt = _decoded(ask_rows, values[len(copy_keys) : stamps_from], _is_rows)
            found = dict(zip(ask_stamps, values[stamps_from:], strict=True))
            now.update(stamps.completed(found))
            kept.update(copies)
            if self.rows_known is None:
                rows.update({pk: copy[0] for pk, copy in copies.items()})
                rows.update(learnt)
                ask_rows = [pk for pk in ask_copies if pk not in rows]
            ask_copies = [
                pk
                for pk, copy in held.items()
                if pk not in asked and not _current(copy.rows, copy.stamps, now)
            ]

    def _keep(self, loaded: dict, rows: dict, now: dict) -> None:
        """Keep copies of the objects read whose rows were known (their stamps were read before
        them), also held here, and the rows of the others, for their next read."""
        copies, learnt, outdated, held = {}, {}, [], {}
        kept_at = time.time()
        for pk, instance in loaded.items():
            shown = rows_shown(instance)
            if rows.get(pk) == shown:
                copy = (shown, [now[key] for key in shown], self._dump(instance), kept_at)
                copies[self._key(pk)] = pickle.dumps(copy, pickle.HIGHEST_PROTOCOL)
                held[pk] = copy
            elif self.rows_known is None:
                learnt[self._rows_key(pk)] = pickle.dumps(shown, pickle.HIGHEST_PROTOCOL)
                if pk in rows:  # a copy of other rows (a name another account took): drop it,
                    outdated.append(self._key(pk))  # or its rows would be read instead
                    self.held.discard(pk)
        try:
            if copies:
                bytes_set_many(copies, self.seconds())
            for pk, copy in held.items():  # as the cache keeps it (without its private fields)
                self._hold(pk, copy[0], copy[1], self._load(copy[2]), kept_at=kept_at)
            if learnt:
                bytes_set_many(learnt, stamps.STAMP_SECONDS)
            if outdated:
                cache.delete_many(outdated)
        except stamps.CACHE_ERRORS as exc:
            stamps.unavailable(exc)

    def _hold(self, pk, rows: list[str], current: list[bytes], instance, *, kept_at: float):
        """Hold a copy kept at ``kept_at`` here until its shared copy expires."""
        if instance is not None and settings.HYDRATED_LOCAL_ENTRIES > 0:
            for part in _instances(instance):
                part.__dict__[_DERIVED] = {}
            self.held.put(pk, Held(rows, current, instance, kept_at + self.seconds()))

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


def _current(rows: list[str], kept: list[bytes], now: dict) -> bool:
    """Whether stamps ``kept`` with a copy of ``rows`` are still the current ones (``now``)."""
    return kept == [now.get(key) for key in rows]


def _clone(instance: Model, clones: dict | None = None) -> Model:
    """A copy of ``instance`` and of the instances read with it (``select_related``, and lists
    of instances such as a tweet's media) whose fields, and the dicts and lists of its JSON
    fields, the caller may change without touching the held copy; an instance reached twice (a
    one-to-one's reverse side) is copied once. Django's own caches (such as prefetched results,
    which no copy holds today) are shared. Cheaper than unpickling."""
    clones = {} if clones is None else clones
    if id(instance) in clones:
        return clones[id(instance)]
    model = instance.__class__
    clone = clones[id(instance)] = model.__new__(model)
    fields = instance.__dict__.copy()
    fields.pop(_DERIVED, None)  # what the held copy's readers made of it stays with it
    state = ModelState()
    state.adding, state.db = instance._state.adding, instance._state.db
    state.fields_cache = {
        name: None if related is None else _clone(related, clones)
        for name, related in instance._state.fields_cache.items()
    }
    fields["_state"] = state
    for name in _json_fields(model):
        if name in fields:
            fields[name] = _json_copy(fields[name])
    for name, value in fields.items():
        if type(value) is list:
            fields[name] = [
                _clone(item, clones) if isinstance(item, Model) else item for item in value
            ]
    clone.__dict__ = fields
    return clone


def derived(instance: Model, key, make: Callable[[], object]):
    """``make()``: a value made from ``instance`` alone and what ``key`` names (such as the
    links' root a JSON was written for). Where ``instance`` is a copy held here, given by
    ``get_many(shared=True)``, or an instance read with one (a tweet's author), the value is
    kept with it and given again to the next caller with the same ``key`` for as long as the
    copy is held, at most ``DERIVED_SECONDS``: a write to any row the copy shows lets the copy,
    and with it the value, go. Callers only read the value (every caller with that key gets the
    same object)."""
    kept = instance.__dict__.get(_DERIVED)
    if kept is None:
        return make()
    entry = kept.get(key)
    now = time.monotonic()
    if entry is not None and now - entry[0] < DERIVED_SECONDS:
        return entry[1]
    value = make()
    if len(kept) >= DERIVED_AT_MOST:
        kept.clear()
    kept[key] = (now, value)
    return value


def _json_copy(value):
    """A copy of a JSON value (dicts, lists and immutable scalars): ``deepcopy`` without its
    memo, three times as fast."""
    if type(value) is dict:
        return {key: _json_copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_json_copy(item) for item in value]
    return value


@functools.cache
def _json_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(
        field.attname for field in model._meta.concrete_fields if isinstance(field, JSONField)
    )


def _is_rows(value) -> bool:
    return isinstance(value, list) and all(isinstance(key, str) for key in value)


def _is_copy(value) -> bool:
    """(the stamps' keys, the stamps, the pickled object, when it was kept), as
    ``Copies._keep`` keeps it."""
    return (
        isinstance(value, tuple)
        and len(value) == 4
        and _is_rows(value[0])
        and isinstance(value[1], list)
        and isinstance(value[2], bytes)
        and isinstance(value[3], float)
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
