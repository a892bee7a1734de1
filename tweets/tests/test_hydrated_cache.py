"""Hydrated tweets kept in the cache (tweets/cache.py, core/stamps.py): a page read before is
served from the kept copies, and every write that changes what a kept tweet shows is seen on the
next read. The whole suite runs with the cache on; these tests prime it first."""

import pickle
import time
from contextlib import contextmanager
from io import StringIO

import pytest
import redis
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from accounts import services as account_services
from accounts.models import AccountSearchDocument
from accounts.tests.factories import UserFactory
from accounts.tests.test_avatar import put_avatar
from core import copies, stamps
from core.copies import forget_held
from core.testing import API, RedisServer, free_port, upload
from core.testing.images import image_bytes, jpeg_with_metadata
from minitter.settings import redis_cache
from tweets import services
from tweets.cache import HYDRATED_TWEETS
from tweets.models import Tweet
from tweets.selectors import tweets_by_id, tweets_hydrate
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db

HOME = f"{API}/timelines/home"
MASTODON_HOME = "/api/v1/timelines/home"


def page(client, url=HOME) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def primed(client, url=HOME) -> list[dict]:
    """The page, read twice: the first read learns each tweet's rows, the second keeps copies."""
    page(client, url)
    return page(client, url)


def reads_tweets(queries) -> bool:
    """Whether these queries read tweets by id with their authors (a page built without copies)."""
    return any('"tweets_tweet"."text"' in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def scene(auth_client):
    """A reader following an author with two tweets, one with a picture, and a repost of a
    third account's tweet."""
    reader, author, other = UserFactory.create_batch(3)
    follow(reader, author)
    client = auth_client(author)
    media_id = upload(client).json()["id"]
    pictured = client.post(f"{API}/tweets", {"text": "look", "media_ids": [media_id]}).json()
    plain = TweetFactory(author=author, text="plain words")
    original = TweetFactory(author=other, text="worth sharing")
    shared = repost(author, original)
    return {
        "reader": reader,
        "client": auth_client(reader),
        "author": author,
        "other": other,
        "pictured": Tweet.objects.get(pk=pictured["id"]),
        "plain": plain,
        "original": original,
        "repost": shared,
    }


def by_id(results) -> dict[str, dict]:
    return {item["id"]: item for item in results}


def test_a_page_read_before_comes_from_the_kept_copies(scene):
    client = scene["client"]
    first = page(client)
    with CaptureQueriesContext(transaction.get_connection()) as second_read:
        second = page(client)
    with CaptureQueriesContext(transaction.get_connection()) as third_read:
        third = page(client)
    assert first == second == third
    assert reads_tweets(second_read)  # the first read only learnt which rows each tweet shows
    assert not reads_tweets(third_read)
    assert len(third_read) < len(second_read)
    shown = by_id(third)
    assert shown[str(scene["pictured"].pk)]["media"][0]["url"].startswith("http://testserver/")
    assert shown[str(scene["repost"].pk)]["repost_of"]["text"] == "worth sharing"


def test_the_mastodon_home_timeline_is_served_from_the_same_copies(scene):
    client = scene["client"]
    first = primed(client, MASTODON_HOME)
    with CaptureQueriesContext(transaction.get_connection()) as read:
        again = page(client, MASTODON_HOME)
    assert again == first
    assert not reads_tweets(read)


def _like(scene):
    services.like_create(user=scene["other"], tweet=scene["plain"])


def _edit(scene):
    services.tweet_update(tweet=scene["plain"], editor=scene["author"], text="new words")


def _reply(scene):
    TweetFactory(author=scene["other"], text="an answer", in_reply_to=scene["plain"])


def _repost_it(scene):
    repost(scene["other"], scene["plain"])


def _rename_through_the_service(scene):
    account_services.user_update_profile(user=scene["author"], display_name="Renamed")


def _rename_by_saving(scene):
    """As the admin's change form does."""
    scene["author"].display_name = "Renamed"
    scene["author"].save()


def _like_the_original(scene):
    services.like_create(user=scene["reader"], tweet=scene["original"])


@pytest.mark.parametrize(
    "change, tweet, shows",
    [
        (_like, "plain", lambda item: item["like_count"] == 1),
        (_edit, "plain", lambda item: item["text"] == "new words" and item["edited_at"]),
        (_reply, "plain", lambda item: item["reply_count"] == 1),
        (_repost_it, "plain", lambda item: item["repost_count"] == 1),
        (_rename_through_the_service, "plain", lambda i: i["author"]["display_name"] == "Renamed"),
        (_rename_by_saving, "plain", lambda item: item["author"]["display_name"] == "Renamed"),
        (_like_the_original, "repost", lambda item: item["repost_of"]["like_count"] == 1),
    ],
)
def test_a_change_is_seen_on_the_next_read(scene, change, tweet, shows):
    client = scene["client"]
    before = by_id(primed(client))[str(scene[tweet].pk)]
    assert not shows(before)
    change(scene)
    assert shows(by_id(page(client))[str(scene[tweet].pk)])


@pytest.mark.parametrize(
    ("like", "unlike", "count"),
    [
        (f"{API}/tweets/{{}}/like", None, "like_count"),
        ("/api/v1/statuses/{}/favourite", "/api/v1/statuses/{}/unfavourite", "favourites_count"),
    ],
    ids=["own API", "Mastodon"],
)
def test_a_like_answers_with_the_kept_tweet_and_the_count_it_left(
    scene, auth_client, like, unlike, count
):
    """The tweet is found from its copy and the answer shows the count the like's own statement
    read back: the tweet is not read again (its copy is out of date once the like commits)."""
    pictured = scene["pictured"]
    first, second = scene["client"], auth_client(UserFactory())
    for _ in range(2):
        first.get(f"{API}/tweets/{pictured.pk}")  # keeps its copy
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        answer = first.post(like.format(pictured.pk)).json()
    assert not reads_tweets(queries)
    assert answer[count] == 1
    assert answer.get("liked", answer.get("favourited")) is True
    assert len(answer.get("media", answer.get("media_attachments"))) == 1
    assert second.post(like.format(pictured.pk)).json()[count] == 2
    assert first.post(like.format(pictured.pk)).json()[count] == 2  # liked already
    if unlike:
        assert first.post(unlike.format(pictured.pk)).json()[count] == 1
        assert first.post(unlike.format(pictured.pk)).json()[count] == 1  # nothing to take back
    assert (
        first.get(f"{API}/tweets/{pictured.pk}").json()["like_count"]
        == Tweet.objects.get(pk=pictured.pk).like_count
    )


def test_a_like_through_a_repost_answers_the_original_with_its_count(scene):
    answer = scene["client"].post(f"{API}/tweets/{scene['repost'].pk}/like").json()
    assert answer["id"] == str(scene["original"].pk)
    assert answer["like_count"] == 1 and answer["liked"] is True
    assert answer["author"]["username"] == scene["other"].username


def test_a_like_sent_twice_at_once_answers_with_the_count_that_includes_it(scene, monkeypatch):
    """A double tap: the twin request commits the like between this one's read of the tweet and
    its own like, which then changes nothing; the answer is read again, as the tweet is now."""
    plain, client = scene["plain"], scene["client"]
    for _ in range(2):
        client.get(f"{API}/tweets/{plain.pk}")  # keeps its copy
    like = services.like_create

    def twin_first(*, user, tweet):
        like(user=user, tweet=Tweet.objects.get(pk=tweet.pk))
        return like(user=user, tweet=tweet)

    monkeypatch.setattr(services, "like_create", twin_first)
    answer = client.post(f"{API}/tweets/{plain.pk}/like").json()
    assert (answer["liked"], answer["like_count"]) == (True, 1)
    favourite = client.post(f"/api/v1/statuses/{plain.pk}/favourite").json()
    assert (favourite["favourited"], favourite["favourites_count"]) == (True, 1)


def test_an_unfavourite_of_a_tweet_deleted_meanwhile_is_not_found(scene, monkeypatch):
    plain, client = scene["plain"], scene["client"]
    services.like_create(user=scene["reader"], tweet=plain)
    for _ in range(2):
        client.get(f"/api/v1/statuses/{plain.pk}")
    unlike = services.like_delete

    def deleted_first(*, user, tweet):
        services.tweet_delete(tweet=Tweet.objects.get(pk=tweet.pk), actor=scene["author"])
        return unlike(user=user, tweet=tweet)

    monkeypatch.setattr(services, "like_delete", deleted_first)
    assert client.post(f"/api/v1/statuses/{plain.pk}/unfavourite").status_code == 404


def test_taking_back_a_like_never_counts_below_zero(scene):
    plain = scene["plain"]
    services.like_create(user=scene["reader"], tweet=plain)
    Tweet.objects.filter(pk=plain.pk).update(like_count=0)  # out of step, as recount would fix
    answer = scene["client"].post(f"/api/v1/statuses/{plain.pk}/unfavourite").json()
    assert answer["favourites_count"] == 0
    assert Tweet.objects.get(pk=plain.pk).like_count == 0


def test_a_new_avatar_is_seen_on_the_next_read(scene, auth_client):
    client = scene["client"]
    before = by_id(primed(client))[str(scene["plain"].pk)]["author"]["avatar_url"]
    assert put_avatar(auth_client(scene["author"]), jpeg_with_metadata()).status_code == 200
    after = by_id(page(client))[str(scene["plain"].pk)]["author"]["avatar_url"]
    assert after != before and "/media/" in after


def _hide(scene):
    services.tweet_set_hidden(
        tweet=scene["plain"], hidden=True, moderator=UserFactory(is_staff=True), reason="spam"
    )


def _delete(scene):
    services.tweet_delete(tweet=scene["plain"], actor=scene["author"])


def _hide_the_original(scene):
    services.tweet_set_hidden(
        tweet=scene["original"], hidden=True, moderator=UserFactory(is_staff=True), reason="spam"
    )


def _suspend_the_original_author(scene):
    services.account_set_suspended(
        account=scene["other"], suspended=True, moderator=UserFactory(is_staff=True), reason="x"
    )


def _delete_the_original(scene):
    services.tweet_delete(tweet=scene["original"], actor=scene["other"])


@pytest.mark.parametrize(
    "change, gone",
    [
        (_hide, "plain"),
        (_delete, "plain"),
        (_hide_the_original, "repost"),
        (_suspend_the_original_author, "repost"),
        (_delete_the_original, "repost"),
    ],
)
def test_a_tweet_that_may_no_longer_be_seen_leaves_at_once(scene, change, gone):
    client = scene["client"]
    assert str(scene[gone].pk) in by_id(primed(client))
    change(scene)
    assert str(scene[gone].pk) not in by_id(page(client))
    assert client.get(f"{API}/tweets/{scene[gone].pk}").status_code == 404


def test_a_suspended_author_leaves_at_once(scene):
    client = scene["client"]
    primed(client)
    services.account_set_suspended(
        account=scene["author"], suspended=True, moderator=UserFactory(is_staff=True), reason="x"
    )
    assert page(client) == []


def test_a_deleted_parent_is_no_longer_named_by_its_replies(scene, auth_client):
    reply = TweetFactory(author=scene["author"], text="me again", in_reply_to=scene["plain"])
    client = scene["client"]
    assert by_id(primed(client))[str(reply.pk)]["in_reply_to"] == str(scene["plain"].pk)
    services.tweet_delete(tweet=scene["plain"], actor=scene["author"])
    assert by_id(page(client))[str(reply.pk)]["in_reply_to"] is None


def test_a_follow_is_seen_in_the_mastodon_account_of_a_kept_status(scene):
    client = scene["client"]
    status = by_id(primed(client, MASTODON_HOME))[str(scene["plain"].pk)]
    assert status["account"]["followers_count"] == 1
    follow(UserFactory(), scene["author"])
    status = by_id(page(client, MASTODON_HOME))[str(scene["plain"].pk)]
    assert status["account"]["followers_count"] == 2


def test_a_recount_after_a_suspension_is_seen_in_kept_counts(scene):
    """A suspension recounts the likes of everything the account liked: their copies go."""
    client = scene["client"]
    liker = UserFactory()
    services.like_create(user=liker, tweet=scene["plain"])
    assert by_id(primed(client))[str(scene["plain"].pk)]["like_count"] == 1
    services.account_set_suspended(
        account=liker, suspended=True, moderator=UserFactory(is_staff=True), reason="x"
    )
    assert by_id(page(client))[str(scene["plain"].pk)]["like_count"] == 0


def suspend_a_liker(scene, liked: list) -> None:
    liker = UserFactory()
    for tweet in liked:
        services.like_create(user=liker, tweet=tweet)
    services.account_set_suspended(
        account=liker, suspended=True, moderator=UserFactory(is_staff=True), reason="x"
    )


def test_a_suspension_leaves_the_copies_of_what_it_did_not_recount(scene):
    client = scene["client"]
    primed(client)
    suspend_a_liker(scene, [TweetFactory()])  # a tweet on no page read here
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        page(client)
    assert not reads_tweets(queries)


def test_a_recount_over_more_rows_than_can_be_renewed_one_by_one_leaves_every_copy(
    scene, monkeypatch
):
    client = scene["client"]
    primed(client)
    monkeypatch.setattr(stamps, "RENEW_AT_MOST", 1)
    suspend_a_liker(scene, TweetFactory.create_batch(2))  # two tweets on no page read here
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        page(client)
    assert reads_tweets(queries)  # a new epoch


def test_staff_see_hidden_tweets_and_no_one_else_gets_them_from_the_cache(scene, auth_client):
    staff = UserFactory(is_staff=True)
    follow(staff, scene["author"])
    _hide(scene)
    hidden = str(scene["plain"].pk)
    staff_client = auth_client(staff)
    assert hidden in by_id(primed(staff_client))
    assert hidden not in by_id(primed(scene["client"]))
    assert hidden in by_id(page(staff_client))


def read(pks):
    """A ``read`` for ``HYDRATED_TWEETS``: the tweets by id with their authors."""
    tweets = Tweet.objects.select_related("author__avatar").in_bulk(pks)
    for tweet in tweets.values():
        tweet._media_files = []
    return tweets


def test_a_copy_read_while_a_write_commits_is_never_served(scene):
    """The stamps are read before the rows: a write that commits (and renews the stamp) while a
    copy is being read leaves that copy out, though it is kept."""
    tweet = scene["plain"]
    HYDRATED_TWEETS.get_many([tweet.pk], read)  # learns the rows

    def read_then_a_write_commits(pks):
        rows = read(pks)  # read before the like below
        services.like_create(user=scene["other"], tweet=tweet)  # commits and renews its stamp
        return rows

    stale = HYDRATED_TWEETS.get_many([tweet.pk], read_then_a_write_commits)
    assert stale[tweet.pk].like_count == 0  # what this read saw
    fresh = HYDRATED_TWEETS.get_many([tweet.pk], read)
    assert fresh[tweet.pk].like_count == 1


@pytest.mark.tasks_after_commit
def test_stamps_are_renewed_after_the_write_commits(scene, django_capture_on_commit_callbacks):
    key = stamps.key(Tweet, scene["plain"].pk)
    before = stamps.current([key])[key]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        services.like_create(user=scene["other"], tweet=scene["plain"])
    assert stamps.current([key])[key] == before
    for callback in callbacks:
        callback()
    assert stamps.current([key])[key] != before


def test_nothing_is_kept_when_the_cache_is_off(scene, settings):
    settings.HYDRATED_CACHE_SECONDS = 0
    client = scene["client"]
    primed(client)
    with CaptureQueriesContext(transaction.get_connection()) as read:
        page(client)
    assert reads_tweets(read)


def test_pages_are_read_from_the_database_while_the_cache_is_unreachable(scene, settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)}
    client = scene["client"]
    before = by_id(primed(client))
    services.like_create(user=scene["other"], tweet=scene["plain"])  # its renewal is only logged
    after = by_id(page(client))
    assert set(after) == set(before)
    assert after[str(scene["plain"].pk)]["like_count"] == 1


