"""Reads of the social layer. Visibility rules and ``select_related`` live here, so that no
endpoint forgets them and no list costs more queries as it grows."""

import copy
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from accounts.models import active_account_q
from accounts.selectors import account_list
from core.db.compiled import CompiledInBulk
from core.db.planned import PlannedStatement
from core.fields import MAX_ID
from core.ids import id_floor
from core.pagination import FetchedPage
from core.sql import placeholders
from media.models import MediaFile
from tweets.cache import HYDRATED_TWEETS
from tweets.models import (
    TWEET_JOINS,
    Block,
    Bookmark,
    Broadcaster,
    Follow,
    Like,
    Mute,
    Notification,
    NotificationMarker,
    Report,
    TagUse,
    TimelineEntry,
    TimelineHorizon,
    Tweet,
    TweetEdit,
    TweetMedia,
    TweetTag,
    mute_active_sql,
    mute_now,
    not_blocked_q,
    not_muted_q,
    reports_about_accounts_q,
    sees_everything,
    silenced_accounts_sql,
    trending_since,
    visible_original_q,
    visible_tweet_q,
)
from tweets.search import filter_by_text

User = get_user_model()


def tweet_queryset(*, viewer) -> QuerySet:
    """Every tweet and repost the viewer may see, with what its JSON needs."""
    return Tweet.objects.visible_to(viewer).with_author()


def original_queryset(*, viewer) -> QuerySet:
    """Every original tweet (no reposts) the viewer may see, with what its JSON needs."""
    return Tweet.objects.originals_visible_to(viewer).with_author()


def tweet_get(*, tweet_id: int, viewer) -> Tweet | None:
    """A tweet or repost the viewer may see, with everything its JSON shows."""
    return tweets_by_id([tweet_id], viewer=viewer).get(tweet_id)


def tweets_by_id(ids: Iterable[int], *, viewer, shared: bool = False) -> dict[int, Tweet]:
    """The tweets and reposts of these ids the viewer may see, by id, with everything their JSON
    shows: the one place a page's tweets are hydrated. Each tweet, and a repost's original, also
    carries ``replied_author_id``, the author of the tweet it replies to (None when it replies
    to none, or the parent was deleted), which the Mastodon surface shows. Tweets anyone may see
    are kept in the shared cache (``tweets.cache``) and served from there while current; staff,
    who also see hidden tweets, read the database. ``shared``: for a caller that only reads the
    tweets (a page that renders them), which may then be the copies this process holds
    (``core.copies``), not objects of its own."""

    def read(pks: list[int], *, anyone_may_see: bool) -> dict[int, Tweet]:
        if anyone_may_see:
            found = _hydrated_for_anyone(pks)
        else:
            found = _hydrated(Tweet.objects.visible_to(viewer)).in_bulk(pks)
        for tweet in found.values():
            if tweet.repost_of_id:
                tweet.repost_of.replied_author_id = tweet.original_replied_author_id
        tweets_hydrate(list(found.values()))
        return found

    if sees_everything(viewer):
        return read(list(ids), anyone_may_see=False)
    return HYDRATED_TWEETS.get_many(ids, partial(read, anyone_may_see=True), shared=shared)


def _hydrated(tweets: QuerySet) -> QuerySet:
    """``tweets`` with what their JSON shows but their media (``tweets_hydrate``). The replied-to
    authors are subqueries rather than two more joins: PostgreSQL plans the eight-table join in
    twice the time (0.8 against 0.4 ms), and a copy that is out of date (after a like, say) is
    read again by exactly this statement."""
    return tweets.select_related(*TWEET_JOINS).annotate(
        replied_author_id=_author_of("in_reply_to_id"),
        original_replied_author_id=_author_of("repost_of__in_reply_to_id"),
    )


# The tweets anyone may see, hydrated, by id: the statement every copy of a tweet is read by,
# compiled once (``core.db.compiled``).
_hydrated_for_anyone = CompiledInBulk(Tweet, lambda: _hydrated(Tweet.objects.visible()))


def _author_of(tweet_id_path: str) -> Subquery:
    """The author of the tweet whose id the outer row has at ``tweet_id_path``."""
    return Subquery(Tweet.objects.filter(pk=OuterRef(tweet_id_path)).values("author_id"))


