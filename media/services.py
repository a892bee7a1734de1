"""Writes on media: upload (check, re-encode, store), attach, delete, clean up.

Storage and database stay consistent: objects are written before the row and removed again if the
row cannot be written; rows are deleted first and their objects removed once the transaction has
committed, so a rollback never leaves a row pointing at a missing object. The clean-up of unused
uploads is the exception: it removes objects first (rows locked), so a store that fails leaves the
rows for the retry instead of orphaned objects; only a failed commit after that leaves rows of
unused uploads without objects, which the next run removes.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.db.rollback import on_rollback
from core.exceptions import DependencyUnavailable
from core.ranges import in_range, pk_ranges
from media.images import process_image
from media.metrics import UPLOADS
from media.models import MEDIA_DESCRIPTION_MAX_LENGTH, MediaFile

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)
# After the store fails, uploads in this process are refused at once (503) for this long.
STORE_RETRY_AFTER_FAILURE_SECONDS = 5
_store_down_until = 0.0


class MediaStorageUnavailable(DependencyUnavailable):
    """The file store could not be reached; nothing was stored or changed."""

    detail = "Media storage is unavailable right now; nothing was saved. Try again later."
    code = "storage_unavailable"


class MediaProcessingBusy(DependencyUnavailable):
    """Every image-processing slot of this process stayed busy; nothing was stored."""

    detail = "The server is busy processing other images; nothing was saved. Try again shortly."
    code = "media_busy"


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


@contextmanager
def _processing_slot():
    """At most ``MEDIA_PROCESSING_CONCURRENCY`` images are decoded at once in this process, so
    its memory stays bounded however many uploads arrive together."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.MEDIA_PROCESSING_CONCURRENCY)
        slots = _slots
    if not slots.acquire(timeout=settings.MEDIA_PROCESSING_WAIT_SECONDS):
        raise MediaProcessingBusy
    try:
        yield
    finally:
        slots.release()


def _new_key(extension: str, suffix: str = "") -> str:
    now = timezone.now()
    # No folder prefix of its own: MEDIA_URL (or the bucket) is the one prefix of media URLs.
    return f"{now:%Y/%m}/{uuid.uuid4().hex}{suffix}.{extension}"


def media_description_clean(description: str, field: str = "description") -> str:
    """An upload's description (alternative text) trimmed, of at most
    ``MEDIA_DESCRIPTION_MAX_LENGTH`` characters (a 422 on ``field`` otherwise)."""
    description = description.strip()
    if len(description) > MEDIA_DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {field: [f"A description has at most {MEDIA_DESCRIPTION_MAX_LENGTH} characters."]}
        )
    return description


def media_create(*, owner, upload, description: str = "", attached: bool = False) -> MediaFile:
    """Check and re-encode an uploaded image, store it and its preview, and record it.

    Raises ``ValidationError`` for anything that is not an acceptable image and
    ``MediaStorageUnavailable`` when the store cannot be written.
    """
    global _store_down_until
    if upload.size > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": [f"The file is too large: at most {settings.MEDIA_MAX_UPLOAD_BYTES} bytes."]}
        )
    description = media_description_clean(description)
    if time.monotonic() < _store_down_until:
        # The store failed moments ago: answer at once instead of decoding the image and holding
        # a worker thread for the connect timeout again.
        raise MediaStorageUnavailable
    with _processing_slot():
        image = process_image(upload)

    keys = [_new_key(image.extension), _new_key(image.extension, "_preview")]
    stored: list[str] = []
    try:
        for key, content in zip(keys, (image.content, image.preview), strict=True):
            stored.append(default_storage.save(key, ContentFile(content)))
        with transaction.atomic():
            media = MediaFile.objects.create(
                owner=owner,
                file=stored[0],
                preview=stored[1],
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size=len(image.content),
                description=description,
                attached_at=timezone.now() if attached else None,
            )
    except STORAGE_ERRORS as exc:
        _delete_objects(stored)
        logger.warning("media store unavailable: %s", exc.__class__.__name__)
        _store_down_until = time.monotonic() + STORE_RETRY_AFTER_FAILURE_SECONDS
        raise MediaStorageUnavailable from exc
    except BaseException:
        _delete_objects(stored)
        raise
    # Inside a caller's transaction (a keyed request), its rollback takes the row: the files too.
    on_rollback(lambda: _delete_objects(stored))
    transaction.on_commit(UPLOADS.inc)  # once, even where the caller's transaction runs again
    return media


@transaction.atomic
def media_describe(*, owner, media_id: int, description: str) -> MediaFile | None:
    """Set the description (alternative text) of one of the owner's uploads that is not attached
    yet; None when there is no such upload (any more). The upload is locked and read again, as
    attaching it locks it (``media_claim``): one attached or deleted meanwhile is left alone."""
    description = media_description_clean(description)
    media = (
        MediaFile.objects.select_for_update()
        .filter(pk=media_id, owner=owner, attached_at__isnull=True)
        .first()
    )
    if media is None:
        return None
    media.description = description
    media.save(update_fields=["description"])
    return media


def media_ids_check(media_ids: Sequence[int]) -> list[int]:
    """The uploads of one tweet, as a list: at most ``MEDIA_MAX_PER_TWEET``, each once."""
    media_ids = list(media_ids)
    limit = settings.MEDIA_MAX_PER_TWEET
    if len(media_ids) > limit:
        raise ValidationError({"media_ids": [f"At most {limit} media per tweet."]})
    if len(set(media_ids)) != len(media_ids):
        raise ValidationError({"media_ids": ["The same media id is given twice."]})
    return media_ids