def test_copies_kept_before_a_lost_renewal_are_never_served_after_it(
    scene, redis_cache_server, monkeypatch
):
    """Redis stops taking writes (a read-only replica after a failover, no memory left), so a
    hide and a suspension renew nothing; once it takes them again, the process that lost the
    renewals renews the epoch before it uses any copy."""
    client = scene["client"]
    shown = by_id(primed(client))
    assert str(scene["repost"].pk) in shown
    with refusing_writes(redis_cache_server):
        _hide(scene)
        _suspend_the_original_author(scene)
        assert not stamps.available()
        monkeypatch.setattr(stamps, "_down_until", 0.0)  # the pause is over, writes still refused
        assert not stamps.available()
    monkeypatch.setattr(stamps, "_down_until", 0.0)
    with CaptureQueriesContext(transaction.get_connection()) as read:
        after = by_id(page(client))
    assert reads_tweets(read)  # every copy was left out by the new epoch
    assert str(scene["plain"].pk) not in after
    assert str(scene["repost"].pk) not in after


@pytest.mark.parametrize("reader", ["the same process", "a new process"])
def test_redis_restarted_from_a_snapshot_older_than_a_renewal_serves_no_copy_it_left_out(
    scene, settings, tmp_path, reader
):
    """Redis restarted from a snapshot (or an append-only file) that misses a renewal it had
    taken: the old stamps come back with the old copies, and matched them. The first connection
    to the restarted server renews the epoch before anything is read."""
    if not RedisServer.installed():
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path).start()
    try:
        settings.REDIS_URL = server.url
        settings.CACHES = {"default": redis_cache(server.url, timeout=0.5)}
        client, plain = scene["client"], str(scene["plain"].pk)
        primed(client)
        snapshot = redis.Redis.from_url(server.url)
        snapshot.save()
        _edit(scene)
        assert by_id(primed(client))[plain]["text"] == "new words"  # kept anew, stamps renewed
        snapshot.shutdown(nosave=True)
        snapshot.close()
        server.process.wait(timeout=10)
        server.start()  # the same port, the snapshot taken before the edit
        caches["default"]._cache._get_connection_pool(True).disconnect()
        if reader == "a new process":
            forget_held()
        assert by_id(page(client))[plain]["text"] == "new words"
        assert by_id(page(client))[plain]["text"] == "new words"
    finally:
        server.stop()


