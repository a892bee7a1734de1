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


def filter_by_text(tweets: QuerySet, terms: str) -> QuerySet:
    if connection.vendor == "postgresql":
        query = SearchQuery(terms, config=SEARCH_CONFIG, search_type="websearch")
        return tweets.annotate(text_search=text_search_vector()).filter(text_search=query)
    return tweets.filter(text__icontains=terms)