# Tweets anyone may see by id, alone or with a repost's original: the reads of every write on a
# tweet, compiled once (``core.db.compiled``).
_found_for_anyone = CompiledInBulk(Tweet, lambda: Tweet.objects.visible())
_found_with_original_for_anyone = CompiledInBulk(
    Tweet, lambda: Tweet.objects.visible().select_related("repost_of")
)


def tweet_find(*, tweet_id: int, viewer) -> Tweet | None:
    """A tweet or repost the viewer may see, without joins: for permission checks and filters."""
    if sees_everything(viewer):
        return Tweet.objects.visible_to(viewer).filter(pk=tweet_id).first()
    return _found_for_anyone([tweet_id]).get(tweet_id)


def tweet_versions(*, tweet: Tweet) -> list[TweetEdit]:
    """The versions of a tweet (``tweet_get``'s), oldest first, the current one last; a tweet
    never edited has one, as it is. Each has ``media_files``: its attachments described as that
    version described them (an edit keeps the uploads it takes off, ``TweetMediaRemoved``; those
    an edit deleted before they were kept are left out)."""
    versions = list(TweetEdit.objects.filter(tweet_id=tweet.pk).order_by("id"))
    if not versions:
        attached = [
            {"id": media.pk, "description": media.description} for media in tweet.media_files()
        ]
        versions = [
            TweetEdit(
                tweet_id=tweet.pk,
                text=tweet.text,
                content_warning=tweet.content_warning,
                sensitive=tweet.sensitive,
                entities=tweet.entities,
                media=attached,
                created_at=tweet.created_at,
            )
        ]
    ids = {item["id"] for version in versions for item in version.media}
    found = MediaFile.objects.in_bulk(ids) if ids else {}
    for version in versions:
        version.media_files = []
        for item in version.media:
            if item["id"] in found:
                media = copy.copy(found[item["id"]])
                media.description = item["description"]
                version.media_files.append(media)
    return versions


def tweet_find_original(*, tweet_id: int, viewer) -> Tweet | None:
    """The original tweet behind this id, which may be a repost's (visible with it): what likes,
    reposts, bookmarks, replies and reports act on."""
    if sees_everything(viewer):
        found = Tweet.objects.visible_to(viewer).select_related("repost_of").filter(pk=tweet_id)
        return _original(found.first())
    return _original(_found_with_original_for_anyone([tweet_id]).get(tweet_id))


def tweet_get_original(*, tweet_id: int, viewer) -> Tweet | None:
    """``tweet_find_original`` hydrated as ``tweets_by_id`` has it (from its copy while current),
    for a write that answers with the tweet it acts on: its service leaves the counts it changes
    in the tweet, so the answer needs no second read."""
    return _original(tweet_get(tweet_id=tweet_id, viewer=viewer))


def _original(tweet: Tweet | None) -> Tweet | None:
    return tweet.repost_of if tweet is not None and tweet.repost_of_id else tweet


def _not_blocked_authors_q(viewer, path: str = "") -> Q:
    """The block rule for lists of tweets and reposts: neither the tweet's author nor, for a
    repost, its original's author blocks the viewer or is blocked by them."""
    original_author = f"{path}repost_of__author"
    return not_blocked_q(viewer, f"{path}author") & not_blocked_q(viewer, original_author)


def account_search(*, viewer, search: str = "") -> QuerySet:
    """``accounts.selectors.account_list`` without the accounts the viewer blocks or is blocked
    by."""
    return account_list(search=search).filter(not_blocked_q(viewer, "pk"))


def tweet_search(*, viewer, text="", author=None, since=None, until=None) -> QuerySet:
    """Original tweets matching all given filters, leaving out accounts the viewer blocks or is
    blocked by; time bounds become id bounds (ids are time-ordered)."""
    tweets = original_queryset(viewer=viewer).filter(not_blocked_q(viewer, "author"))
    if text:
        tweets = filter_by_text(tweets, text)
    if author is not None:
        tweets = tweets.filter(author=author)
    if since is not None:
        tweets = tweets.filter(pk__gte=id_floor(since))
    if until is not None:
        tweets = tweets.filter(pk__lt=id_floor(until))
    return tweets


def tweet_replies(*, tweet: Tweet, viewer) -> QuerySet:
    """Replies the viewer may see: not by accounts the viewer blocks or is blocked by."""
    return original_queryset(viewer=viewer).filter(
        not_blocked_q(viewer, "author"), in_reply_to=tweet
    )