def test_a_slow_cache_is_left_alone_for_a_while(scene, monkeypatch):
    primed(scene["client"])
    monkeypatch.setattr("core.copies.SLOW_SECONDS", -1.0)  # every read of the cache is "slow"
    page(scene["client"])
    assert not stamps.available()


def test_copies_kept_in_redis_are_served_and_renewed(scene, redis_cache_server):
    client = scene["client"]
    primed(client)
    assert redis_cache_server.keys("*tweet:hydrated:*")
    with CaptureQueriesContext(transaction.get_connection()) as read:
        page(client)
    assert not reads_tweets(read)
    _like(scene)
    _hide_the_original(scene)
    after = by_id(page(client))
    assert after[str(scene["plain"].pk)]["like_count"] == 1
    assert str(scene["repost"].pk) not in after


def test_kept_copies_hold_no_password_hash(scene, redis_cache_server):
    primed(scene["client"])
    kept = redis_cache_server.keys("*tweet:hydrated:*")
    assert kept
    for key in kept:
        assert scene["author"].password.encode() not in redis_cache_server.get(key)
    pk = scene["plain"].pk
    tweet = tweets_by_id([pk], viewer=scene["reader"])[pk]  # from its copy
    assert "password" in tweet.author.get_deferred_fields()
    assert tweet.author.password == scene["author"].password  # read when asked for


