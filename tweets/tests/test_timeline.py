"""The home timeline: what enters and leaves it, paging, read-time merging, and rebuilds."""

import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core.db import planned
from core.pagination import encode_cursor
from core.testing import API
from tweets import selectors, services
from tweets.models import TimelineEntry, TimelineHorizon, Tweet
from tweets.selectors import HOME_IDS_NEWEST_FIRST, HOME_IDS_OLDEST_FIRST, VIEWER_FLAGS
from tweets.tests.factories import TweetFactory, follow, timeline_with_muted_run

pytestmark = pytest.mark.django_db

HOME = f"{API}/timelines/home"


def home_ids(client, **params):
    response = client.get(HOME, params)
    assert response.status_code == 200
    return [t["id"] for t in response.json()["results"]]


def test_home_timeline_needs_login(api_client):
    assert api_client.get(HOME).status_code == 401


def test_home_has_own_and_followees_tweets_newest_first(auth_client, user):
    friend, stranger = UserFactory(), UserFactory()
    follow(user, friend)
    mine = TweetFactory(author=user)
    theirs = TweetFactory(author=friend)
    TweetFactory(author=stranger)
    assert home_ids(auth_client(user)) == [str(theirs.id), str(mine.id)]


def test_follow_brings_earlier_tweets_and_unfollow_removes_them(auth_client, user):
    friend = UserFactory()
    earlier = [TweetFactory(author=friend) for _ in range(3)]
    client = auth_client(user)
    assert home_ids(client) == []

    client.post(f"{API}/accounts/{friend.username}/follow")
    assert home_ids(client) == [str(t.id) for t in reversed(earlier)]

    client.delete(f"{API}/accounts/{friend.username}/follow")
    assert home_ids(client) == []


def test_deleted_tweet_disappears_everywhere(auth_client, api_client, user):
    author = UserFactory()
    follow(user, author)
    tweet = TweetFactory(author=author)
    auth_client(author).delete(f"{API}/tweets/{tweet.id}")
    assert home_ids(auth_client(user)) == []
    assert home_ids(auth_client(author)) == []
    assert api_client.get(f"{API}/tweets").json()["results"] == []
    assert not TimelineEntry.objects.exists()


def test_paging_while_new_tweets_arrive_never_repeats_or_skips(auth_client, user):
    friend = UserFactory()
    follow(user, friend)
    existing = [TweetFactory(author=friend) for _ in range(25)]
    client = auth_client(user)

    seen = []
    page = client.get(HOME, {"limit": 10}).json()
    seen += [t["id"] for t in page["results"]]
    while page["next"]:
        TweetFactory(author=friend)  # new tweets land on top, not in the pages ahead
        page = client.get(page["next"]).json()
        seen += [t["id"] for t in page["results"]]

    assert seen == [str(t.id) for t in reversed(existing)]


def test_previous_page_from_timeline_returns_newer_tweets(auth_client, user):
    tweets = [TweetFactory(author=user) for _ in range(6)]
    client = auth_client(user)
    first = client.get(HOME, {"limit": 3}).json()
    second = client.get(first["next"]).json()
    newer = [TweetFactory(author=user) for _ in range(2)]
    back = client.get(second["previous"]).json()
    assert [t["id"] for t in back["results"]] == [str(t.id) for t in reversed(tweets[3:])]
    top = client.get(back["previous"]).json()
    assert [t["id"] for t in top["results"]] == [str(t.id) for t in reversed(newer)]