def tweets_by_author(*, author: User, viewer, reposts: bool = True) -> QuerySet:
    """The author's tweets, replies and (unless ``reposts=False``) reposts, newest first. None
    when the author and the viewer block each other (either way), and no reposts of accounts
    that do."""
    if not reposts:
        return original_queryset(viewer=viewer).filter(
            not_blocked_q(viewer, "author"), author=author
        )
    return tweet_queryset(viewer=viewer).filter(_not_blocked_authors_q(viewer), author=author)


def bookmarks_of(*, user: User) -> QuerySet:
    """The user's bookmarks of tweets they may still see (not by accounts they block or are
    blocked by), newest bookmark first, with the tweets joined."""
    return Bookmark.objects.filter(
        visible_tweet_q(user, "tweet__"), _not_blocked_authors_q(user, "tweet__"), user=user
    ).select_related(*(f"tweet__{join}" for join in TWEET_JOINS))


def tag_timeline(*, tag: str, viewer) -> QuerySet:
    """A tag's tweets as ``TweetTag`` rows with their tweets joined, for paging by ``tweet_id``
    newest first: one range scan of the (tag, tweet) index, leaving out accounts the viewer
    blocks or is blocked by."""
    return TweetTag.objects.filter(
        visible_original_q(viewer, "tweet__"), not_blocked_q(viewer, "tweet__author"), tag=tag
    ).select_related(*(f"tweet__{join}" for join in TWEET_JOINS))


def tags_trending(*, limit: int = 10) -> list[dict]:
    """The tags most accounts used over the last ``TRENDING_HOURS`` (by hour), most first. Reads
    a day of ``TagUse`` rows through their hour index, never the tweets; suspended or deactivated
    accounts do not count."""
    since = trending_since()
    rows = (
        TagUse.objects.filter(active_account_q("author__"), hour__gte=since)
        .values("tag")
        .annotate(accounts=Count("author", distinct=True))
        .order_by("-accounts", "tag")[:limit]
    )
    return [{"name": row["tag"], "accounts": row["accounts"]} for row in rows]


def tweet_reposts(*, tweet: Tweet, viewer) -> QuerySet:
    """Reposts of a tweet (newest first by repost id) with the reposting accounts, leaving out
    accounts the viewer blocks or is blocked by."""
    return Tweet.objects.filter(
        active_account_q("author__"),
        not_blocked_q(viewer, "author"),
        repost_of=tweet,
        is_hidden=False,
    ).select_related("author__avatar")


def tweet_likes(*, tweet: Tweet, viewer) -> QuerySet:
    """Likes of a tweet (newest first by like id) with the liking accounts, leaving out accounts
    the viewer blocks or is blocked by."""
    return Like.objects.filter(
        active_account_q("user__"), not_blocked_q(viewer, "user"), tweet=tweet
    ).select_related("user__avatar")


# The kinds of rows ``_flags_sql`` gives, by the name of the flag each one sets; from 2, after the
# home timeline statement's own kinds (0: an id, 1: an account left out), which it reads with.
FLAG_KINDS = {2: "liked", 3: "reposted", 4: "bookmarked"}


def _flags_sql(*, user: str, among: str) -> str:
    """The rows of the likes, reposts and bookmarks by ``user`` (a placeholder) of the tweets
    whose ids are ``among`` (a condition on the id): (kind, one of ``FLAG_KINDS``, tweet id)."""
    likes, tweets, bookmarks = Like._meta.db_table, Tweet._meta.db_table, Bookmark._meta.db_table
    return (
        f"SELECT 2 AS kind, tweet_id FROM {likes} WHERE user_id = {user} AND tweet_id {among} "
        f"UNION ALL SELECT 3, repost_of_id FROM {tweets} "
        f"WHERE author_id = {user} AND repost_of_id {among} "
        f"UNION ALL SELECT 4, tweet_id FROM {bookmarks} WHERE user_id = {user} AND tweet_id {among}"
    )


def _viewer_flags_statement(vendor: str) -> str:
    """The statement of ``viewer_flags`` for a database."""
    if vendor == "postgresql":
        return _flags_sql(user="%(user)s", among="= ANY(%(ids)s)")
    return _flags_sql(user="%(user)s", among="IN (SELECT value FROM json_each(%(ids)s))")


