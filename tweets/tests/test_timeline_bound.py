"""Bounded home timelines: the trim keeps each reader's newest entries, pages beyond them come
from the tweets themselves, and rebuilds respect the same bound."""

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services, tasks
from tweets.models import TimelineEntry, TimelineHorizon
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db

HOME = f"{API}/timelines/home"


def entry_ids(owner):
    return list(
        TimelineEntry.objects.filter(owner=owner)
        .order_by("-tweet_id")
        .values_list("tweet_id", flat=True)
    )


def horizon_of(owner):
    return TimelineHorizon.objects.filter(owner=owner).values_list("tweet_id", flat=True).first()


def test_trimming_keeps_each_readers_newest_entries_and_records_the_horizon(settings):
    busy, quiet = UserFactory(), UserFactory()
    TweetFactory.create_batch(8, author=busy)
    TweetFactory.create_batch(3, author=quiet)
    before = entry_ids(busy)
    settings.TIMELINE_MAX_ENTRIES = 5

    assert services.timelines_trim() == 3
    assert entry_ids(busy) == before[:5]
    assert horizon_of(busy) == before[4]
    assert len(entry_ids(quiet)) == 3
    assert horizon_of(quiet) is None

    assert services.timelines_trim() == 0
    assert entry_ids(busy) == before[:5]
    assert horizon_of(busy) == before[4]


def page_through(client, limit):
    """Every tweet id of the timeline following ``next`` links, and again from the last page
    back by ``previous`` links."""
    pages = [client.get(HOME, {"limit": limit}).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    forward = [t["id"] for page in pages for t in page["results"]]
    page = pages[-1]
    back = [t["id"] for t in page["results"]]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        back = [t["id"] for t in page["results"]] + back
    return forward, back


def test_paging_across_the_horizon_gives_the_timeline_it_gave_before_trimming(
    auth_client, settings
):
    reader, friend, other, muted, blocked = UserFactory.create_batch(5)
    for followee in (friend, other, muted):
        follow(reader, followee)
    services.mute_create(muter=reader, muted=muted)
    services.block_create(blocker=reader, blocked=blocked)
    shared = TweetFactory(author=UserFactory())
    for round in range(6):
        TweetFactory(author=friend)
        TweetFactory(author=muted)
        TweetFactory(author=reader)
        repost(other, TweetFactory(author=blocked))  # hidden: its original's author is blocked
        if round % 2:
            TweetFactory(author=other)
        if round in (1, 4):
            repost((friend, other)[round % 2], shared)  # one original, shown once
    client = auth_client(reader)
    before, back = page_through(client, limit=3)
    assert len(before) == len(set(before)) > 14
    assert back == before

    settings.TIMELINE_MAX_ENTRIES = 7
    call_command("trim_timelines", verbosity=0)
    assert len(entry_ids(reader)) == 7

    for limit in (1, 3, 4):
        assert page_through(client, limit=limit) == (before, before)


def test_rebuilding_keeps_the_newest_entries_and_sets_the_horizon(settings):
    reader, friend = UserFactory(), UserFactory()
    follow(reader, friend)
    TweetFactory.create_batch(4, author=friend)
    TweetFactory(author=reader)
    full = entry_ids(reader)
    settings.TIMELINE_MAX_ENTRIES = 3

    assert services.timeline_rebuild(owner=reader) == 3
    assert entry_ids(reader) == full[:3]
    assert horizon_of(reader) == full[2]

    settings.TIMELINE_MAX_ENTRIES = 800
    call_command("rebuild_timelines", "--all", verbosity=0)
    assert entry_ids(reader) == full
    assert horizon_of(reader) is None


def test_timelines_are_trimmed_by_a_periodic_job(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE.values()
    assert any(job["task"] == "tweets.tasks.timelines_trim" for job in schedule)
    reader = UserFactory()
    TweetFactory.create_batch(3, author=reader)
    settings.TIMELINE_MAX_ENTRIES = 2
    assert tasks.timelines_trim.delay().get() == 1
    assert len(entry_ids(reader)) == 2


def test_flags_are_right_on_both_sides_of_the_horizon(auth_client, settings):
    """Flags come with the ids above the horizon and are looked up for the tweets below it."""
    reader, friend = UserFactory.create_batch(2)
    follow(reader, friend)
    tweets = [TweetFactory(author=friend) for _ in range(6)]
    original = TweetFactory(author=UserFactory())
    repost(friend, original)
    for tweet in tweets[::2]:
        services.like_create(user=reader, tweet=tweet)
    services.bookmark_create(user=reader, tweet=original)
    settings.TIMELINE_MAX_ENTRIES = 3
    call_command("trim_timelines", verbosity=0)
    client, url, shown = auth_client(reader), f"{HOME}?limit=2", {}
    while url:
        body = client.get(url).json()
        shown.update({item["id"]: item for item in body["results"]})
        url = body["next"]
    liked = {tweet_id for tweet_id, item in shown.items() if item["liked"]}
    assert liked == {str(tweet.pk) for tweet in tweets[::2]}
    [shared] = [item for item in shown.values() if item["repost_of"]]
    assert shared["repost_of"]["bookmarked"] and not shared["bookmarked"]