def media_claim(*, owner, media_ids: Sequence[int]) -> list[MediaFile]:
    """Mark the owner's unattached uploads as attached, in the given order.

    Call inside the transaction that attaches them; rows are locked so that two tweets cannot
    claim the same upload. Someone else's id and an unknown id get the same answer.
    """
    media_ids_check(media_ids)
    found = {
        media.pk: media
        for media in MediaFile.objects.select_for_update().filter(pk__in=media_ids, owner=owner)
    }
    unknown = [str(pk) for pk in media_ids if pk not in found]
    if unknown:
        raise ValidationError({"media_ids": [f"Unknown media ids: {', '.join(unknown)}."]})
    attached = [str(pk) for pk in media_ids if found[pk].attached_at is not None]
    if attached:
        raise ValidationError({"media_ids": [f"Already attached: {', '.join(attached)}."]})
    now = timezone.now()
    MediaFile.objects.filter(pk__in=media_ids).update(attached_at=now)
    return [found[pk] for pk in media_ids]


def media_delete(media: Iterable[MediaFile]) -> None:
    """Delete media rows now and their stored objects once the transaction commits."""
    media = list(media)
    if not media:
        return
    keys = [key for item in media for key in (item.file, item.preview)]
    MediaFile.objects.filter(pk__in=[item.pk for item in media]).delete()
    transaction.on_commit(lambda: _delete_objects(keys))


def media_discard(media: Iterable[MediaFile]) -> None:
    """Delete uploads stored for a request that then failed (never attached): their files first,
    then the rows of those whose files are gone. One whose files cannot be deleted now (the
    store is down) keeps its row, unattached, so that ``media_cleanup`` removes it later rather
    than its files outliving every record of them."""
    gone = []
    for item in media:
        try:
            for key in (item.file, item.preview):
                default_storage.delete(key)
        except STORAGE_ERRORS as exc:
            logger.warning("media %s left for media_cleanup: %s", item.pk, exc.__class__.__name__)
            continue
        gone.append(item.pk)
    MediaFile.objects.filter(pk__in=gone).delete()


def _delete_objects(keys: Iterable[str]) -> None:
    for key in keys:
        try:
            default_storage.delete(key)
        except STORAGE_ERRORS:
            # The row is gone already; an orphaned object costs storage, not correctness.
            logger.warning("could not delete stored object %s", key)


def media_unused_q() -> Q:
    """Media that nothing points at: no row of any model with a foreign key to ``MediaFile``
    (a tweet's attachment, a profile picture, ...) refers to it. Found through the model
    relations, so media need not know the apps that use it; one index probe per relation and
    upload (``NOT EXISTS``), so checking a range of uploads costs that range, not the tables."""
    unused = Q()
    relations = [
        field
        for field in MediaFile._meta.get_fields(include_hidden=True)
        if field.is_relation and field.auto_created and not field.concrete
    ]
    for relation in relations:
        column = relation.field.attname
        rows = relation.related_model._base_manager.filter(**{column: OuterRef("pk")})
        unused &= ~Exists(rows)
    return unused


def media_cleanup_unattached(
    *,
    older_than: timedelta,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Callable[..., None] = lambda stage, done, total, note="": None,
) -> list[MediaFile]:
    """Delete uploads not attached within ``older_than``, and uploads marked attached that
    nothing uses any more (left by an interrupted or lost race); returns what was (or would be)
    removed. Works through the uploads in primary-key ranges of ``batch_size``, each range in a
    transaction of its own; ``progress(stage, uploads done, uploads in all, note)`` after each.

    Within a range the stale rows are locked, their stored objects removed, then the rows. A
    storage error (one of ``STORAGE_ERRORS``) is raised and rolls the range back, so its uploads
    are still found by the next run or retry; removing an object that is gone already is not an
    error, so that run repeats the work safely."""
    cutoff = timezone.now() - older_than
    never_attached = Q(attached_at__isnull=True)
    orphaned = Q(attached_at__lt=cutoff) & media_unused_q()
    stale_q = (never_attached | orphaned) & Q(created_at__lt=cutoff)
    total = MediaFile.objects.count()
    removed: list[MediaFile] = []
    done = 0
    for first, last in pk_ranges(MediaFile.objects.all(), batch_size):
        with transaction.atomic():
            rows = MediaFile.objects.filter(stale_q)
            if not dry_run:
                rows = rows.select_for_update()  # not claimed while its objects are removed
            stale = list(in_range(rows, first, last))
            if not dry_run and stale:
                # Read again now that they are locked: after waiting for a row's lock, PostgreSQL
                # checks the row's own columns again but not the NOT EXISTS subqueries, which keep
                # the statement's snapshot, so an upload attached meanwhile still looked unused.
                stale = list(MediaFile.objects.filter(stale_q, pk__in=[m.pk for m in stale]))
                _media_remove(stale)
        removed += stale
        done = total if last is None else min(done + batch_size, total)
        progress("uploads", done, total, f"{done:,}/{total:,} uploads, {len(removed):,} unused")
    return removed


def _media_remove(media: list[MediaFile]) -> None:
    """Remove uploads, stored objects first, then rows, inside the caller's transaction (which
    has locked the rows); storage errors are raised, not logged."""
    for item in media:
        default_storage.delete(item.file)
        default_storage.delete(item.preview)
    MediaFile.objects.filter(pk__in=[item.pk for item in media]).delete()