class RolledBack(Exception):
    pass


@pytest.mark.tasks_after_commit
def test_reads_inside_a_transaction_neither_use_nor_keep_copies(scene):
    """What a transaction reads may be rolled back, and its writes renew stamps only once it
    commits: inside one, tweets come from the database and no copy is kept."""
    tweet, reader = scene["plain"], scene["reader"]
    tweets_by_id([tweet.pk], viewer=reader)  # learns the rows
    with pytest.raises(RolledBack), transaction.atomic():
        services.like_create(user=scene["other"], tweet=tweet)
        assert tweets_by_id([tweet.pk], viewer=reader)[tweet.pk].like_count == 1
        raise RolledBack
    assert tweets_by_id([tweet.pk], viewer=reader)[tweet.pk].like_count == 0
    assert tweets_by_id([tweet.pk], viewer=reader)[tweet.pk].like_count == 0  # from its copy


def test_unreadable_copies_are_read_from_the_database(scene, redis_cache_server):
    client = scene["client"]
    before = primed(client)
    kept = redis_cache_server.keys("*tweet:hydrated:*")
    assert kept
    for number, key in enumerate(kept):
        garbage = [b"not a pickle", pickle.dumps(("other", "shape")), pickle.dumps((1, 2, 3))]
        redis_cache_server.set(key, garbage[number % 3])
    assert page(client) == before