def test_authors_over_the_fanout_threshold_are_merged_at_read_time(auth_client, settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 2
    star = UserFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        follow(fan, star)
    friend = UserFactory()
    follow(fans[0], friend)

    before = TweetFactory(author=friend)
    broadcast = TweetFactory(author=star)
    after = TweetFactory(author=friend)

    assert not broadcast.fanned_out
    assert TimelineEntry.objects.filter(tweet=broadcast).count() == 1  # the author's own
    expected = [str(after.id), str(broadcast.id), str(before.id)]
    assert home_ids(auth_client(fans[0])) == expected
    assert home_ids(auth_client(fans[0]), limit=1) == expected[:1]
    assert home_ids(auth_client(fans[1])) == [str(broadcast.id)]
    assert home_ids(auth_client(star)) == [str(broadcast.id)]

    services.follow_delete(follower=fans[1], followee=star)
    assert home_ids(auth_client(fans[1])) == []


def test_merged_timeline_pages_without_repeats(auth_client, settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0
    reader, star, friend = UserFactory(), UserFactory(), UserFactory()
    follow(reader, star)
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 10
    follow(reader, friend)
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0
    posted = []
    for n in range(12):
        author = star if n % 3 else friend
        settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0 if author is star else 10
        posted.append(TweetFactory(author=author))
    client = auth_client(reader)
    seen, url = [], HOME + "?limit=5"
    while url:
        page = client.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert seen == [str(t.id) for t in reversed(posted)]


def test_timeline_of_tweets_merged_at_read_hides_deactivated_authors(auth_client, settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0
    reader, star = UserFactory(), UserFactory()
    follow(reader, star)
    TweetFactory(author=star)
    star.is_active = False
    star.save()
    assert home_ids(auth_client(reader)) == []


def _timelines():
    return sorted(TimelineEntry.objects.values_list("owner_id", "tweet_id"))


def _horizons():
    return sorted(TimelineHorizon.objects.values_list("owner_id", "tweet_id"))


def test_rebuilt_timelines_equal_maintained_ones_after_random_activity(settings):
    rng = random.Random(20261124)
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 3
    users = UserFactory.create_batch(8)
    for _ in range(300):
        actor = rng.choice(users)
        actor.refresh_from_db()
        move = rng.random()
        originals = Tweet.objects.filter(repost_of__isnull=True).order_by("?")
        if move < 0.35:
            parent = originals.first() if rng.random() < 0.2 else None
            services.tweet_create(author=actor, text="post", in_reply_to=parent)
        elif move < 0.45:
            if (tweet := originals.first()) is not None:
                services.repost_create(user=actor, tweet=tweet)
        elif move < 0.5:
            mine = Tweet.objects.filter(author=actor, repost_of__isnull=False).order_by("?")
            if (shared := mine.first()) is not None:
                services.repost_delete(user=actor, tweet=shared)
        elif move < 0.6:
            tweet = Tweet.objects.filter(author=actor).order_by("?").first()
            if tweet:
                services.tweet_delete(tweet=tweet, actor=actor)
        elif move < 0.8:
            other = rng.choice(users)
            if other != actor:
                services.follow_create(follower=actor, followee=other)
        else:
            services.follow_delete(follower=actor, followee=rng.choice(users))

    maintained = _timelines()
    assert maintained
    assert TimelineEntry.objects.filter(tweet__repost_of__isnull=False).exists()
    for reader in users:
        services.timeline_rebuild(owner=reader)
    assert _timelines() == maintained

    # Bounded: the trim and a rebuild keep the same newest entries and horizons.
    settings.TIMELINE_MAX_ENTRIES = 10
    services.timelines_trim()
    trimmed = _timelines(), _horizons()
    assert len(trimmed[0]) < len(maintained)
    services.timelines_rebuild()
    assert (_timelines(), _horizons()) == trimmed


def test_rebuild_command_repairs_a_damaged_timeline(user):
    friend = UserFactory()
    follow(user, friend)
    tweets = [TweetFactory(author=friend) for _ in range(3)] + [TweetFactory(author=user)]
    TimelineEntry.objects.filter(owner=user).delete()

    call_command("rebuild_timelines", user.username.upper(), verbosity=0)
    assert set(TimelineEntry.objects.filter(owner=user).values_list("tweet_id", flat=True)) == {
        t.id for t in tweets
    }
    call_command("rebuild_timelines", "--all", verbosity=0)


def test_rebuild_command_refuses_unknown_users_and_missing_arguments():
    with pytest.raises(CommandError, match="Unknown users: ghost"):
        call_command("rebuild_timelines", "ghost", verbosity=0)
    with pytest.raises(CommandError, match=r"^Give usernames or --all\.$"):
        call_command("rebuild_timelines", verbosity=0)
    with pytest.raises(CommandError, match="not both"):
        call_command("rebuild_timelines", "ghost", "--all", verbosity=0)


def test_deleting_an_account_removes_its_timeline_and_its_tweets_from_others(user):
    friend = UserFactory()
    follow(user, friend)
    TweetFactory(author=friend)
    TweetFactory(author=user)
    friend.delete()
    assert list(TimelineEntry.objects.values_list("owner_id", flat=True)) == [user.pk]
    user.delete()
    assert not TimelineEntry.objects.exists()


def _page_ids(client, url, params=None):
    body = client.get(url, params or {}).json()
    return [tweet["id"] for tweet in body["results"]], body["next"], body["previous"]


def test_paging_crosses_a_long_run_of_muted_tweets_without_repeating(auth_client):
    reader, older, newer = timeline_with_muted_run()
    client = auth_client(reader)

    seen, cursors = [], []
    ids, url, _ = _page_ids(client, HOME, {"limit": 1})
    for _ in range(10):
        seen += ids
        if url is None:
            break
        assert url not in cursors, "a next link repeated itself"
        cursors.append(url)
        ids, url, _ = _page_ids(client, url)
    assert seen == [str(newer.pk), str(older.pk)]


def test_a_page_shortened_by_a_duplicate_still_links_to_the_rest(auth_client):
    reader, friend, other, muted = UserFactory.create_batch(4)
    for followee in (friend, other, muted):
        follow(reader, followee)
    services.mute_create(muter=reader, muted=muted)
    oldest = TweetFactory(author=friend)
    original = TweetFactory(author=friend)
    TweetFactory(author=muted)
    TweetFactory(author=friend)
    services.repost_create(user=other, tweet=original)
    client = auth_client(reader)

    seen, url = [], HOME
    params = {"limit": 2}
    for _ in range(10):
        ids, url, _ = _page_ids(client, url, params)
        params = None
        seen += ids
        if url is None:
            break
    assert str(oldest.pk) in seen
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("newest_first", [True, False])
def test_timeline_ids_come_in_the_order_asked_for(newest_first):
    """Each page's ids in paging order: the last one is where the next round reads on from."""
    reader, author = UserFactory.create_batch(2)
    follow(reader, author)
    tweets = [TweetFactory(author=author).pk for _ in range(5)]
    rows, silenced, _ = selectors._timeline_id_rows(reader.pk, None, newest_first, 3, silenced=True)
    expected = sorted(tweets, reverse=newest_first)[:3]
    assert [pk for pk, _ in rows] == expected
    assert silenced == set()


@pytest.mark.parametrize(
    "params", [{}, {"cursor": encode_cursor(False, 1)}], ids=["newest first", "oldest first"]
)
def test_a_page_reads_its_ids_and_the_readers_flags_in_one_statement(auth_client, user, params):
    """On PostgreSQL, through the function ``migrate`` made (planned once per connection:
    ``core.db.planned``)."""
    friend = UserFactory()
    follow(user, friend)
    tweet = TweetFactory(author=friend)
    services.like_create(user=user, tweet=tweet)
    with CaptureQueriesContext(connection) as queries:
        page = auth_client(user).get(HOME, params).json()["results"]
    assert [(item["id"], item["liked"]) for item in page] == [(str(tweet.pk), True)]
    statements = [query["sql"] for query in queries.captured_queries]
    flags_read = [
        sql for sql in statements if "tweets_like" in sql or VIEWER_FLAGS.function_name in sql
    ]
    if connection.vendor == "postgresql":
        home = HOME_IDS_OLDEST_FIRST if params else HOME_IDS_NEWEST_FIRST
        assert any(f"FROM {home.function_name}(" in sql for sql in statements)
        assert flags_read == []  # the function reads them
    else:
        assert [sql.split()[:2] for sql in flags_read] == [["WITH", "page"]]


def test_the_readers_own_repost_is_flagged_on_both_home_timelines(auth_client):
    reader, friend = UserFactory.create_batch(2)
    follow(reader, friend)
    tweet = TweetFactory(author=friend)
    services.repost_create(user=reader, tweet=tweet)
    [shown] = auth_client(reader).get(HOME).json()["results"]  # the original, shown once
    assert (shown["id"], shown["reposted"]) == (str(tweet.pk), True)
    [status] = auth_client(reader).get("/api/v1/timelines/home").json()
    assert (status["id"], status["reblogged"]) == (str(tweet.pk), True)


def test_migrate_makes_the_functions_of_the_timeline_and_flag_statements():
    made = {statement.function_name for statement in planned._statements}
    ours = {
        selectors.HOME_IDS_NEWEST_FIRST.function_name,
        selectors.HOME_IDS_OLDEST_FIRST.function_name,
        selectors.VIEWER_FLAGS.function_name,
    }
    assert ours <= made
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT proname FROM pg_proc WHERE proname = ANY(%s)", [list(ours)])
            assert {name for (name,) in cursor.fetchall()} == ours
