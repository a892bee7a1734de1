"""Search documents of tweets (see ``core.search`` and ``tweets/search.py``)."""

from django.db import models

from core.search import SearchDocumentField
from tweets.models.tweets import Tweet


class TweetSearchDocument(models.Model):
    """A tweet's text as search tokens (``core.search``), written with the tweet and on every edit.

    A table of its own, so that the many reads of tweets never carry it; searches join it by id.
    Its GIN index is created on PostgreSQL only (``tweets/search.py``).
    """

    tweet = models.OneToOneField(
        Tweet, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    document = SearchDocumentField()

    def __str__(self):
        return f"search document of tweet {self.tweet_id}"