def test_a_cache_that_fails_is_left_alone_for_a_while(scene, settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)}
    assert stamps.available()
    page(scene["client"])
    assert not stamps.available()  # the next requests read the database without trying


@contextmanager
def refusing_writes(redis):
    """Redis answers reads and refuses writes while inside (a read-only replica after a
    failover, no memory left)."""
    redis.replicaof("127.0.0.1", free_port())
    try:
        yield
    finally:
        redis.replicaof("NO", "ONE")


def test_a_renewal_that_cannot_be_written_is_counted(scene, redis_cache_server):
    failed = REGISTRY.get_sample_value("minitter_cache_stamp_renewals_failed_total") or 0
    with refusing_writes(redis_cache_server):
        services.like_create(user=scene["other"], tweet=scene["plain"])
    assert REGISTRY.get_sample_value("minitter_cache_stamp_renewals_failed_total") == failed + 1
    assert not stamps.available()


def test_forget_cached_copies_fails_loudly_when_the_cache_cannot_be_written(settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)}
    with pytest.raises(CommandError, match="could not be written"):
        call_command("forget_cached_copies", stdout=StringIO())


def test_migrating_renews_the_epoch(scene):
    client = scene["client"]
    primed(client)
    Tweet.objects.filter(pk=scene["plain"].pk).update(text="changed by a data migration")
    emit_post_migrate_signal(0, False, "default")
    assert by_id(page(client))[str(scene["plain"].pk)]["text"] == "changed by a data migration"


def test_forget_cached_copies_has_every_copy_read_again(scene):
    client = scene["client"]
    primed(client)
    Tweet.objects.filter(pk=scene["plain"].pk).update(text="changed in SQL")  # no renewal
    assert by_id(page(client))[str(scene["plain"].pk)]["text"] == "plain words"
    call_command("forget_cached_copies", stdout=StringIO())
    assert by_id(page(client))[str(scene["plain"].pk)]["text"] == "changed in SQL"


def epoch_after_a_lost_renewal(scene, redis) -> bytes:
    """Prime the copies, then lose the renewal of a like (Redis refusing writes): the epoch as
    it was."""
    primed(scene["client"])
    epoch = redis.get(f"minitter:1:{stamps.EPOCH_KEY}")
    with refusing_writes(redis):
        _like(scene)
    assert stamps._epoch_owed
    return epoch


def test_a_lost_renewal_is_paid_back_with_the_next_one(scene, redis_cache_server):
    """A process that reads no copies (a worker, a command) renews the epoch with its next
    renewal, or when it exits."""
    epoch = epoch_after_a_lost_renewal(scene, redis_cache_server)
    services.like_delete(user=scene["other"], tweet=scene["plain"])
    assert not stamps._epoch_owed
    assert redis_cache_server.get(f"minitter:1:{stamps.EPOCH_KEY}") != epoch


def test_a_lost_renewal_is_paid_back_when_the_process_exits(scene, redis_cache_server):
    epoch = epoch_after_a_lost_renewal(scene, redis_cache_server)
    stamps._pay_owed_epoch_at_exit()
    assert redis_cache_server.get(f"minitter:1:{stamps.EPOCH_KEY}") != epoch