# Written out because every list of tweets runs it: the ORM took longer to build this union than
# the database to answer it, and PostgreSQL took longer to plan it than to run it.
VIEWER_FLAGS = PlannedStatement(
    "viewer_flags",
    params={"user": "bigint", "ids": "bigint[]"},
    returns={"kind": "integer", "tweet_id": "bigint"},
    statement=_viewer_flags_statement,
)


def _flag_sets(rows) -> dict[str, set[int]]:
    """``viewer_flags``' shape from ``_flags_sql``'s rows (kind first, then the tweet id)."""
    flags = {name: set() for name in FLAG_KINDS.values()}
    for kind, tweet_id, *_ in rows:
        flags[FLAG_KINDS[kind]].add(tweet_id)
    return flags


def viewer_flags(*, user: User, tweets: Iterable[Tweet]) -> dict[str, set[int]]:
    """Which of these tweets (and the originals of those that are reposts) the user has liked,
    reposted and bookmarked, as ``{"liked": ids, "reposted": ids, "bookmarked": ids}``: one query
    for a whole page."""
    ids = set()
    for tweet in tweets:
        ids.add(tweet.pk)
        if tweet.repost_of_id:
            ids.add(tweet.repost_of_id)
    if not user.is_authenticated or not ids:
        return _flag_sets([])
    rows = VIEWER_FLAGS.fetchall(router.db_for_read(Like), user=user.pk, ids=sorted(ids))
    return _flag_sets(rows)


def followers_of(*, user: User, viewer) -> QuerySet:
    """Follows of the user (newest first) with the following accounts, leaving out accounts the
    viewer blocks or is blocked by."""
    return Follow.objects.filter(
        active_account_q("follower__"), not_blocked_q(viewer, "follower"), followee=user
    ).select_related("follower__avatar")


def following_of(*, user: User, viewer) -> QuerySet:
    """Follows by the user (newest first) with the followed accounts, leaving out accounts the
    viewer blocks or is blocked by."""
    return Follow.objects.filter(
        active_account_q("followee__"), not_blocked_q(viewer, "followee"), follower=user
    ).select_related("followee__avatar")


def relationship(*, viewer: User, other: User) -> dict[str, bool] | None:
    """How the viewer and the other account stand (None if anonymous): follows both ways, blocks
    both ways, and whether the viewer mutes the other (and its notifications)."""
    if not viewer.is_authenticated:
        return None
    return relationships(viewer=viewer, other_ids=[other.pk])[other.pk]


def relationships(*, viewer: User, other_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """``relationship`` for many accounts at once, in one query: follows and blocks both ways,
    and the viewer's mutes that still apply (``mute_active_sql``); empty for an anonymous
    viewer."""
    other_ids = list(other_ids)
    if not viewer.is_authenticated or not other_ids:
        return {other: {} for other in other_ids}
    me = viewer.pk
    listed = placeholders(other_ids)
    connection = connections[router.db_for_read(Follow)]
    now = mute_now(connection)
    # Written out because every profile, follow and block answers with it: the ORM took longer
    # to build this union than the database to answer it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT follower_id, followee_id, 'follow' FROM {Follow._meta.db_table} "
            f"WHERE (follower_id = %s AND followee_id IN ({listed})) "
            f"OR (followee_id = %s AND follower_id IN ({listed})) "
            f"UNION ALL SELECT blocker_id, blocked_id, 'block' FROM {Block._meta.db_table} "
            f"WHERE (blocker_id = %s AND blocked_id IN ({listed})) "
            f"OR (blocked_id = %s AND blocker_id IN ({listed})) "
            f"UNION ALL SELECT muter_id, muted_id, "
            f"CASE WHEN notifications THEN 'mute+notifications' ELSE 'mute' END "
            f"FROM {Mute._meta.db_table} WHERE muter_id = %s AND muted_id IN ({listed}) "
            f"AND {mute_active_sql()}",
            [me, *other_ids, me, *other_ids, me, *other_ids, me, *other_ids, me, *other_ids, now],
        )
        found = set(cursor.fetchall())
    return {
        other: {
            "following": (me, other, "follow") in found,
            "followed_by": (other, me, "follow") in found,
            "blocking": (me, other, "block") in found,
            "blocked_by": (other, me, "block") in found,
            "muting": bool({(me, other, "mute"), (me, other, "mute+notifications")} & found),
            "muting_notifications": (me, other, "mute+notifications") in found,
        }
        for other in other_ids
    }


