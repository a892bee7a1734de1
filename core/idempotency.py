"""``Idempotency-Key`` for creating requests, as Stripe and Mastodon do it.

A client that may retry a POST (a lost answer, a timeout) sends a key of its choice; the same key
from the same user within ``IDEMPOTENCY_KEY_HOURS`` gets the first answer again (with
``Idempotent-Replayed: true``) and creates nothing more. The key row is inserted in the same
transaction as the request's writes: a concurrent duplicate waits on the unique index until the
first commits, then replays its answer; if the first fails, nothing is kept and a retry runs
afresh. Only successful (2xx) answers are kept. The same key with a different request → 409
``idempotency_key_reused``.

That one transaction is the outermost, so the services' own ``deadlock_retried`` cannot run again
inside it: when PostgreSQL aborts it to break a deadlock, the key and the request's writes are run
again here as a whole. (An upload is then stored again; the files of the aborted attempt stay in
the store without a row, as after a crash. An upload's transaction writes only its own new rows,
so it hardly ever meets a deadlock.)
"""

import contextlib
import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.db.retries import deadlock_retried
from core.db.rollback import undone_if_rolled_back
from core.exceptions import Conflict
from core.models import IdempotencyKey
from core.renderers import JSONEncoder

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

SCHEMA_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) of at most 255 printable ASCII characters. Retrying with "
        "the same key replays the first answer instead of creating again."
    ),
)


def _fingerprint(request) -> str:
    """What makes two requests the same: method, path and content (for multipart, the fields and
    files, not the boundary, which a client's retry may choose anew)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type.startswith("multipart/"):
        for name in sorted(request.data):
            for value in request.data.getlist(name):
                digest.update(f"{name}=".encode())
                if hasattr(value, "chunks"):
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
                digest.update(b"\n")
    else:
        with contextlib.suppress(RawPostDataException):
            digest.update(request._request.body)
    return digest.hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def _replay(record: IdempotencyKey) -> Response:
    return Response(record.body, status=record.status, headers={"Idempotent-Replayed": "true"})


def idempotent(view_method):
    """Make a creating view method honour ``Idempotency-Key`` for logged-in callers."""

    @wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if not _valid_key(key):
            raise ValidationError(
                {HEADER: [f"At most {MAX_KEY_LENGTH} printable ASCII characters."]}
            )
        fingerprint = _fingerprint(request)
        return _keyed(view_method, view, request, args, kwargs, key=key, fingerprint=fingerprint)

    wrapper.idempotent = True
    return wrapper


@deadlock_retried
def _keyed(view_method, view, request, args, kwargs, *, key: str, fingerprint: str) -> Response:
    """The key claimed and the view run in one transaction, or the first answer replayed."""
    mine = IdempotencyKey.objects.filter(user_id=request.user.pk, key=key)
    # Files an aborted attempt stored (an upload) go with its rows.
    with undone_if_rolled_back(), transaction.atomic():
        mine.filter(
            created_at__lt=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        ).delete()
        try:
            with transaction.atomic():
                # Waits here while a concurrent request with the same key is running.
                record = IdempotencyKey.objects.create(
                    user_id=request.user.pk, key=key, fingerprint=fingerprint, status=0
                )
        except IntegrityError:
            record = mine.first()
            if record is None:  # the first one failed and left nothing: run afresh
                raise Conflict(
                    "A request with this Idempotency-Key did not complete; retry.",
                    code="idempotency_retry",
                ) from None
            if record.fingerprint != fingerprint:
                raise Conflict(
                    "This Idempotency-Key was used with another request.",
                    code="idempotency_key_reused",
                ) from None
            return _replay(record)

        response = view_method(view, request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            record.status = response.status_code
            record.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.save(update_fields=["status", "body"])
        else:
            record.delete()
    return response


def idempotency_keys_purge() -> int:
    """Delete keys older than ``IDEMPOTENCY_KEY_HOURS``; returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