# --- Copies held in the process (core.copies.HeldCopies) ------------------------------------------
@pytest.fixture
def round_trips(monkeypatch) -> list[list[str]]:
    """The keys of every read of the cache that copies make, in order."""
    calls = []
    real = copies.bytes_get_many

    def counted(keys):
        calls.append(list(keys))
        return real(keys)

    monkeypatch.setattr(copies, "bytes_get_many", counted)
    return calls


def read_counted(reads: list):
    def counted(pks):
        reads.append(list(pks))
        return read(pks)

    return counted


def test_a_copy_held_here_costs_one_round_trip_and_no_read(scene, round_trips):
    pks = [scene["plain"].pk, scene["original"].pk]
    reads = []
    HYDRATED_TWEETS.get_many(pks, read_counted(reads))  # learns the rows
    HYDRATED_TWEETS.get_many(pks, read_counted(reads))  # keeps the copies, and holds them
    round_trips.clear()
    found = HYDRATED_TWEETS.get_many(pks, read_counted(reads))
    assert len(reads) == 2
    assert len(round_trips) == 1
    assert all(key.startswith("stamp:") for key in round_trips[0])  # no copy fetched
    assert found[scene["plain"].pk].text == "plain words"


def test_a_copy_kept_by_another_process_is_held_from_its_first_read(scene, round_trips):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    HYDRATED_TWEETS.held.clear()  # as in a process that has not read it yet
    reads, trips = [], []
    for _ in range(2):
        round_trips.clear()
        HYDRATED_TWEETS.get_many(pks, read_counted(reads))
        trips.append(len(round_trips))
    assert reads == []
    assert trips == [2, 1]  # the copy, then its stamps; then the stamps alone


def test_nothing_is_held_when_holding_is_off(scene, settings, round_trips):
    settings.HYDRATED_LOCAL_ENTRIES = 0
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    round_trips.clear()
    HYDRATED_TWEETS.get_many(pks, read)
    assert len(HYDRATED_TWEETS.held) == 0
    assert len(round_trips) == 2  # the copy, then its stamps


@pytest.mark.parametrize("holding", [True, False], ids=["held", "not held"])
def test_a_change_to_a_held_copy_is_seen_on_the_next_read(scene, settings, holding):
    settings.HYDRATED_LOCAL_ENTRIES = 5000 if holding else 0
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    _like(scene)
    reads = []
    assert HYDRATED_TWEETS.get_many(pks, read_counted(reads))[pks[0]].like_count == 1
    assert reads == [pks]
    assert HYDRATED_TWEETS.get_many(pks, read_counted(reads))[pks[0]].like_count == 1
    assert reads == [pks]  # kept again, and held again


def test_a_copy_renewed_by_another_process_is_taken_from_the_cache_not_the_database(scene):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    held_before = HYDRATED_TWEETS.held.get_many(pks)[pks[0]]
    _like(scene)
    HYDRATED_TWEETS.held.clear()  # another process reads the liked tweet and keeps it
    HYDRATED_TWEETS.get_many(pks, read)
    HYDRATED_TWEETS.held.put(pks[0], held_before)  # this one still holds the old copy
    reads = []
    assert HYDRATED_TWEETS.get_many(pks, read_counted(reads))[pks[0]].like_count == 1
    assert reads == []


def test_callers_never_change_the_held_copy(scene):
    tweet = scene["pictured"]
    pks = [tweet.pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, tweets_by_id_read(scene))
    served = HYDRATED_TWEETS.get_many(pks, tweets_by_id_read(scene))[tweet.pk]
    served.like_count = 99
    served.author.username = "someone_else"
    served.entities["tags"] = ["changed"]
    served._media_files[0].description = "changed"
    again = HYDRATED_TWEETS.get_many(pks, tweets_by_id_read(scene))[tweet.pk]
    assert again.like_count == 0
    assert again.author.username == scene["author"].username
    assert "tags" not in again.entities or again.entities["tags"] != ["changed"]
    assert again._media_files[0].description != "changed"


def tweets_by_id_read(scene):
    """The ``read`` that ``tweets_by_id`` gives ``HYDRATED_TWEETS`` (with media)."""

    def hydrated(pks):
        found = Tweet.objects.visible().select_related("author__avatar").in_bulk(pks)
        tweets_hydrate(list(found.values()))
        return found

    return hydrated


def test_a_held_copy_is_not_served_after_its_shared_copy_would_have_expired(scene, round_trips):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    held = HYDRATED_TWEETS.held.get_many(pks)[pks[0]]
    HYDRATED_TWEETS.held.put(pks[0], held._replace(expires=time.time() - 1))
    round_trips.clear()
    reads = []
    HYDRATED_TWEETS.get_many(pks, read_counted(reads))
    assert reads == []
    assert len(round_trips) == 2  # the shared copy, still there, then its stamps


