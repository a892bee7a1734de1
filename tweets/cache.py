"""Hydrated tweets kept in the shared cache (``core/copies.py``): a tweet as a page shows it, with
its author and avatar, for a repost its original and the original's author, and its media, so
that a page read before costs two cache round trips instead of a six-table join and a media
query. Each copy is served only while the tweet, its author, its original and the original's
author are unchanged (their stamps, renewed by every write that changes them).
"""

from django.conf import settings
from django.contrib.auth import get_user_model

from core.copies import Copies
from media.models import MediaFile
from tweets.models import Tweet

User = get_user_model()

HYDRATED_TWEETS = Copies(
    "tweet:hydrated",
    [Tweet, User, MediaFile],
    seconds=lambda: settings.HYDRATED_CACHE_SECONDS,
    private=("password",),
)
