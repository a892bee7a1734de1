"""Mastodon's paging: ``max_id``, ``since_id``, ``min_id`` and ``limit``, answered with a ``Link``
header (``rel="next"`` with ``max_id`` = the last item, ``rel="prev"`` with ``min_id`` = the first).

It runs on the same fetch functions as the project's keyset pagination (``core.pagination.Fetch``:
``fetch(position, forward, limit)``), so every list keeps its single index range scan:

- ``max_id`` (and nothing else): the ``limit`` items just older than it;
- ``since_id``: the newest ``limit`` items, of which those newer than ``since_id``;
- ``min_id``: the ``limit`` items just newer than it (oldest first from the fetch), newest first.
"""

from collections.abc import Callable
from operator import attrgetter

from django.core.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.fields import parse_id
from core.pagination import Fetch


def queryset_fetch(queryset, field: str = "id") -> Fetch:
    """A fetch function over a queryset, newest (largest ``field``) first."""

    def fetch(position, forward, limit):
        rows = queryset
        if position is not None:
            rows = rows.filter(**{f"{field}__{'lt' if forward else 'gt'}": position})
        return list(rows.order_by(f"-{field}" if forward else field)[:limit])

    return fetch


def id_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    number = parse_id(value)
    if number is None:
        raise ValidationError({name: ["Must be an id."]})
    return number


def limit_param(request, default: int, maximum: int) -> int:
    """``limit`` clamped to 1..maximum; missing or unreadable gives the default."""
    try:
        limit = int(request.query_params.get("limit", default))
    except ValueError:
        return default
    return default if limit < 1 else min(limit, maximum)


def offset_param(request, maximum: int = 10_000) -> int:
    """``offset`` for lists paged by position (search, trends), at most ``maximum``; missing or
    unreadable gives 0."""
    try:
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        return 0
    return min(max(0, offset), maximum)


def paginate(
    request,
    fetch: Fetch,
    *,
    default: int = 20,
    maximum: int = 40,
    key: Callable = attrgetter("pk"),
) -> tuple[list, str | None]:
    """One page (newest first) and the ``Link`` header for it (None when the page is empty)."""
    limit = limit_param(request, default, maximum)
    max_id = id_param(request, "max_id")
    since_id = id_param(request, "since_id")
    min_id = id_param(request, "min_id")
    if min_id is not None:
        fetched = fetch(min_id, False, limit)
        items = [item for item in fetched if max_id is None or key(item) < max_id]
        items.reverse()
    else:
        fetched = fetch(max_id, True, limit)
        items = list(fetched)
        if since_id is not None:
            items = [item for item in items if key(item) > since_id]
    # Where the fetch stopped short of a full page (rows skipped), paging goes on from there.
    resume = getattr(fetched, "resume", None)
    if not items and resume is None:
        return items, None
    oldest = key(items[-1]) if items else None
    newest = key(items[0]) if items else None
    if resume is not None:
        if min_id is None:
            oldest, newest = resume, newest if newest is not None else max_id
        else:
            oldest, newest = oldest if oldest is not None else min_id, resume
    url = request.build_absolute_uri()
    for name in ("max_id", "since_id", "min_id"):
        url = remove_query_param(url, name)
    links = []
    if oldest is not None:
        links.append(f'<{replace_query_param(url, "max_id", oldest)}>; rel="next"')
    if newest is not None:
        links.append(f'<{replace_query_param(url, "min_id", newest)}>; rel="prev"')
    return items, ", ".join(links) or None
