"""Keyset ("cursor") pagination for every list in the API.

A page is the ``limit`` rows after a position on a unique, ordered key (the id, which is
time-ordered), so paging stays stable while rows are added: nothing is repeated or skipped, and the
cost of a page does not grow with how deep the client has paged. Cursors are opaque tokens; a
malformed one is a 400. ``limit`` must be a positive integer and is clamped to 100.

Views choose the order with ``pagination_key`` (``"-id"``, newest first, by default; ``"id"`` for
oldest first). A list that is not a single queryset (the home timeline) passes a fetch function to
``paginate_source``.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.fields import parse_id

# fetch(position, forward, limit) -> up to ``limit`` items strictly beyond ``position`` in the
# direction of travel (forward: in list order; backward: in reverse list order). A source that
# skips rows it read returns a ``FetchedPage`` saying whether more follow.
Fetch = Callable[[int | None, bool, int], Sequence[Any]]


class FetchedPage(list):
    """What a fetch function returns when it skipped some rows it read (duplicates in a
    timeline, rows the reader may not see): the items, and whether more lie beyond them, which
    their number no longer tells. ``resume`` is the position the fetch read up to when it
    stopped before filling the page: paging goes on from there, not from the last item (so a
    long run of skipped rows is never read again)."""

    def __init__(self, items, *, has_more: bool, resume: int | None = None):
        super().__init__(items)
        self.has_more = has_more
        self.resume = resume


def encode_cursor(forward: bool, position: int) -> str:
    raw = f"{'n' if forward else 'p'}:{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[bool, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        direction, position = raw.split(":", 1)
        position = parse_id(position)  # an id the database can hold
        if direction not in ("n", "p") or position is None:
            raise ValueError
        return direction == "n", position
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": ["Invalid cursor."]}) from None


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(self, queryset, request, view=None):
        key = getattr(view, "pagination_key", "-id")
        field = key.lstrip("-")
        descending = key.startswith("-")

        def fetch(position, forward, limit):
            newer_first = descending == forward
            rows = queryset
            if position is not None:
                rows = rows.filter(**{f"{field}__{'lt' if newer_first else 'gt'}": position})
            return list(rows.order_by(f"-{field}" if newer_first else field)[:limit])

        return self.paginate_source(fetch, request, key_field=field)

    def paginate_source(self, fetch: Fetch, request, key_field: str = "id") -> list:
        self.request = request
        self.key_field = key_field
        limit = self.get_limit(request)
        token = request.query_params.get(self.cursor_query_param)
        forward, position = decode_cursor(token) if token else (True, None)

        fetched = fetch(position, forward, limit + 1)
        items = list(fetched)
        has_more = getattr(fetched, "has_more", len(items) > limit)
        items = items[:limit]
        if not forward:
            items.reverse()

        first = self._key(items[0]) if items else position
        last = self._key(items[-1]) if items else position
        resume = getattr(fetched, "resume", None)
        if resume is not None:
            # The fetch stopped short: the far end of this page is where it stopped reading.
            last, first = (resume, first) if forward else (last, resume)
        if forward:
            self.next_position = (True, last) if has_more else None
            self.previous_position = (False, first) if position is not None else None
        else:
            self.previous_position = (False, first) if has_more else None
            self.next_position = (True, last)
        return items

    def _key(self, item) -> int:
        return getattr(item, self.key_field)

    def get_limit(self, request) -> int:
        value = request.query_params.get(self.limit_query_param)
        if value is None:
            return settings.REST_FRAMEWORK["PAGE_SIZE"]
        try:
            limit = int(value)
        except ValueError:
            limit = 0
        if limit < 1:
            raise ValidationError({"limit": ["Must be a positive integer."]})
        return min(limit, settings.MINITTER_MAX_PAGE_SIZE)

    def _link(self, position) -> str | None:
        if position is None:
            return None
        # From the decoded parameters, not the raw query string: raw UTF-8 bytes in it would be
        # encoded a second time.
        params = self.request.query_params.copy()
        params.pop(self.cursor_query_param, None)
        if position[1] is not None:
            params[self.cursor_query_param] = encode_cursor(*position)
        url = self.request.build_absolute_uri(self.request.path)
        return f"{url}?{params.urlencode()}" if params else url

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_position),
                "previous": self._link(self.previous_position),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": "Page size from 1 to 100 (larger values are clamped); default 20.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
        ]
