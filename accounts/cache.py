"""The accounts that access tokens name, kept in the shared cache: every authenticated request
reads its account, and a copy costs one cache round trip instead of a query.

A copy is kept with the stamps of the account and of the epoch (``core.stamps``) read before the
row, and served only while both are unchanged: a suspension, a deactivation, a new password, a
profile or a counter that changes renews the account's stamp, so the next request reads the row.
The copy holds no password hash, only the digest of it that the account's tokens carry
(``password_digest``), which is what a token is checked against; the hash itself is read from
the database if anything asks for it (a password change).
"""

import contextlib
import pickle
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.utils import get_md5_hash_password

from core import stamps
from core.cache import bytes_get_many, bytes_set_many

User = get_user_model()

LAYOUT = stamps.layout("copy: (stamps, password digest, pickled account)", User)


def password_digest(user) -> str:
    """What an access token of the account carries of its password (SimpleJWT's revoke claim)."""
    return get_md5_hash_password(user.password)


def account_for_token(pk, read: Callable[[], User | None]) -> tuple[User | None, str | None]:
    """The account of this id (``read()`` from the database where no current copy is kept) and
    its ``password_digest``; (None, None) when there is none."""
    if not stamps.enabled():
        user = read()
        return user, password_digest(user) if user is not None else None
    copy_key = f"account:token:{LAYOUT}:{pk}"
    stamp_keys = [stamps.EPOCH_KEY, stamps.key(User, pk)]
    try:
        copy, *found = bytes_get_many([copy_key, *stamp_keys])
        now = stamps.completed(dict(zip(stamp_keys, found, strict=True)))
    except stamps.CACHE_ERRORS:
        copy, now = None, None
    stamped = [now[key] for key in stamp_keys] if now else None
    if copy is not None:
        kept_stamps, digest, kept = pickle.loads(copy)
        if kept_stamps == stamped:
            return pickle.loads(kept), digest
    user = read()
    if user is None:
        return None, None
    digest = password_digest(user)
    if stamped is not None:
        password = user.__dict__.pop("password")
        try:
            kept = pickle.dumps(user, pickle.HIGHEST_PROTOCOL)
        finally:
            user.password = password
        with contextlib.suppress(stamps.CACHE_ERRORS):  # else kept on a later request
            bytes_set_many(
                {copy_key: pickle.dumps((stamped, digest, kept), pickle.HIGHEST_PROTOCOL)},
                settings.HYDRATED_CACHE_SECONDS,
            )
    return user, digest
