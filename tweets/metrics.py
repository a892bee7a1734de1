"""Prometheus counters of the social layer."""

from prometheus_client import Counter

TWEETS = Counter("minitter_tweets", "Tweets and replies posted.")
LIKES = Counter("minitter_likes", "Likes given.")
FOLLOWS = Counter("minitter_follows", "Follows made.")
REPOSTS = Counter("minitter_reposts", "Reposts made.")
