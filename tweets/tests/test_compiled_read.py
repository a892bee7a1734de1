"""The hydration read of tweets anyone may see, compiled once (``core.db.compiled``): the same
instances the ORM makes, on every database, for any number of keys."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from core.db import compiled
from core.testing.images import image_bytes
from tweets import selectors
from tweets.models import TWEET_JOINS, Tweet
from tweets.tests.factories import TweetFactory, repost

pytestmark = pytest.mark.django_db


def shown(tweet: Tweet) -> dict:
    """What a hydrated tweet carries: its fields, its annotations, and those of the rows joined to
    it (author, avatar, original, the original's author and avatar)."""

    def fields(instance) -> dict | None:
        if instance is None:
            return None
        return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}

    joined = {}
    for path in TWEET_JOINS:
        instance = tweet
        for name in path.split("__"):
            instance = getattr(instance, name) if instance is not None else None
        joined[path] = fields(instance)
    return {
        **fields(tweet),
        "replied_author_id": tweet.replied_author_id,
        "joined": joined,
        "original_replied": getattr(tweet.repost_of, "replied_author_id", None),
    }


@pytest.fixture(autouse=True)
def _compiled_afresh():
    """Each test starts with no statement compiled (they are kept with the connection)."""
    connections["default"].__dict__.pop(selectors._hydrated_for_anyone.slot, None)


@pytest.fixture
def tweets():
    """Tweets of every shape: plain, a reply, a repost of a reply, by an author with an avatar."""
    author, other = UserFactory(), UserFactory()
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    account_services.user_profile_change(user=author, images={"avatar": avatar})
    plain = TweetFactory(author=author)
    reply = TweetFactory(author=other, in_reply_to=plain)
    shared = repost(author, reply)
    return [plain, reply, shared]


def orm_read(pks) -> dict:
    return selectors._hydrated(Tweet.objects.visible()).in_bulk(pks)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_compiled_read_makes_what_the_orm_makes(tweets, count):
    pks = [tweet.pk for tweet in tweets[:count]]
    read = selectors._hydrated_for_anyone(pks)
    expected = orm_read(pks)
    assert set(read) == set(expected) == set(pks)
    assert {pk: shown(tweet) for pk, tweet in read.items()} == {
        pk: shown(tweet) for pk, tweet in expected.items()
    }
    assert all(tweet.created_at.tzinfo is not None for tweet in read.values())


def test_keys_missing_or_given_twice_read_as_with_the_orm(tweets):
    pks = [tweets[0].pk, 10**15, tweets[0].pk, tweets[2].pk]
    assert (
        set(selectors._hydrated_for_anyone(pks))
        == set(orm_read(pks))
        == {
            tweets[0].pk,
            tweets[2].pk,
        }
    )


def test_keys_out_of_the_columns_range_are_no_rows(tweets):
    """As with the ORM, which turns them into an empty lookup (SQLite refuses such a number)."""
    pks = [2**64, tweets[0].pk, -(2**64)]
    assert set(selectors._hydrated_for_anyone(pks)) == {tweets[0].pk}
    assert selectors._hydrated_for_anyone([2**63]) == {}


def test_hidden_tweets_are_not_read(tweets):
    Tweet.objects.filter(pk=tweets[0].pk).update(is_hidden=True)
    assert set(selectors._hydrated_for_anyone([tweet.pk for tweet in tweets])) == {
        tweets[1].pk,
        tweets[2].pk,
    }


def test_a_second_read_of_as_many_keys_compiles_nothing(tweets, monkeypatch):
    selectors._hydrated_for_anyone([tweets[0].pk, tweets[1].pk])
    made = []
    real = compiled._Compiled.__init__

    def counting(self, queryset, alias, key_count, lookup):
        made.append(key_count)
        real(self, queryset, alias, key_count, lookup)

    monkeypatch.setattr(compiled._Compiled, "__init__", counting)
    with CaptureQueriesContext(connection) as queries:
        read = selectors._hydrated_for_anyone([tweets[2].pk, tweets[1].pk])
    assert set(read) == {tweets[1].pk, tweets[2].pk}
    assert made == []
    assert len(queries.captured_queries) == 1
    selectors._hydrated_for_anyone([tweet.pk for tweet in tweets])
    assert made == [3]


def test_more_keys_than_are_compiled_are_read_by_the_orm(tweets, monkeypatch):
    monkeypatch.setattr(compiled, "MOST_KEYS", 2)
    monkeypatch.setattr(compiled._Compiled, "__init__", None)  # any compiling would fail
    pks = [tweet.pk for tweet in tweets]
    assert set(selectors._hydrated_for_anyone(pks)) == set(pks)