def likes_by_user(*, user: User, viewer) -> QuerySet:
    """The user's likes of tweets the viewer may see (newest like first), with the tweets."""
    return Like.objects.filter(visible_tweet_q(viewer, "tweet__"), user=user).select_related(
        "tweet__author__avatar"
    )


def tweets_hydrate(tweets: list[Tweet]) -> None:
    """Load what the JSON of these tweets and of the originals they repost shows (their media,
    for ``Tweet.media_files``) in one query. Tweets whose attachments a ``with_author()`` prefetch
    already loaded are left as they are."""
    shown = [*tweets, *(tweet.repost_of for tweet in tweets if tweet.repost_of_id)]
    missing = {
        tweet.pk
        for tweet in shown
        if getattr(tweet, "_media_files", None) is None
        and "attachments" not in getattr(tweet, "_prefetched_objects_cache", {})
    }
    if not missing:
        return
    media = {pk: [] for pk in missing}
    # Written out (the media rows with the tweet each is attached to, in display order): every
    # list of tweets runs it, and the ORM took longer to build the join than to run it.
    attachments, files = TweetMedia._meta.db_table, MediaFile._meta.db_table
    listed = placeholders(missing)
    rows = MediaFile.objects.raw(
        f"SELECT m.*, a.tweet_id AS attached_to FROM {attachments} a "
        f"JOIN {files} m ON m.id = a.media_id "
        f"WHERE a.tweet_id IN ({listed}) ORDER BY a.tweet_id, a.position",
        list(missing),
    )
    for row in rows:
        media[row.attached_to].append(row)
    for tweet in shown:  # the same tweet may be here twice, as two objects
        if tweet.pk in missing:
            tweet._media_files = media[tweet.pk]


def _first_occurrences(items: list[Tweet], newest_first: bool) -> list[Tweet]:
    """Each original once: its oldest occurrence among ``items`` (the tweet itself or the first
    repost of it), as Mastodon shows a reblogged status once however many followees reblog it."""
    seen, kept = set(), []
    for item in sorted(items, key=lambda tweet: tweet.pk):
        original = item.repost_of_id or item.pk
        if original not in seen:
            seen.add(original)
            kept.append(item)
    kept.sort(key=lambda tweet: tweet.pk, reverse=newest_first)
    return kept


def _by_silenced(tweet: Tweet, silenced: set[int]) -> bool:
    """Home timeline rule: the tweet's author or, for a repost, its original's author is among
    the accounts ``silenced_accounts_sql`` reads for the reader (blocked either way, or muted).
    Applied to the few tweets a page reads by key, so hundreds of blocks and mutes cost a set
    lookup each, not a longer statement to build and plan."""
    original = tweet.repost_of if tweet.repost_of_id else None
    return tweet.author_id in silenced or (original is not None and original.author_id in silenced)


def _home_ids_statement(vendor: str, *, newest_first: bool) -> str:
    """The statement of ``_timeline_id_rows`` for a database, in one direction."""
    entries, tweets = TimelineEntry._meta.db_table, Tweet._meta.db_table
    follows, broadcasters = Follow._meta.db_table, Broadcaster._meta.db_table
    horizons = TimelineHorizon._meta.db_table
    order, after = ("DESC", "<") if newest_first else ("ASC", ">")
    followed_broadcasters = (
        f"SELECT b.user_id FROM {broadcasters} b JOIN {follows} f "
        f"ON f.followee_id = b.user_id WHERE f.follower_id = %(reader)s"
    )
    if vendor == "postgresql":
        # PostgreSQL plans IN (subquery) as a join, which took it longer than the whole page.
        by_followed_broadcaster = f"t.author_id = ANY(ARRAY({followed_broadcasters}))"
    else:
        by_followed_broadcaster = f"t.author_id IN ({followed_broadcasters})"
    return (
        f"WITH page AS (SELECT 0 AS kind, ids.tweet_id, COALESCE((SELECT h.tweet_id "
        f"FROM {horizons} h WHERE h.owner_id = %(reader)s), 0) AS horizon FROM ("
        f"SELECT tweet_id FROM (SELECT e.tweet_id FROM {entries} e "
        f"WHERE e.owner_id = %(reader)s AND e.tweet_id {after} %(after)s "
        f"ORDER BY e.tweet_id {order} LIMIT %(page_size)s) stored "
        f"UNION ALL SELECT id FROM (SELECT t.id FROM {tweets} t WHERE NOT t.fanned_out "
        f"AND t.id {after} %(after)s AND {by_followed_broadcaster} "
        f"ORDER BY t.id {order} LIMIT %(page_size)s) merged"
        f") ids ORDER BY ids.tweet_id {order} LIMIT %(page_size)s), "
        # The page's tweets and the originals of its reposts: what the reader's flags are of.
        f"shown AS (SELECT tweet_id FROM page UNION ALL SELECT r.repost_of_id FROM {tweets} r "
        f"WHERE r.id IN (SELECT tweet_id FROM page) AND r.repost_of_id IS NOT NULL) "
        f"SELECT kind, tweet_id, horizon FROM page "
        f"UNION ALL SELECT 1, s.account_id, CAST(0 AS bigint) "
        f"FROM ({silenced_accounts_sql()}) s WHERE %(with_silenced)s "
        f"UNION ALL SELECT f.kind, f.tweet_id, CAST(0 AS bigint) "
        f"FROM ({_flags_sql(user='%(reader)s', among='IN (SELECT tweet_id FROM shown)')}) f"
    )


