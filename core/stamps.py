"""Version stamps in the shared cache: what lets a cache of what rows show (``tweets/cache.py``)
serve a copy only while none of the rows it was read from has changed.

A stamp is a random token per row (the model and the primary key), replaced after each
transaction that changes what the row shows (``renew``, and on every ``save`` and ``delete`` of
the models given to ``track``). A reader takes the stamps of the rows it depends on *before* it
reads the rows, and keeps its copy with them; the copy is served only while every one of them is
unchanged. So a write that commits while a copy is being read leaves that copy out at once, and a
stamp that is missing (never made, expired, a cache restart) is made anew with a token no copy
holds. One more stamp, the epoch, is in every copy: renewing it leaves them all out, for the rare
writes that change many rows at once (a suspension's recounts, ``manage.py recount``).

A renewal that cannot reach the cache is logged; copies then live at most
``HYDRATED_CACHE_SECONDS`` (the documented bound of staleness). Readers that cannot reach the
cache read the database.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.db.transaction import on_commit
from redis.exceptions import RedisError

from core.cache import bytes_get_many, bytes_set_many

logger = logging.getLogger(__name__)

# What a cache operation may raise when the cache is unreachable; callers fall back to the
# database (reads) or log (renewals).
CACHE_ERRORS = (RedisError, OSError)

# Stamps outlive the copies kept with them (a stamp that expires only makes copies miss).
STAMP_SECONDS = 24 * 3600
EPOCH_KEY = "stamp:epoch"


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
    keys = sorted({key(model, pk) for pk in pks if pk is not None})
    if keys and enabled():
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


def track(model: type[Model]) -> None:
    """Renew a row's stamp on every ``save`` (but its creation) and ``delete`` of ``model``: the
    admin's forms and any later code that saves. Writes by ``QuerySet.update`` call ``renew``."""
    uid = f"core.stamps.{model._meta.label_lower}"
    post_save.connect(_renew_saved, sender=model, dispatch_uid=uid, weak=False)
    post_delete.connect(_renew_deleted, sender=model, dispatch_uid=uid, weak=False)


def _renew_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if not created and not raw:
        renew(sender, [instance.pk])


def _renew_deleted(sender, instance, **kwargs) -> None:
    renew(sender, [instance.pk])


def _token() -> bytes:
    return secrets.token_bytes(8)


def _write_new(keys: list[str]) -> None:
    try:
        bytes_set_many({stamp_key: _token() for stamp_key in keys}, STAMP_SECONDS)
    except CACHE_ERRORS as exc:
        logger.warning(
            "could not renew %d cache stamps (copies expire within %s s): %s",
            len(keys),
            settings.HYDRATED_CACHE_SECONDS,
            type(exc).__name__,
        )
