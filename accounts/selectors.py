"""Reads on accounts: who can be listed, searched and looked up."""

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from accounts.cache import PROFILE_ACCOUNTS
from accounts.models import USERNAME_PATTERN, AccountSearchDocument
from core.db.compiled import CompiledInBulk
from core.search import SearchQuery
from media.models import MediaFile

User = get_user_model()


def account_list(*, search: str = "") -> QuerySet:
    """Active accounts; with ``search``, those whose username starts with it (any case) or whose
    display name contains its words: Korean, Japanese and Chinese anywhere in a name (``민지``
    finds ``김민지``), other words from their start (``min`` finds ``Minji Kim``).

    Each rule goes through its own index on PostgreSQL (a pattern index on the lower-cased
    username, the GIN index on display-name documents); their ids are united, then joined."""
    accounts = User.objects.active().select_related("avatar")
    search = search.strip()
    if not search:
        return accounts
    matches = User.objects.filter(username__lower__startswith=search.lower()).values("pk")
    if len(search) > User._meta.get_field("username").max_length:
        # No username starts with it, and SQLite refuses a long pattern: not sent at all.
        matches = matches.none()
    query = SearchQuery.parse(search, prefix_last_word=True)
    if not query.matches_nothing:
        by_name = AccountSearchDocument.objects.filter(
            query.q("document", vendor=connection.vendor)
        ).values("user_id")
        matches = matches.union(by_name)
    return accounts.filter(pk__in=matches)


def account_get(*, username: str, kept: bool = False) -> User | None:
    """The active account with this username in any letter case, or ``None``, with its
    pictures. ``kept``: from its copy in the shared cache while current (``accounts.cache``),
    for requests that change nothing; writes read the database."""
    name = _lookup_name(username)
    if name is None:
        return None

    def read(names: list[str]) -> dict[str, User]:
        account = (
            User.objects.active().select_related("avatar", "header").filter(username__lower=name)
        ).first()
        return {name: account} if account is not None else {}

    if not kept:
        return read([name]).get(name)
    return PROFILE_ACCOUNTS.get_many([name], read).get(name)


def account_find(*, username: str) -> User | None:
    """``account_get`` without the pictures, from the database: what a write on the account
    (follow, block, mute) needs of it, its id. Compiled once (``core.db.compiled``): the ORM
    took longer to build the lookup than PostgreSQL to run it."""
    name = _lookup_name(username)
    if name is None:
        return None
    # The one row (the lower-cased name is unique) whatever its key: the database's LOWER() is
    # what matched it.
    return next(iter(_active_accounts_by_name([name]).values()), None)


def _lookup_name(username: str) -> str | None:
    """The lower-cased name to look ``username`` up by, or None when no account can have it
    (nothing to ask the database or the cache)."""
    return username.lower() if re.fullmatch(USERNAME_PATTERN, username) else None


def accounts_by_ids(*, ids) -> dict[int, User]:
    """Active accounts by id (unknown, deactivated and suspended ones left out), with their
    avatars: one query, compiled once (``core.db.compiled``)."""
    return _active_accounts_by_id(ids)


_active_accounts_by_id = CompiledInBulk(
    User, lambda: User.objects.active().select_related("avatar")
)
# By lower-cased username, through the ``LOWER()`` index.
_active_accounts_by_name = CompiledInBulk(
    User,
    lambda: User.objects.active(),
    lookup="username__lower",
    key_of=lambda user: user.username.lower(),
)


def accounts_by_usernames(*, usernames) -> dict[str, User]:
    """Active accounts by lower-cased username: one query, through the ``LOWER()`` index."""
    lowered = {name.lower() for name in usernames}
    if not lowered:
        return {}
    return {
        user.username.lower(): user
        for user in User.objects.active().filter(username__lower__in=lowered)
    }


def headers_of(*, users) -> dict[int, MediaFile]:
    """The header images of these accounts, by account id: one query for a whole page, none when
    no account on it has a header. Lists load their accounts with the avatar only, so the
    headers come through here."""
    owners = {user.header_id: user.pk for user in users if user.header_id}
    if not owners:
        return {}
    return {owners[media.pk]: media for media in MediaFile.objects.filter(pk__in=owners)}