def _home_ids(name: str, *, newest_first: bool) -> PlannedStatement:
    """``_home_ids_statement`` in one direction, planned once per connection on PostgreSQL."""
    return PlannedStatement(
        name,
        params={
            "reader": "bigint",
            "after": "bigint",
            "page_size": "integer",
            "with_silenced": "boolean",
            "at": "timestamptz",
        },
        returns={"kind": "integer", "tweet_id": "bigint", "horizon": "bigint"},
        statement=partial(_home_ids_statement, newest_first=newest_first),
    )


# Written out once here because every timeline page runs it: the ORM took longer to build it than
# the database to answer it, and PostgreSQL took longer to plan it than to run it (so there it is
# a function, planned once per connection: ``core.db.planned``).
HOME_IDS_NEWEST_FIRST = _home_ids("home_ids_newest_first", newest_first=True)
HOME_IDS_OLDEST_FIRST = _home_ids("home_ids_oldest_first", newest_first=False)


def _timeline_id_rows(
    reader_id: int, position: int | None, newest_first: bool, limit: int, *, silenced: bool
) -> tuple[list[tuple[int, int]], set[int] | None, dict[str, set[int]]]:
    """The first ``limit`` ids of the reader's home timeline after ``position``, in order, each
    with the reader's horizon (0: none): their stored entries (an index-only range scan) merged
    with the tweets and reposts of followed broadcasters that were not fanned out (a partial-index
    scan over those few authors), each part bounded by the page size. The same statement also
    reads, with ``silenced``, the accounts the page leaves out (``silenced_accounts_sql``),
    returned second (else None), and the reader's flags of those tweets and of the originals of
    the reposts among them (``viewer_flags``' shape), third: one round trip."""
    using = router.db_for_read(TimelineEntry)
    statement = HOME_IDS_NEWEST_FIRST if newest_first else HOME_IDS_OLDEST_FIRST
    if position is None:
        position = MAX_ID if newest_first else 0  # a page from the end: past every id
    rows = statement.fetchall(
        using,
        reader=reader_id,
        after=position,
        page_size=limit,
        with_silenced=silenced,
        at=mute_now(connections[using]),
    )
    ids = sorted(((pk, horizon) for kind, pk, horizon in rows if kind == 0), reverse=newest_first)
    silenced_ids = {pk for kind, pk, _ in rows if kind == 1} if silenced else None
    return ids, silenced_ids, _flag_sets(row for row in rows if row[0] in FLAG_KINDS)


# How many times a page reads further when the tweets it read were hidden or left out (blocked,
# muted) before it answers with a short page; paging goes on from where it stopped.
TIMELINE_READ_ROUNDS = 4


