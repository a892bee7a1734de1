"""Tweet search: each tweet's text as a search document (``core.search``) in its own table, with a
GIN index on PostgreSQL.

The document is written by the services that post and edit tweets (``search_document_write``),
by ``seed_demo``, and for tweets that lack one by ``manage.py search_reindex``.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import QuerySet

from core.search import SearchQuery, search_document
from core.search import documents_backfill as core_documents_backfill
from tweets.models import Tweet, TweetSearchDocument

DOCUMENT_INDEX_NAME = "tweet_search_document"


def document_index() -> GinIndex:
    """The GIN index that serves every search (built by migration 0007, concurrently)."""
    return GinIndex(fields=["document"], name=DOCUMENT_INDEX_NAME)


def search_document_write(*, tweet: Tweet) -> None:
    """Store the search document of the tweet's current text (inside the caller's transaction)."""
    TweetSearchDocument.objects.update_or_create(
        tweet=tweet, defaults={"document": search_document(tweet.text)}
    )


# A LIMIT makes PostgreSQL plan the subquery on its own; this one never cuts anything off.
_NO_LIMIT = 2**62


def filter_by_text(tweets: QuerySet, text: str) -> QuerySet:
    """Tweets whose text matches the search ``text`` (see ``core.search``); none when the text has
    no letter or digit.

    On PostgreSQL the match runs as a separate subquery through the GIN index. Left inline, a
    newest-first page (``ORDER BY id DESC LIMIT n``) tempts the planner into walking the primary
    key and testing every tweet until n rows match: instant for common words, seconds for rare
    ones. Fenced, the cost follows the number of matches (see bench/README.md).
    """
    query = SearchQuery.parse(text)
    if query.matches_nothing:
        return tweets.none()
    matches = TweetSearchDocument.objects.filter(
        query.q("document", vendor=connection.vendor)
    ).values("tweet_id")
    return tweets.filter(pk__in=matches[:_NO_LIMIT])


def documents_backfill(*, tweets: QuerySet, documents: QuerySet, everything: bool = False):
    """Write the search documents tweets lack (all of them with ``everything``), in batches;
    yields (done, total). Migration 0007 runs it on historical models."""
    return core_documents_backfill(
        sources=tweets, text_field="text", documents=documents, everything=everything
    )


# --- The first search (migration 0002 builds this index, 0007 drops it) --------------------------
SEARCH_CONFIG = "simple"
SEARCH_INDEX_NAME = "tweet_text_search"


def text_search_vector() -> SearchVector:
    return SearchVector("text", config=SEARCH_CONFIG)


def text_search_index() -> GinIndex:
    return GinIndex(text_search_vector(), name=SEARCH_INDEX_NAME)
