"""Mastodon's entities (Account, Status, MediaAttachment, Relationship, Application, ...) built from
minitter's models, with the exact field names and formats clients rely on: ids as strings, times
as ``2024-01-01T00:00:00.000Z``, images never null.

A page of statuses is hydrated in a constant number of queries: ``StatusContext.for_tweets``
looks up, once per page, what the tweets' own rows do not carry (the viewer's favourites, reblogs
and bookmarks, the authors of the tweets replied to, the accounts mentioned, the accounts' header
images) and prefetches attachments. A page of accounts (``accounts``) looks up its headers once.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from django.utils.encoding import iri_to_uri

from accounts.selectors import headers_of
from core.content import note_html, status_html
from core.copies import derived
from core.links import Links
from mastodon_api.services import REPORT_REASONS
from media.images import PREVIEW_LONG_SIDE
from media.models import MediaFile
from media.selectors import storage_url
from tweets import selectors as tweet_selectors
from tweets.models import Tweet

REPORT_CATEGORIES = {reason: category for category, reason in REPORT_REASONS.items()}


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def tag_url(links: Links, tag: str) -> str:
    """A hashtag's public page (``/tags/<name>``, as Mastodon's ``url`` of a tag)."""
    return links.prefix("web-tag") + iri_to_uri(tag)


# --- Accounts -------------------------------------------------------------------------------------
_USER_HEADER = object()


def account(user, request, links: Links | None = None, *, header=_USER_HEADER) -> dict:
    """The Account entity of an account with ``select_related("avatar")``; ``links`` (made per
    request) spares reversing the same routes for every account of a page.

    ``header`` is the account's header image (``None`` for none), which pages look up once for
    all their accounts (``accounts.selectors.headers_of``); when it is not given, it is read from
    the account (``user.header``: a query unless selected with it)."""
    links = links or Links(request)
    if user.avatar_id:
        avatar = storage_url(user.avatar.file, request)
        avatar_static = storage_url(user.avatar.preview, request)
    else:
        avatar = avatar_static = links.static("mastodon_api/avatar.png")
    if header is _USER_HEADER:
        header = user.header
    if header is not None:
        header_url = storage_url(header.file, request)
        header_static = storage_url(header.preview, request)
    else:
        header_url = header_static = links.static("mastodon_api/header.png")
    uri = links.url("profile-detail", user.username)
    return {
        "id": str(user.pk),
        "username": user.username,
        "acct": user.username,
        "display_name": user.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "noindex": False,
        "created_at": timestamp(user.created_at),
        "note": note_html(user.bio, tag_url_root=links.prefix("web-tag")),
        "url": links.url("web-profile", user.username),
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar_static,
        "header": header_url,
        "header_static": header_static,
        "followers_count": user.followers_count,
        "following_count": user.following_count,
        "statuses_count": user.tweets_count,
        "last_status_at": None,
        "hide_collections": False,
        "emojis": [],
        "fields": [],
        "roles": [],
    }


def credential_account(user, request) -> dict:
    """The caller's own Account, with ``source`` (the raw profile text and posting defaults)."""
    return {
        **account(user, request),
        "source": {
            "privacy": "public",
            "sensitive": False,
            "language": None,
            "note": user.bio,
            "fields": [],
            "follow_requests_count": 0,
            "hide_collections": False,
            "discoverable": True,
            "indexable": True,
        },
        "role": {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        },
    }


def accounts(users, request) -> list[dict]:
    """The Account entities of a page of accounts (with ``select_related("avatar")``): their
    headers in one query."""
    users = list(users)
    headers = headers_of(users=users)
    links = Links(request)
    return [account(user, request, links, header=headers.get(user.pk)) for user in users]


def muted_accounts(mutes, request) -> list[dict]:
    """The Accounts in the list of mutes (``muted`` with its avatar): each with
    ``mute_expires_at``, when the mute ends (or null)."""
    mutes = list(mutes)
    entities = accounts([mute.muted for mute in mutes], request)
    return [
        {**entity, "mute_expires_at": timestamp(mute.expires_at)}
        for entity, mute in zip(entities, mutes, strict=True)
    ]


