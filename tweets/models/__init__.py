"""The social layer's models, one module per concern; imported from here (``tweets.models``).

See docs/architecture.md for the timeline design (fan-out on write, with read-time merging for
authors with very many followers).
"""

from tweets.models.bookmarks import Bookmark
from tweets.models.moderation import (
    ModerationAction,
    Report,
    reported_repost_words,
    reported_text,
    reports_about_accounts_q,
    reports_about_author_q,
)
from tweets.models.notifications import Notification, NotificationMarker
from tweets.models.relationships import (
    Block,
    Mute,
    mute_active_sql,
    mute_now,
    not_blocked_q,
    not_muted_q,
    silenced_accounts_sql,
)
from tweets.models.search import TweetSearchDocument
from tweets.models.social import Follow, Like
from tweets.models.tags import (
    TAG_MAX_LENGTH,
    TRENDING_HOURS,
    Mention,
    TagUse,
    TweetTag,
    trending_since,
)
from tweets.models.timelines import Broadcaster, TimelineEntry, TimelineHorizon, TimelineWork
from tweets.models.tweets import (
    TWEET_JOINS,
    Tweet,
    TweetEdit,
    TweetMedia,
    TweetMediaRemoved,
    TweetQuerySet,
    attachments_prefetch,
    sees_everything,
    visible_original_q,
    visible_tweet_q,
)

__all__ = [
    "TAG_MAX_LENGTH",
    "TRENDING_HOURS",
    "TWEET_JOINS",
    "Block",
    "Bookmark",
    "Broadcaster",
    "Follow",
    "Like",
    "Mention",
    "ModerationAction",
    "Mute",
    "Notification",
    "NotificationMarker",
    "Report",
    "TagUse",
    "TimelineEntry",
    "TimelineHorizon",
    "TimelineWork",
    "Tweet",
    "TweetEdit",
    "TweetMedia",
    "TweetMediaRemoved",
    "TweetQuerySet",
    "TweetSearchDocument",
    "TweetTag",
    "attachments_prefetch",
    "mute_active_sql",
    "mute_now",
    "not_blocked_q",
    "not_muted_q",
    "reported_repost_words",
    "reported_text",
    "reports_about_accounts_q",
    "reports_about_author_q",
    "sees_everything",
    "silenced_accounts_sql",
    "trending_since",
    "visible_original_q",
    "visible_tweet_q",
]
