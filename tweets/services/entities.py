"""Mentions and hashtags: parsed from a tweet's text when it is posted or edited, and stored.

``entities_parse`` reads the text (and refuses an over-long hashtag or too many of either),
``entities_prepare`` finds the accounts in the database, ``entities_store`` writes the rows;
``mentions_write`` is the one place mentions are created and removed, ``mention_recipients``
the one rule for who is told. The tweet's ``entities`` keep what its JSON shows, with offsets in
code points:

    {"mentions": [{"id": 12, "username": "Minji", "start": 0, "end": 6}],
     "tags": [{"name": "커피", "start": 7, "end": 10}]}
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from accounts.services import AccountUnusable
from core import stamps
from core.db import deadline
from core.ranges import in_range, pk_ranges
from core.text import HASH_SIGNS, hashtag_end, hashtag_name, hashtags_in, mentions_in
from tweets.models import (
    TAG_MAX_LENGTH,
    Mention,
    Notification,
    TagUse,
    Tweet,
    TweetTag,
    trending_since,
)
from tweets.services.blocks import block_filter, users_lock

User = get_user_model()

MAX_MENTIONS = 10
MAX_TAGS = 10


def _too_long(name: str) -> ValidationError:
    return ValidationError(
        {"text": [f"A hashtag has at most {TAG_MAX_LENGTH} characters: #{name[:20]}… is longer."]}
    )


def tag_normalize(value: str) -> str:
    """The normalized name of a tag a client asks for (with or without its ``#``); a
    ``ValidationError`` when it cannot be a tag."""
    raw = value[1:] if value[:1] and value[0] in HASH_SIGNS else value
    name = hashtag_name(raw) if raw and hashtag_end(raw, 0) == len(raw) else None
    if name is None:
        raise ValidationError({"tag": ["A tag is letters, digits and underscores, with a letter."]})
    if len(name) > TAG_MAX_LENGTH:
        raise ValidationError({"tag": [f"A tag has at most {TAG_MAX_LENGTH} characters."]})
    return name


@dataclass
class Entities:
    """What a text mentions and tags: the tweet's ``entities`` and the rows to store."""

    json: dict = field(default_factory=dict)
    accounts: list = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


def _tags_found(text: str) -> Iterable[tuple[dict, str]]:
    """Each hashtag in a text as its ``entities`` entry (normalized name, offsets), with the
    name as typed; over-long names included."""
    for sign, end, typed in hashtags_in(text):
        name = hashtag_name(typed)
        if name is not None:
            yield {"name": name, "start": sign, "end": end}, typed


def entities_parse(text: str, *, accounts: Callable[[set[str]], dict]) -> Entities:
    """The ``#tags`` and ``@mentions`` in a text, with their offsets. ``accounts`` gets the
    lower-cased names mentioned and returns the mentionable accounts among them by those names
    (anything with ``pk`` and ``username``). Refuses (``ValidationError``) an over-long hashtag and
    more than MAX_MENTIONS accounts or MAX_TAGS tags. The one parser: ``entities_prepare`` looks
    the accounts up in the database, ``seed_demo`` in the accounts it created."""
    tags = []
    for tag, typed in _tags_found(text):
        if len(tag["name"]) > TAG_MAX_LENGTH:
            raise _too_long(typed)
        tags.append(tag)
    names = {tag["name"] for tag in tags}
    if len(names) > MAX_TAGS:
        raise ValidationError({"text": [f"A tweet has at most {MAX_TAGS} different hashtags."]})

    candidates = [(name.lower(), start, end) for start, end, name in mentions_in(text)]
    wanted = {key for key, _, _ in candidates}
    if len(wanted) > MAX_MENTIONS:
        raise ValidationError({"text": [f"A tweet mentions at most {MAX_MENTIONS} accounts."]})
    found = accounts(wanted) if wanted else {}
    mentions = [
        {"id": found[key].pk, "username": found[key].username, "start": start, "end": end}
        for key, start, end in candidates
        if key in found
    ]
    entities = {"mentions": mentions, "tags": tags} if mentions or tags else {}
    return Entities(json=entities, accounts=list(found.values()), tags=names)


def entities_prepare(
    text: str,
    *,
    author: User | None = None,
    also_lock: Iterable[int] = (),
    author_shared: bool = False,
    author_checked: bool = False,
) -> Entities:
    """Find the ``@mentions`` of existing, visible accounts (any letter case) and the ``#tags``
    in a tweet's text (see ``entities_parse``); accounts that block the author, or that the
    author blocks, are not mentioned, nor accounts deactivated or suspended meanwhile.

    With an author, and inside the posting or editing transaction, the mentioned accounts are
    locked with the author (``users_lock``, in a way a block waits for) before the blocks are
    read, so a block cannot commit between that check and the mentions. ``also_lock`` are the
    other accounts the transaction locks (the author of the tweet replied to), in the one global
    order. The others' rows are taken shared (mentions of a popular account do not queue on its
    row), the author's for update (a post counts its tweets) or, with ``author_shared``, shared
    too (an edit, which changes no account's row). With ``author_checked`` (an edit) the author
    is locked even when nothing is mentioned, and refused (``AccountUnusable``) when its row says
    it is no longer active."""
    active: set[int] | None = None  # the active accounts among those locked, once locked

    def lock(target_ids: list[int]) -> set[int]:
        others = {*also_lock, *target_ids} - {author.pk}
        shared = (others | {author.pk}) if author_shared else others
        return users_lock(author.pk, *others, shared=shared)

    def mentionable(wanted: set[str]) -> dict:
        nonlocal active
        found = {
            account.username.lower(): account
            for account in User.objects.active().filter(username__lower__in=wanted)
        }
        if author is not None and found:
            # No mentions between accounts that block each other: they are simply not created.
            target_ids = [account.pk for account in found.values()]
            active = lock(target_ids)
            allowed = block_filter(actor=author, target_ids=target_ids) & active
            found = {key: account for key, account in found.items() if account.pk in allowed}
        return found

    entities = entities_parse(text, accounts=mentionable)
    if author_checked:
        if active is None:
            active = lock([])
        if author.pk not in active:
            raise AccountUnusable
    return entities


def mention_recipients(
    account_ids: set[int], *, author_id: int, replied_to: int | None
) -> list[int]:
    """Who of the newly mentioned accounts is notified: not the author, nor the author of the
    tweet replied to (told of the reply instead)."""
    return sorted(account_ids - {author_id, replied_to})


def mentions_write(*, tweet: Tweet, accounts, new: bool = False) -> tuple[set[int], set[int]]:
    """Make the tweet's mentions exactly these accounts; returns the ids of the accounts added
    and removed (an edit keeps the mentions it still has). The one place mentions change.
    ``new``: the tweet was inserted in this transaction, so it has none stored yet."""
    wanted = {account.pk for account in accounts}
    stored = set()
    if not new:
        stored = set(Mention.objects.filter(tweet=tweet).values_list("account_id", flat=True))
    added, removed = wanted - stored, stored - wanted
    if removed:
        Mention.objects.filter(tweet=tweet, account_id__in=removed).delete()
    Mention.objects.bulk_create([Mention(tweet=tweet, account_id=pk) for pk in sorted(added)])
    replied_to = None
    if added and tweet.in_reply_to_id:
        replied_to = (
            Tweet.objects.filter(pk=tweet.in_reply_to_id)
            .values_list("author_id", flat=True)
            .first()
        )
    Notification.objects.bulk_create(
        [
            Notification(
                kind=Notification.Kind.MENTION,
                actor_id=tweet.author_id,
                recipient_id=pk,
                tweet=tweet,
            )
            for pk in mention_recipients(added, author_id=tweet.author_id, replied_to=replied_to)
        ]
    )
    if removed:
        Notification.objects.filter(
            kind=Notification.Kind.MENTION, tweet=tweet, recipient_id__in=removed
        ).delete()
    return added, removed


def tags_write(*, tweet: Tweet, tags: set[str], at: datetime, new: bool = False) -> None:
    """Make the tweet's tags exactly these, and count a use of each new one by its author in the
    hour of ``at`` for trending (unless that hour is too old to count). ``new`` as for
    ``mentions_write``."""
    stored = set()
    if not new:
        stored = set(TweetTag.objects.filter(tweet=tweet).values_list("tag", flat=True))
    added, removed = tags - stored, stored - tags
    if removed:
        TweetTag.objects.filter(tweet=tweet, tag__in=removed).delete()
    TweetTag.objects.bulk_create([TweetTag(tweet=tweet, tag=name) for name in sorted(added)])
    hour = at.replace(minute=0, second=0, microsecond=0)
    if hour < trending_since():
        return
    TagUse.objects.bulk_create(
        [TagUse(tag=name, hour=hour, author_id=tweet.author_id) for name in sorted(added)],
        ignore_conflicts=True,
    )


def tag_uses_purge(*, batch_size: int = 5000) -> int:
    """Delete the tag uses too old to count towards trending (``trending_since``), in batches of
    short statements through the hour index; returns how many. Without it the table keeps a row
    for every account, tag and hour forever."""
    deleted = 0
    while True:
        old = TagUse.objects.filter(hour__lt=trending_since()).values_list("pk", flat=True)
        batch = list(old[:batch_size])
        if not batch:
            return deleted
        deleted += TagUse.objects.filter(pk__in=batch).delete()[0]


def entities_store(*, tweet: Tweet, entities: Entities, at: datetime, new: bool = False) -> None:
    """Store a posted (``new``) or edited tweet's mentions and tags (its ``entities`` are saved
    with it)."""
    mentions_write(tweet=tweet, accounts=entities.accounts, new=new)
    tags_write(tweet=tweet, tags=entities.tags, at=at, new=new)


def _tags_reparsed(text: str, entities: dict) -> dict:
    """A tweet's ``entities`` with its hashtags read again from its text by the current parser
    (its mentions as stored), within the limits a post is held to: a hashtag too long to store
    is left out, and only the first ``MAX_TAGS`` different ones are kept."""
    names: set[str] = set()
    tags = []
    for tag, _ in _tags_found(text):
        name = tag["name"]
        if len(name) > TAG_MAX_LENGTH or (name not in names and len(names) == MAX_TAGS):
            continue
        names.add(name)
        tags.append(tag)
    mentions = entities.get("mentions", [])
    return {"mentions": mentions, "tags": tags} if mentions or tags else {}


# How long a re-tag waits for a tweet's row lock: a write that holds it may take longer than a
# request is let wait (``DB_LOCK_TIMEOUT_MS``, and ``DB_STATEMENT_TIMEOUT_MS`` where the
# environment sets it for commands too), and the re-tag holds nothing else meanwhile.
REPARSE_LOCK_SECONDS = 60


def tags_reparse(
    tweets: QuerySet,
    *,
    dry_run: bool = False,
    batch_size: int = 10_000,
    progress: Callable[..., None] = lambda stage, done, total, note="": None,
) -> int:
    """Read the hashtags of these tweets again with the current parser, and where they differ
    from those stored (an older parser's), store them: the tweet's ``entities`` and its tag rows,
    so the tag's timeline and page list it. Returns how many tweets were (with ``dry_run``:
    would be) changed. Their mentions stay as stored; no use counts towards trending but in its
    window; the versions of an edited tweet's history keep what they recorded.

    Reads the tweets in primary-key ranges of ``batch_size``, without locks; each tweet to change
    is then locked, read again (an edit meanwhile is what is parsed) and written in a short
    transaction of its own, so live writes to the others never wait for it.
    ``progress(stage, tweets done, tweets in all, note)`` after each range."""
    signed = Q(*(Q(text__contains=sign) for sign in HASH_SIGNS), _connector=Q.OR)
    tagged = tweets.filter(signed, repost_of__isnull=True)
    total = tagged.count()
    changed = done = 0
    progress("tweets", 0, total, f"0/{total:,} tweets")
    for first, last in pk_ranges(tagged, batch_size):
        rows = in_range(tagged, first, last)
        for pk, text, entities in rows.values_list("pk", "text", "entities"):
            if _tags_reparsed(text, entities) != entities and (dry_run or _tags_restore(pk)):
                changed += 1
        done = total if last is None else min(done + batch_size, total)
        progress("tweets", done, total, f"{done:,}/{total:,} tweets, {changed:,} re-tagged")
    return changed


def _tags_restore(tweet_id: int) -> bool:
    """Store the tweet's hashtags as the current parser reads them, under its row lock (which an
    edit takes); whether they changed. Waits up to ``REPARSE_LOCK_SECONDS`` for the lock."""
    with deadline(REPARSE_LOCK_SECONDS + 15), transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true), "
                    "set_config('statement_timeout', %s, true)",
                    [f"{REPARSE_LOCK_SECONDS}s", f"{REPARSE_LOCK_SECONDS + 10}s"],
                )
        tweet = (
            Tweet.objects.select_for_update(no_key=True)
            .filter(pk=tweet_id)
            .only("pk", "author_id", "created_at", "text", "entities")
            .first()
        )
        if tweet is None:  # deleted meanwhile
            return False
        entities = _tags_reparsed(tweet.text, tweet.entities)
        if entities == tweet.entities:
            return False
        Tweet.objects.filter(pk=tweet.pk).update(entities=entities)
        names = {tag["name"] for tag in entities.get("tags", [])}
        tags_write(tweet=tweet, tags=names, at=tweet.created_at)
        stamps.renew(Tweet, [tweet.pk])
        return True
