"""Factories for the social layer. They go through the services, so counters and timelines are
maintained exactly as they are for API writes."""

import factory

from accounts.tests.factories import UserFactory
from tweets import services
from tweets.models import Tweet


class TweetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tweet

    author = factory.SubFactory(UserFactory)
    text = factory.Faker("sentence")
    in_reply_to = None

    @classmethod
    def _create(cls, model_class, author, text, in_reply_to=None, media_ids=(), **kwargs):
        author.refresh_from_db(fields=["followers_count"])
        return services.tweet_create(
            author=author, text=text, in_reply_to=in_reply_to, media_ids=media_ids
        )


def follow(follower, followee):
    services.follow_create(follower=follower, followee=followee)


def repost(user, tweet):
    user.refresh_from_db(fields=["followers_count"])
    return services.repost_create(user=user, tweet=tweet)[0]


def timeline_with_muted_run(length: int = 12):
    """A reader following a friend and a muted account whose ``length`` tweets sit between two
    of the friend's: returns ``(reader, older, newer)``, the friend's tweets around the run."""
    reader, friend, muted = UserFactory.create_batch(3)
    follow(reader, friend)
    follow(reader, muted)
    services.mute_create(muter=reader, muted=muted)
    older = TweetFactory(author=friend)
    TweetFactory.create_batch(length, author=muted)
    newer = TweetFactory(author=friend)
    return reader, older, newer