def relationship(account_id: int, rel: dict[str, bool] | None) -> dict:
    rel = rel or {}
    return {
        "id": str(account_id),
        "following": rel.get("following", False),
        "showing_reblogs": rel.get("following", False),
        "notifying": False,
        "languages": None,
        "followed_by": rel.get("followed_by", False),
        "blocking": rel.get("blocking", False),
        "blocked_by": rel.get("blocked_by", False),
        "muting": rel.get("muting", False),
        "muting_notifications": rel.get("muting_notifications", False),
        "requested": False,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


# --- Media ----------------------------------------------------------------------------------------
def _size(width: int, height: int) -> dict:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6) if height else 1,
    }


def media_attachment(media, request) -> dict:
    scale = min(1.0, PREVIEW_LONG_SIDE / max(media.width, media.height, 1))
    small = (max(1, round(media.width * scale)), max(1, round(media.height * scale)))
    return {
        "id": str(media.pk),
        "type": "image",
        "url": storage_url(media.file, request),
        "preview_url": storage_url(media.preview, request),
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": _size(media.width, media.height), "small": _size(*small)},
        "description": media.description or None,
        "blurhash": None,
    }


# --- Statuses -------------------------------------------------------------------------------------
@dataclass
class StatusContext:
    """What a page of statuses needs beyond the tweets' rows, looked up once per page."""

    request: object
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    parent_authors: dict[int, int] = field(default_factory=dict)
    links: Links | None = None  # made from the request where not given
    headers: dict[int, MediaFile] = field(default_factory=dict)
    accounts: dict[int, dict] = field(default_factory=dict)

    def __post_init__(self):
        if self.links is None:
            self.links = Links(self.request)

    def account(self, user) -> dict:
        """``account(user)``, built once per account on the page, and kept with the copy the
        account was read with where the process holds it (``derived``), for the same header."""
        entity = self.accounts.get(user.pk)
        if entity is None:
            header = self.headers.get(user.pk)
            shown = None if header is None else (header.pk, header.file, header.preview)
            entity = self.accounts[user.pk] = derived(
                user,
                ("account", self.links.root, shown),
                partial(account, user, self.request, self.links, header=header),
            )
        return entity

    @classmethod
    def for_tweets(cls, request, tweets, *, users=(), flags=None) -> "StatusContext":
        """Tweets and reposts with ``select_related`` of their authors (and originals); ``users``
        are the page's other accounts (a notification's actor), whose headers are looked up
        with the authors'; ``flags``: the viewer's, where read with the tweets
        (``viewer_flags``' shape)."""
        tweets = list(tweets)
        tweet_selectors.tweets_hydrate(tweets)
        originals = [tweet.repost_of for tweet in tweets if tweet.repost_of_id]
        shown = [*tweets, *originals]
        authors = [tweet.author for tweet in shown]
        if flags is None:
            flags = tweet_selectors.viewer_flags(user=request.user, tweets=tweets)
        # The authors replied to: read with the tweets where they came from ``tweets_by_id``
        # (``replied_author_id``), else looked up here.
        parent_authors, parent_ids = {}, set()
        for tweet in shown:
            if not tweet.in_reply_to_id:
                continue
            replied_author = getattr(tweet, "replied_author_id", None)
            if replied_author is None:
                parent_ids.add(tweet.in_reply_to_id)
            else:
                parent_authors[tweet.in_reply_to_id] = replied_author
        if parent_ids:
            found = Tweet.objects.filter(pk__in=parent_ids).values_list("pk", "author_id")
            parent_authors.update(found)
        return cls(
            request=request,
            favourited=flags["liked"],
            reblogged=flags["reposted"],
            bookmarked=flags["bookmarked"],
            parent_authors=parent_authors,
            headers=headers_of(users=[*authors, *users]),
        )


def _first_of_each(items: list[dict], field: str) -> list[dict]:
    """``items`` in order, without those whose ``field`` came before."""
    seen = set()
    return [item for item in items if not (item[field] in seen or seen.add(item[field]))]