def timeline_home_fetch(*, reader: User):
    """The home timeline as a fetch function for keyset pagination: tweets and reposts by the
    reader and the accounts they follow, newest first by the time of the tweet or the repost.

    A page is read in two steps. First the ids: the reader's precomputed entries (an index-only
    range scan) merged with the tweets and reposts of followed "broadcasters" that were not
    fanned out (a partial-index scan over those few authors), both bounded by the page size.
    Then those tweets by primary key, through the visibility rule and without the accounts the
    reader blocks, is blocked by or mutes (a list of the reader's few block and mute rows, read
    with the first ids), with what their JSON needs. Neither step grows with the number of tweets
    or followees, and both plan in microseconds. Where some of the ids were left out, the page
    reads further (a few rounds at most). An original shows at most once per page: where
    several followees reposted it (or the reader follows its author too) its oldest occurrence
    on the page wins. Every rule of what a reader sees in the timeline belongs here.

    Stored entries are bounded (TIMELINE_MAX_ENTRIES, see ``timelines_trim``): each id row carries
    the reader's horizon, and a page that reaches below it takes the reader's own tweets and
    their followees' fanned-out ones from the tweets table instead (slower, the same rules).

    The reader's flags of the tweets (liked, reposted, bookmarked) are read with their ids: the
    page's JSON takes them from ``fetch.flags_of(page)`` rather than ``viewer_flags``.

    The tweets it returns may be the copies this process holds (``tweets_by_id(shared=True)``):
    callers render them and change nothing in them.
    """
    silenced = None  # the accounts left out (``_by_silenced``), read with the first ids
    flags = _flag_sets([])  # the reader's, of the ids read so far and their originals
    flagged = set()  # those ids

    def candidate_ids(position: int | None, newest_first: bool, limit: int) -> list[int]:
        nonlocal silenced
        rows, silenced_now, flags_now = _timeline_id_rows(
            reader.pk, position, newest_first, limit, silenced=silenced is None
        )
        if silenced is None:
            silenced = silenced_now
        ids = [pk for pk, _ in rows]
        for name, marked in flags_now.items():
            flags[name] |= marked
        flagged.update(ids)
        below = _below_horizon(rows, position=position, newest_first=newest_first, limit=limit)
        if below is None:
            return ids
        # Entries kept below the horizon (a late fan-out or backfill) are among these too.
        return sorted(set(ids) | set(below), reverse=newest_first)[:limit]

    def _below_horizon(rows, *, position, newest_first, limit) -> list[int] | None:
        """Where the page reaches below the reader's horizon (their stored entries were trimmed
        there, see ``timelines_trim``): the ids fan-out would have stored below it, read from the
        tweets. ``rows`` carry the horizon (0: none); an empty page reads it."""
        if rows:
            lowest = rows[0][1]
        else:
            lowest = TimelineHorizon.objects.filter(owner=reader).values_list("tweet_id", flat=True)
            lowest = lowest.first()
        if not lowest:
            return None
        if newest_first:
            crosses = len(rows) < limit or rows[-1][0] < lowest
        else:
            crosses = position is None or position < lowest
        if not crosses:
            return None
        # What fan-out would have stored for the reader: below the horizon it is read from here.
        followees = Follow.objects.filter(follower=reader).values("followee")
        fanned_out_to_reader = Tweet.objects.filter(
            Q(author=reader) | Q(author__in=followees, fanned_out=True)
        )
        older = fanned_out_to_reader.filter(pk__lt=lowest)
        if position is not None:
            older = older.filter(**{f"pk__{'lt' if newest_first else 'gt'}": position})
        older = older.order_by("-pk" if newest_first else "pk")
        return list(older.values_list("pk", flat=True)[:limit])

    def fetch(position: int | None, forward: bool, limit: int) -> list[Tweet]:
        read, more, reached = [], True, position
        for _ in range(TIMELINE_READ_ROUNDS):
            ids = candidate_ids(reached, forward, limit)
            tweets = tweets_by_id(ids, viewer=reader, shared=True)
            read += [
                tweets[pk] for pk in ids if pk in tweets and not _by_silenced(tweets[pk], silenced)
            ]
            more = len(ids) == limit
            if ids:
                reached = ids[-1]
            if len(read) >= limit or not more:
                break
        page = _first_occurrences(read[:limit], forward)
        if len(page) == limit:
            return page
        # Rows were left out, so the count alone no longer tells whether more follow; where the
        # rounds ran out before the page filled, paging resumes where they stopped reading.
        stopped_short = more and len(read) < limit
        return FetchedPage(
            page, has_more=more or len(read) > limit, resume=reached if stopped_short else None
        )

    def flags_of(tweets: Iterable[Tweet]) -> dict[str, set[int]]:
        """``viewer_flags`` of tweets this fetch read: read with their ids, but for those read
        below the horizon, looked up now."""
        others = [tweet for tweet in tweets if tweet.pk not in flagged]
        if not others:
            return flags
        more = viewer_flags(user=reader, tweets=others)
        return {name: flags[name] | more[name] for name in flags}

    fetch.flags_of = flags_of
    return fetch