def test_a_copy_taken_from_the_cache_is_held_until_the_cache_lets_it_go(scene, settings):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    HYDRATED_TWEETS.held.clear()  # as in a process that has not read it yet
    HYDRATED_TWEETS.get_many(pks, read)
    [value] = copies.bytes_get_many([HYDRATED_TWEETS._key(pks[0])])
    kept_at = pickle.loads(value)[3]
    held = HYDRATED_TWEETS.held.get_many(pks)[pks[0]]
    assert held.expires == kept_at + settings.HYDRATED_CACHE_SECONDS


def test_a_copy_taken_from_the_cache_is_held_and_its_callers_get_their_own(scene):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    HYDRATED_TWEETS.held.clear()
    served = HYDRATED_TWEETS.get_many(pks, read)[pks[0]]  # from the cache, and held
    served.like_count = 99
    served.author.username = "someone_else"
    reads = []
    again = HYDRATED_TWEETS.get_many(pks, read_counted(reads))[pks[0]]
    assert reads == []
    assert (again.like_count, again.author.username) == (0, scene["author"].username)


def test_a_held_copy_that_can_no_longer_be_shown_is_let_go(scene):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, tweets_by_id_read(scene))
    _hide(scene)
    assert HYDRATED_TWEETS.get_many(pks, tweets_by_id_read(scene)) == {}
    assert HYDRATED_TWEETS.held.get_many(pks) == {}


def test_instances_read_with_each_other_both_ways_are_cloned_once(user):
    document = AccountSearchDocument.objects.select_related("user").get(user=user)
    document.user._state.fields_cache["search_document"] = document  # a one-to-one's reverse side
    clone = copies._clone(document)
    assert clone is not document and clone.user is not document.user
    assert clone.user._state.fields_cache["search_document"] is clone


def test_a_process_holds_at_most_the_configured_number_of_copies(scene, settings):
    settings.HYDRATED_LOCAL_ENTRIES = 2
    first, second, third = scene["plain"].pk, scene["original"].pk, scene["repost"].pk
    for pks in ([first], [second], [first], [third]):  # the first read again: the second is oldest
        for _ in range(2):
            HYDRATED_TWEETS.get_many(pks, read)
    assert set(HYDRATED_TWEETS.held.get_many([first, second, third])) == {first, third}