def status(tweet, context: StatusContext, *, source: bool = False) -> dict:
    """The Status entity of a tweet, or of a repost: a status of its own whose ``reblog`` is the
    original (the flags mirror the original's, which is what clients show).

    What depends on the tweet and the links' root alone is written once for a copy the process
    holds (a page's, ``core.copies``) and kept with it (``derived``); the viewer's flags, the
    author replied to and the accounts (whose headers the copy does not hold) are put in for
    each page."""
    root = context.links.root
    if tweet.repost_of_id:
        shown = derived(tweet, ("status reblog", root), partial(_status_shown, tweet, context))
        original = _for_page(tweet.repost_of, shown["reblog"], context)
        return {**original, **shown, "account": context.account(tweet.author), "reblog": original}
    shown = derived(tweet, ("status", root), partial(_status_shown, tweet, context))
    entity = _for_page(tweet, shown, context)
    if source:
        entity["text"] = tweet.text
    return entity


def _for_page(tweet, shown: dict, context: StatusContext) -> dict:
    """A status ``_status_shown`` wrote, with what the page adds."""
    replied_author = context.parent_authors.get(tweet.in_reply_to_id)
    return {
        **shown,
        "in_reply_to_account_id": None if replied_author is None else str(replied_author),
        "favourited": tweet.pk in context.favourited,
        "reblogged": tweet.pk in context.reblogged,
        "bookmarked": tweet.pk in context.bookmarked,
        "account": context.account(tweet.author),
    }


def tweet_page_url(links: Links, tweet) -> str:
    """A status's ``url``: its page (``/@username/id``, as on Mastodon; a repost's redirects
    to its original's), where its ``uri`` is its JSON in the own API."""
    return f"{links.url('web-profile', tweet.author.username)}/{tweet.pk}"


