"""Hydrated tweets in the shared cache: a tweet as a page shows it (its author and avatar, for a
repost its original and the original's author, the media), kept as the model instances, so that
a page of tweets read before is two cache round trips instead of a six-table join and a media
query.

A copy is kept with the stamps (``core.stamps``) of every row it shows: the tweet, its author,
the original and the original's author, and the epoch. Each write that changes what one of those
rows shows renews its stamp (the services, and ``stamps.track`` for every ``save`` and
``delete``), and a copy is served only while all of its stamps are unchanged: edits, counters,
hides, deletions, suspensions and profile changes are never served stale. The rows a copy depends
on never change for a tweet (its author and its original), so they are kept apart, without a
bound, and the stamps of a tweet seen for the first time are known only from its second read on:
its copy is kept then.

Only tweets anyone may see are kept (the caller reads with the visibility rule); staff, who also
see hidden tweets, are served from the database. With ``HYDRATED_CACHE_SECONDS`` at 0 (no cache
that every process shares) or the cache unreachable, everything is read from the database.
"""

import pickle
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model

from core import stamps
from core.cache import bytes_get_many, bytes_set_many
from media.models import MediaFile
from tweets.models import Tweet

User = get_user_model()


LAYOUT = stamps.layout("copy: (rows, stamps, pickled tweet)", Tweet, User, MediaFile)


def _copy_key(pk: int) -> str:
    return f"tweet:hydrated:{LAYOUT}:{pk}"


def _rows_key(pk: int) -> str:
    return f"tweet:rows:{LAYOUT}:{pk}"


def _rows_of(tweet: Tweet) -> tuple[int, int | None, int | None]:
    """The rows a tweet's copy shows besides its own: its author, its original, the original's
    author."""
    original = tweet.repost_of if tweet.repost_of_id else None
    return tweet.author_id, tweet.repost_of_id, original.author_id if original else None


def _stamp_keys(pk: int, rows: tuple) -> list[str]:
    author_id, original_id, original_author_id = rows
    keys = [stamps.EPOCH_KEY, stamps.key(Tweet, pk), stamps.key(User, author_id)]
    if original_id:
        keys += [stamps.key(Tweet, original_id), stamps.key(User, original_author_id)]
    return keys


def _portable(tweet: Tweet) -> bytes:
    """The tweet as kept: pickled, without its accounts' password hashes (deferred: read if
    ever asked for)."""
    for account in (tweet.author, tweet.repost_of.author if tweet.repost_of_id else None):
        if account is not None:
            account.__dict__.pop("password", None)
    return pickle.dumps(tweet, pickle.HIGHEST_PROTOCOL)


def tweets_cached(ids: Iterable[int], read: Callable[[list[int]], dict]) -> dict[int, Tweet]:
    """The tweets of ``ids`` that ``read`` finds (by id: the visible ones, hydrated), from their
    copies where they are current and from ``read`` for the others, whose copies are kept.

    Two cache round trips when every copy is current: the copies (each with the rows it shows
    and their stamps when it was read), then the current stamps of those rows."""
    ids = list(dict.fromkeys(ids))
    if not ids or not stamps.enabled():
        return read(ids)
    try:
        kept = {
            pk: pickle.loads(copy)
            for pk, copy in zip(ids, bytes_get_many(list(map(_copy_key, ids))), strict=True)
            if copy is not None
        }
        rows = {pk: copy[0] for pk, copy in kept.items()}
        if len(rows) < len(ids):  # the rows of tweets read before, if their copy is gone
            unknown = [pk for pk in ids if pk not in rows]
            learnt = zip(unknown, bytes_get_many(list(map(_rows_key, unknown))), strict=True)
            rows.update((pk, pickle.loads(row)) for pk, row in learnt if row)
        needs = {pk: _stamp_keys(pk, rows[pk]) for pk in rows}
        now = stamps.current(key for keys in needs.values() for key in keys)
    except stamps.CACHE_ERRORS:
        return read(ids)
    found, missing = {}, []
    for pk in ids:
        copy = kept.get(pk)
        if copy is not None and copy[1] == [now[key] for key in needs[pk]]:
            found[pk] = pickle.loads(copy[2])
        else:
            missing.append(pk)
    if not missing:
        return found
    loaded = read(missing)
    copies, new_rows = {}, {}
    for pk, tweet in loaded.items():
        if pk in needs:  # its stamps were read before the rows: the copy may be kept
            stamped = [now[key] for key in needs[pk]]
            copy = (rows[pk], stamped, _portable(tweet))
            copies[_copy_key(pk)] = pickle.dumps(copy, pickle.HIGHEST_PROTOCOL)
        else:
            new_rows[_rows_key(pk)] = pickle.dumps(_rows_of(tweet), pickle.HIGHEST_PROTOCOL)
    try:
        if copies:
            bytes_set_many(copies, settings.HYDRATED_CACHE_SECONDS)
        if new_rows:
            bytes_set_many(new_rows, stamps.STAMP_SECONDS)
    except stamps.CACHE_ERRORS:
        pass  # kept on a later read
    return {**found, **loaded}