def timeline_home_naive(*, reader: User) -> QuerySet:
    """The query fan-out on write replaces: the reader's and their followees' tweets straight from
    the tweets table. Served only on the benchmark-only route, as the reference to beat."""
    followees = Follow.objects.filter(follower=reader).values("followee")
    authors = Q(author__in=followees) | Q(author=reader)
    return tweet_queryset(viewer=reader).filter(authors)


def blocks_of(*, user: User) -> QuerySet:
    """The accounts the user blocks (newest block first), with their avatars."""
    return Block.objects.filter(active_account_q("blocked__"), blocker=user).select_related(
        "blocked__avatar"
    )


def mutes_of(*, user: User) -> QuerySet:
    """The user's mutes that still apply (newest first), with the muted accounts."""
    return (
        Mute.objects.active()
        .filter(active_account_q("muted__"), muter=user)
        .select_related("muted__avatar")
    )


def account_deletion_counts(*, accounts: Iterable[User]) -> dict[str, int]:
    """What deleting these accounts for good does, counted by kind (the admin's confirmation):
    the tweets that go (theirs, and others' reposts of them), their uploads, the likes that go
    (theirs, and those of their tweets), their follows either way, the reports that go (filed by
    them or about them), and the open reports about their tweets, which are resolved and kept. A
    fixed number of queries, however much there is."""
    ids = [account.pk for account in accounts]
    tweets = Tweet.objects.filter(author__in=ids).values("pk")
    reposts = Tweet.objects.filter(repost_of__in=tweets).values("pk")
    likes = Like.objects.filter(user__in=ids).values("pk")
    likes_of_tweets = Like.objects.filter(tweet__in=tweets).values("pk")
    follows = Follow.objects.filter(Q(follower__in=ids) | Q(followee__in=ids))
    reports = Report.objects.filter(Q(reporter__in=ids) | Q(account__in=ids))
    resolved = Report.objects.filter(reports_about_accounts_q(ids), status=Report.Status.OPEN)
    return {
        "tweets": tweets.union(reposts).count(),
        "uploads": MediaFile.objects.filter(owner__in=ids).count(),
        "likes": likes.union(likes_of_tweets).count(),
        "follows": follows.count(),
        "reports": reports.count(),
        "open reports about their tweets, resolved and kept": resolved.exclude(
            account__in=ids
        ).count(),
    }


def notification_list(
    *, user: User, types: Iterable[str] = (), exclude_types: Iterable[str] = ()
) -> QuerySet:
    """The user's notifications, by the visibility rules of every other list: none from
    suspended or deactivated accounts, about hidden tweets, from accounts blocked either way or
    muted with their notifications. The acting account and the tweet are joined."""
    rows = Notification.objects.filter(
        active_account_q("actor__"),
        not_blocked_q(user, "actor"),
        not_muted_q(user, "actor", notifications=True),
        recipient=user,
    )
    # Notifications are about original tweets (the liked or reposted one, the reply, the mention).
    rows = rows.filter(Q(tweet__isnull=True) | visible_original_q(user, "tweet__"))
    if types:
        rows = rows.filter(kind__in=list(types))
    if exclude_types:
        rows = rows.exclude(kind__in=list(exclude_types))
    return rows.select_related("actor__avatar", "tweet__author__avatar")


def notification_get(*, user: User, notification_id: int) -> Notification | None:
    return notification_list(user=user).filter(pk=notification_id).first()


UNREAD_COUNT_MAX = 1000


def notification_marker(*, user: User) -> tuple[NotificationMarker, int]:
    """The user's read marker (unsaved and at 0 when they never set one) and how many visible
    notifications are newer than it, counted up to ``UNREAD_COUNT_MAX``."""
    marker = NotificationMarker.objects.filter(user=user).first() or NotificationMarker(user=user)
    unread = (
        notification_list(user=user)
        .filter(pk__gt=marker.last_read_id)
        .order_by()
        .values("pk")[:UNREAD_COUNT_MAX]
    )
    return marker, unread.count()