# --- Pages from the held copies themselves, and the JSON kept with them --------------------------
@pytest.fixture
def writes(monkeypatch) -> list[str]:
    """The ids of the tweets whose JSON (either surface's), and of the accounts whose Mastodon
    entity, is written rather than taken from where it was kept with the copy."""
    from mastodon_api import entities
    from tweets import serializers

    written = []
    for module, name in (
        (serializers, "_tweet_json"),
        (entities, "_status_shown"),
        (entities, "account"),
    ):
        real = getattr(module, name)

        def counted(instance, *args, real=real, **kwargs):
            written.append(str(instance.pk))
            return real(instance, *args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return written


@pytest.mark.parametrize("url", [HOME, MASTODON_HOME])
def test_a_page_of_held_copies_takes_their_json_as_kept(scene, writes, url):
    first = primed(scene["client"], url)
    writes.clear()
    assert page(scene["client"], url) == first  # from the held copies: their JSON is kept
    tweets = [scene[name].pk for name in ("pictured", "plain", "repost", "original")]
    accounts = [scene["author"].pk, scene["other"].pk] if url == MASTODON_HOME else []
    assert sorted(writes) == sorted(str(pk) for pk in [*tweets, *accounts])
    writes.clear()
    assert page(scene["client"], url) == first
    assert writes == []


def test_the_viewers_flags_are_put_in_for_each_viewer(scene, auth_client):
    """Two readers of the same held copies: one liked and bookmarked the plain tweet and
    reposted the shared original; the other did none of it."""
    second = UserFactory()
    follow(second, scene["author"])
    services.like_create(user=scene["reader"], tweet=scene["plain"])
    services.bookmark_create(user=scene["reader"], tweet=scene["plain"])
    repost(scene["reader"], scene["original"])
    plain, shared = str(scene["plain"].pk), str(scene["repost"].pk)
    for _ in range(2):
        for client in (scene["client"], auth_client(second)):
            primed(client)
            primed(client, MASTODON_HOME)
    mine, theirs = by_id(page(scene["client"])), by_id(page(auth_client(second)))
    assert (mine[plain]["liked"], mine[plain]["bookmarked"]) == (True, True)
    assert (theirs[plain]["liked"], theirs[plain]["bookmarked"]) == (False, False)
    assert mine[shared]["repost_of"]["reposted"] and not mine[shared]["reposted"]
    assert not theirs[shared]["repost_of"]["reposted"]
    mine = by_id(page(scene["client"], MASTODON_HOME))
    theirs = by_id(page(auth_client(second), MASTODON_HOME))
    assert (mine[plain]["favourited"], mine[plain]["bookmarked"]) == (True, True)
    assert (theirs[plain]["favourited"], theirs[plain]["bookmarked"]) == (False, False)
    for flag in ("favourited", "reblogged", "bookmarked"):
        assert mine[shared][flag] == mine[shared]["reblog"][flag]
    assert mine[shared]["reblog"]["reblogged"] and not theirs[shared]["reblog"]["reblogged"]


def test_pages_leave_the_held_copies_as_they_were(scene):
    pks = [scene["pictured"].pk, scene["plain"].pk, scene["repost"].pk]
    for url in (HOME, MASTODON_HOME):
        primed(scene["client"], url)
    before = {
        pk: pickle.dumps(copies._clone(HYDRATED_TWEETS.held.get_many([pk])[pk].instance))
        for pk in pks
    }
    for url in (HOME, MASTODON_HOME):
        page(scene["client"], url)
    after = {
        pk: pickle.dumps(copies._clone(HYDRATED_TWEETS.held.get_many([pk])[pk].instance))
        for pk in pks
    }
    assert after == before


def test_json_kept_with_a_copy_is_for_the_host_it_was_written_for(scene):
    client = scene["client"]
    primed(client)
    other_host = client.get(HOME, HTTP_HOST="localhost")
    assert other_host.status_code == 200
    pictured = by_id(other_host.json()["results"])[str(scene["pictured"].pk)]
    assert pictured["url"].startswith("http://localhost/")
    assert pictured["media"][0]["url"].startswith("http://localhost/")
    pictured = by_id(page(client))[str(scene["pictured"].pk)]
    assert pictured["url"].startswith("http://testserver/")


def test_json_kept_with_a_copy_is_written_again_after_a_while(scene, writes, monkeypatch):
    primed(scene["client"])
    writes.clear()
    later = time.monotonic() + copies.DERIVED_SECONDS + 1
    monkeypatch.setattr(copies.time, "monotonic", lambda: later)
    page(scene["client"])
    assert str(scene["plain"].pk) in writes


def test_a_change_to_a_held_copy_is_seen_in_its_json_on_the_next_read(scene, writes):
    for url in (HOME, MASTODON_HOME):
        primed(scene["client"], url)
    _like(scene)
    writes.clear()
    plain = str(scene["plain"].pk)
    assert by_id(page(scene["client"]))[plain]["like_count"] == 1
    assert by_id(page(scene["client"], MASTODON_HOME))[plain]["favourites_count"] == 1
    assert writes.count(plain) == 2


def test_a_new_header_is_seen_in_the_accounts_of_held_statuses(scene, auth_client):
    primed(scene["client"], MASTODON_HOME)
    page(scene["client"], MASTODON_HOME)
    banner = SimpleUploadedFile("banner.png", image_bytes("PNG"), content_type="image/png")
    response = auth_client(scene["author"]).patch(
        "/api/v1/accounts/update_credentials", {"header": banner}, format="multipart"
    )
    assert response.status_code == 200, response.content
    header = response.json()["header"]
    assert not header.endswith("header.png")
    statuses = by_id(page(scene["client"], MASTODON_HOME))
    assert statuses[str(scene["plain"].pk)]["account"]["header"] == header


def test_callers_that_change_their_tweets_get_clones_without_the_kept_json(scene):
    pks = [scene["plain"].pk]
    for _ in range(2):
        HYDRATED_TWEETS.get_many(pks, read)
    held = HYDRATED_TWEETS.get_many(pks, read, shared=True)[pks[0]]
    own = HYDRATED_TWEETS.get_many(pks, read)[pks[0]]
    assert held is HYDRATED_TWEETS.held.get_many(pks)[pks[0]].instance
    assert own is not held
    assert copies.derived(held, "key", lambda: "kept") == "kept"
    assert copies.derived(held, "key", lambda: "written again") == "kept"
    assert copies.derived(own, "key", lambda: "written again") == "written again"


def test_a_page_checks_the_held_account_with_its_tweets_in_one_round_trip(auth_client, round_trips):
    user, author = UserFactory.create_batch(2)
    follow(user, author)
    TweetFactory.create_batch(3, author=author)
    client = auth_client(user)
    for _ in range(3):  # learns the tweets' rows, keeps them, holds them
        assert client.get(HOME).status_code == 200
    round_trips.clear()
    assert len(client.get(HOME).json()["results"]) == 3
    assert len(round_trips) == 1
    assert stamps.key(type(user), user.pk) in round_trips[0]


def test_json_kept_with_a_copy_for_many_hosts_stays_bounded(scene):
    """Any port of an allowed host is another links' root: what a copy keeps stays bounded."""
    primed(scene["client"])
    for port in range(1000, 1040):
        response = scene["client"].get(HOME, HTTP_HOST=f"localhost:{port}")
        assert response.status_code == 200
        assert response.json()["results"][0]["url"].startswith(f"http://localhost:{port}/")
    held = HYDRATED_TWEETS.held.get_many([scene["plain"].pk])[scene["plain"].pk].instance
    assert len(held.__dict__[copies._DERIVED]) <= copies.DERIVED_AT_MOST
