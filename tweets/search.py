"""Full-text search on tweets: PostgreSQL's text search with a GIN index, contains-match elsewhere.

The ``simple`` configuration lower-cases and splits on word boundaries without language-specific
stemming, which suits a mix of Korean and English. The index and the query use the same
``SearchVector`` expression, so PostgreSQL can answer from the index.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet

SEARCH_CONFIG = "simple"
SEARCH_INDEX_NAME = "tweet_text_search"


def text_search_vector() -> SearchVector:
    return SearchVector("text", config=SEARCH_CONFIG)


def text_search_index() -> GinIndex:
    return GinIndex(text_search_vector(), name=SEARCH_INDEX_NAME)


# A LIMIT makes PostgreSQL plan the subquery on its own; this one never cuts anything off.
_NO_LIMIT = 2**62


def filter_by_text(tweets: QuerySet, terms: str) -> QuerySet:
    """Tweets whose text matches ``terms`` (web-search syntax on PostgreSQL).

    On PostgreSQL the match runs as a separate subquery through the GIN index. Left inline, a
    newest-first page (``ORDER BY id DESC LIMIT n``) tempts the planner into walking the primary
    key and computing every tweet's text vector until n rows match: instant for common words,
    seconds for rare ones. Fenced, the cost follows the number of matches (see bench/README.md).
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, config=SEARCH_CONFIG, search_type="websearch")
        matches = (
            tweets.model.objects.annotate(text_search=text_search_vector())
            .filter(text_search=query)
            .values("pk")
        )
        return tweets.filter(pk__in=matches[:_NO_LIMIT])
    return tweets.filter(text__icontains=terms)
