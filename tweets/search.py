"""Tweet search: each tweet's text and content warning as a search document (``core.search``) in
its own table, with a GIN index on PostgreSQL.

The document is written by the services that post and edit tweets (``search_document_write``),
by ``seed_demo``, and for tweets that lack one by ``manage.py search_reindex``.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import QuerySet

from core.search import SearchQuery, search_document, searched_words
from core.search import documents_backfill as core_documents_backfill
from tweets.models import Tweet, TweetSearchDocument

# What a tweet's search document holds: its content warning and its text.
SEARCHED_FIELDS = ("content_warning", "text")

DOCUMENT_INDEX_NAME = "tweet_search_document"


def document_index() -> GinIndex:
    """The GIN index that serves every search (built by migration 0007, concurrently)."""
    return GinIndex(fields=["document"], name=DOCUMENT_INDEX_NAME)


def search_document_write(*, tweet: Tweet, new: bool = False) -> None:
    """Store the search document of the tweet's current text and content warning (inside the
    caller's transaction); ``new``: the tweet was inserted in this transaction, so it has no
    document yet."""
    document = search_document(searched_words(*(getattr(tweet, name) for name in SEARCHED_FIELDS)))
    if new:
        TweetSearchDocument.objects.create(tweet=tweet, document=document)
    else:
        TweetSearchDocument.objects.update_or_create(tweet=tweet, defaults={"document": document})


# A LIMIT makes PostgreSQL plan the subquery on its own; this one never cuts anything off.
_NO_LIMIT = 2**62
# A search with at least this many matches is common: walking the newest tweets finds a page soon.
COMMON_MATCHES = 1_000


def filter_by_text(tweets: QuerySet, text: str) -> QuerySet:
    """Tweets whose text matches the search ``text`` (see ``core.search``); none when the text has
    no letter or digit.

    On PostgreSQL one cheap probe (up to ``COMMON_MATCHES`` ids from the GIN index) decides the
    plan of the newest-first page. A rare search runs as a separate subquery through the index
    (fenced with a LIMIT), so its cost follows its few matches; left inline, the planner may walk
    the newest tweets looking for them and read the whole table (2.4 s for a word that never
    occurs). A common one is left inline, where the planner walks the newest tweets and stops at a
    full page; fenced, ``오늘`` (half of all tweets) would read every match first (2.1 s instead
    of 0.04 s). Measurements in bench/README.md.
    """
    query = SearchQuery.parse(text)
    if query.matches_nothing:
        return tweets.none()
    vendor = connection.vendor
    documents = TweetSearchDocument.objects.values("tweet_id")
    matches = documents.filter(query.q("document", vendor=vendor))
    if vendor != "postgresql":
        return tweets.filter(pk__in=matches)
    if len(matches[:COMMON_MATCHES]) < COMMON_MATCHES:
        return tweets.filter(pk__in=matches[:_NO_LIMIT])
    return tweets.filter(pk__in=matches)


def documents_backfill(*, tweets: QuerySet, documents: QuerySet, everything: bool = False):
    """Write the search documents tweets lack (all of them with ``everything``), in batches;
    yields (done, total). Migration 0007 runs it on historical models."""
    # A migration's historical tweets may predate content warnings.
    names = {field.name for field in tweets.model._meta.get_fields()}
    fields = [name for name in SEARCHED_FIELDS if name in names]
    return core_documents_backfill(
        sources=tweets, text_fields=fields, documents=documents, everything=everything
    )


# --- The first search (migration 0002 builds this index, 0007 drops it) --------------------------
SEARCH_CONFIG = "simple"
SEARCH_INDEX_NAME = "tweet_text_search"


def text_search_vector() -> SearchVector:
    return SearchVector("text", config=SEARCH_CONFIG)


def text_search_index() -> GinIndex:
    return GinIndex(text_search_vector(), name=SEARCH_INDEX_NAME)