def _status_shown(tweet, context: StatusContext) -> dict:
    """What a status shows of the tweet alone: for a repost, what replaces the original's fields
    and the original (``reblog``); where the page puts something in (``_for_page``), a
    placeholder keeps the field's place."""
    request, links = context.request, context.links
    if tweet.repost_of_id:
        return {
            "id": str(tweet.pk),
            "created_at": timestamp(tweet.created_at),
            "edited_at": None,
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            # A reblog of its own says nothing: no warning, not sensitive, as on Mastodon.
            "sensitive": False,
            "spoiler_text": "",
            "uri": links.url("tweet-detail", tweet.pk),
            "url": tweet_page_url(links, tweet),
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": "",
            "account": None,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "reblog": _status_shown(tweet.repost_of, context),
        }
    # Mentions and tags as stored when the tweet was written (tweets/services/entities.py), one
    # entry per occurrence there; Mastodon lists each account and tag once.
    mentioned = _first_of_each(tweet.entities.get("mentions", []), "id")
    tags = _first_of_each(tweet.entities.get("tags", []), "name")
    return {
        "id": str(tweet.pk),
        "created_at": timestamp(tweet.created_at),
        "edited_at": timestamp(tweet.edited_at),
        "in_reply_to_id": str(tweet.in_reply_to_id) if tweet.in_reply_to_id else None,
        "in_reply_to_account_id": None,
        "sensitive": tweet.sensitive,
        "spoiler_text": tweet.content_warning,
        "visibility": "public",
        "language": tweet.language or None,
        "uri": links.url("tweet-detail", tweet.pk),
        "url": tweet_page_url(links, tweet),
        "replies_count": tweet.reply_count,
        "reblogs_count": tweet.repost_count,
        "favourites_count": tweet.like_count,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": status_html(
            tweet.text,
            mentioned=tuple(mention["username"] for mention in mentioned),
            profile_url=links.template("web-profile"),
            tag_url_root=links.prefix("web-tag"),
        ),
        "filtered": [],
        "reblog": None,
        "application": None,
        "account": None,
        "media_attachments": [media_attachment(media, request) for media in tweet.media_files()],
        "mentions": [
            {
                "id": str(mention["id"]),
                "username": mention["username"],
                "acct": mention["username"],
                "url": links.url("web-profile", mention["username"]),
            }
            for mention in mentioned
        ],
        "tags": [{"name": tag["name"], "url": tag_url(links, tag["name"])} for tag in tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def status_edits(tweet, versions, request) -> list[dict]:
    """The StatusEdit entities of a tweet's versions (``tweets.selectors.tweet_versions``)."""
    links = Links(request)
    author = account(tweet.author, request, links)
    edits = []
    for version in versions:
        mentioned = _first_of_each(version.entities.get("mentions", []), "id")
        edits.append(
            {
                "content": status_html(
                    version.text,
                    mentioned=tuple(mention["username"] for mention in mentioned),
                    profile_url=links.template("web-profile"),
                    tag_url_root=links.prefix("web-tag"),
                ),
                "spoiler_text": version.content_warning,
                "sensitive": version.sensitive,
                "created_at": timestamp(version.created_at),
                "account": author,
                "poll": None,
                "media_attachments": [
                    media_attachment(media, request) for media in version.media_files
                ],
                "emojis": [],
            }
        )
    return edits


def statuses(tweets, request, *, flags=None) -> list[dict]:
    tweets = list(tweets)
    context = StatusContext.for_tweets(request, tweets, flags=flags)
    return [status(tweet, context) for tweet in tweets]


# --- Notifications --------------------------------------------------------------------------------
# minitter's kinds as Mastodon's types: a reply notifies its parent's author as a mention does.
NOTIFICATION_TYPES = {
    "follow": "follow",
    "like": "favourite",
    "repost": "reblog",
    "reply": "mention",
    "mention": "mention",
}


def notification(row, context: StatusContext) -> dict:
    """The Notification entity of a row with ``select_related`` actor and tweet; the tweet's
    context comes from ``StatusContext.for_tweets`` over the page's tweets."""
    entity = {
        "id": str(row.pk),
        "type": NOTIFICATION_TYPES[row.kind],
        "created_at": timestamp(row.created_at),
        "group_key": f"ungrouped-{row.pk}",
        "account": context.account(row.actor),
    }
    if row.tweet_id is not None:
        entity["status"] = status(row.tweet, context)
    return entity


def notifications(rows, request) -> list[dict]:
    rows = list(rows)
    context = StatusContext.for_tweets(
        request, [row.tweet for row in rows if row.tweet_id], users=[row.actor for row in rows]
    )
    return [notification(row, context) for row in rows]


# --- Tags, reports, markers -----------------------------------------------------------------------
def tag(name: str, request, *, accounts: int | None = None) -> dict:
    """The Tag entity. minitter counts the accounts that used a tag over the last 24 hours, not
    the posts per day, so ``history`` has one day (today) with that count as both ``accounts``
    and ``uses`` when it is known, and is empty otherwise."""
    history = []
    if accounts is not None:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        count = str(accounts)
        history.append({"day": str(int(today.timestamp())), "uses": count, "accounts": count})
    entity = {"name": name, "url": tag_url(Links(request), name), "history": history}
    if request.user.is_authenticated:
        entity["following"] = False
    return entity


def report(reports, target, request) -> dict:
    """The Report entity of what one Mastodon report filed (a report per tweet, or one of the
    account; see ``services.report_file``): the first report's id and state, every tweet."""
    first = reports[0]
    return {
        "id": str(first.pk),
        "action_taken": first.status != first.Status.OPEN,
        "action_taken_at": timestamp(first.handled_at),
        "category": REPORT_CATEGORIES[first.reason],
        "comment": first.comment,
        "forwarded": False,
        "created_at": timestamp(first.created_at),
        "status_ids": [str(row.tweet_id) for row in reports if row.tweet_id],
        "rule_ids": [],
        "target_account": account(target, request),
    }


def marker(row) -> dict:
    return {
        "last_read_id": str(row.last_read_id),
        "version": row.version,
        "updated_at": timestamp(row.updated_at),
    }


def application(app, *, secret: str | None = None, request=None) -> dict:
    registration = getattr(app, "mastodon", None)
    scopes = registration.scopes.split() if registration else ["read"]
    uris = app.redirect_uris.split()
    entity = {
        "id": str(app.pk),
        "name": app.name,
        "website": (registration.website or None) if registration else None,
        "scopes": scopes,
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
    }
    if secret is not None:
        entity.update(client_id=app.client_id, client_secret=secret, client_secret_expires_at=0)
    return entity
