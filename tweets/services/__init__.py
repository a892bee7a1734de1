"""Writes of the social layer, one module per concern.

Each function runs in one transaction: the row, its counters and its timeline entries are written
together or not at all. Counters change by ``F()`` expressions, so concurrent writers do not lose
updates. The package re-exports the public functions, so callers write ``services.like_create``.
"""

from tweets.services.accounts import account_delete
from tweets.services.blocks import block_check, block_filter
from tweets.services.bookmarks import bookmark_create, bookmark_delete
from tweets.services.counters import counters_recount
from tweets.services.entities import (
    entities_prepare,
    entities_store,
    mentions_write,
    tag_normalize,
    tag_uses_purge,
    tags_reparse,
    tags_write,
)
from tweets.services.follows import follow_create, follow_delete
from tweets.services.likes import like_create, like_delete
from tweets.services.moderation import (
    account_set_suspended,
    report_close,
    report_create,
    report_target_gone,
    reports_file,
    tweet_delete_by_moderator,
    tweet_set_hidden,
)
from tweets.services.notifications import (
    notification_add,
    notification_clear,
    notification_dismiss,
    notification_marker_set,
    notification_remove,
)
from tweets.services.relationships import (
    block_create,
    block_delete,
    mute_create,
    mute_delete,
    mutes_expired_purge,
)
from tweets.services.reposts import repost_create, repost_delete
from tweets.services.timelines import (
    timeline_backfill,
    timeline_fan_out,
    timeline_rebuild,
    timelines_rebuild,
    timelines_trim,
)
from tweets.services.tweets import tweet_create, tweet_delete, tweet_text_clean, tweet_update

__all__ = [
    "account_delete",
    "account_set_suspended",
    "block_check",
    "block_create",
    "block_delete",
    "block_filter",
    "bookmark_create",
    "bookmark_delete",
    "counters_recount",
    "entities_prepare",
    "entities_store",
    "follow_create",
    "follow_delete",
    "like_create",
    "like_delete",
    "mentions_write",
    "mute_create",
    "mute_delete",
    "mutes_expired_purge",
    "notification_add",
    "notification_clear",
    "notification_dismiss",
    "notification_marker_set",
    "notification_remove",
    "report_close",
    "report_create",
    "report_target_gone",
    "reports_file",
    "repost_create",
    "repost_delete",
    "tag_normalize",
    "tag_uses_purge",
    "tags_reparse",
    "tags_write",
    "timeline_backfill",
    "timeline_fan_out",
    "timeline_rebuild",
    "timelines_rebuild",
    "timelines_trim",
    "tweet_create",
    "tweet_delete",
    "tweet_delete_by_moderator",
    "tweet_set_hidden",
    "tweet_text_clean",
    "tweet_update",
]
