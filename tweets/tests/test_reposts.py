"""Reposts: idempotent repost and unrepost, counters, timelines (fan-out, read-time merge, one
original per page), visibility, lists, and the double-repost race on PostgreSQL."""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.models import TimelineEntry, Tweet
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db

HOME = f"{API}/timelines/home"


def home(client, **params):
    response = client.get(HOME, params)
    assert response.status_code == 200
    return response.json()


def home_items(client, **params):
    """(item id, original id or None) per timeline item."""
    return [
        (item["id"], item["repost_of"]["id"] if item["repost_of"] else None)
        for item in home(client, **params)["results"]
    ]


def test_repost_reaches_followers_with_who_reposted_and_the_original(auth_client, user):
    author, reposter = UserFactory(), UserFactory()
    follow(user, reposter)
    tweet = TweetFactory(author=author, text="worth sharing")

    response = auth_client(reposter).post(f"{API}/tweets/{tweet.id}/repost")
    assert response.status_code == 201
    item = response.json()
    assert item["author"]["username"] == reposter.username
    assert item["text"] == ""
    assert item["repost_of"]["id"] == str(tweet.id)
    assert item["repost_of"]["text"] == "worth sharing"
    assert item["repost_of"]["repost_count"] == 1
    assert item["repost_of"]["reposted"] is True

    [shown] = home(auth_client(user))["results"]
    assert shown["id"] == item["id"]
    assert shown["author"]["username"] == reposter.username
    assert shown["repost_of"]["author"]["username"] == author.username
    assert shown["repost_of"]["reposted"] is False


def test_repost_is_idempotent_and_counted_once(auth_client, user):
    tweet = TweetFactory()
    client = auth_client(user)
    first = client.post(f"{API}/tweets/{tweet.id}/repost")
    again = client.post(f"{API}/tweets/{tweet.id}/repost")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    tweet.refresh_from_db()
    assert tweet.repost_count == 1
    assert Tweet.objects.filter(repost_of=tweet).count() == 1
    assert client.get(f"{API}/tweets/{tweet.id}").json()["reposted"] is True


def test_reposting_your_own_tweet_is_allowed(auth_client, user):
    tweet = TweetFactory(author=user)
    assert auth_client(user).post(f"{API}/tweets/{tweet.id}/repost").status_code == 201


def test_reposting_a_repost_reposts_the_original(auth_client, user):
    tweet = TweetFactory()
    first = repost(UserFactory(), tweet)
    response = auth_client(user).post(f"{API}/tweets/{first.id}/repost")
    assert response.status_code == 201
    assert response.json()["repost_of"]["id"] == str(tweet.id)
    tweet.refresh_from_db()
    assert tweet.repost_count == 2


def test_unrepost_removes_the_item_from_timelines_and_is_idempotent(auth_client, user):
    reposter = UserFactory()
    follow(user, reposter)
    tweet = TweetFactory()
    repost(reposter, tweet)
    assert len(home(auth_client(user))["results"]) == 1

    for _ in range(2):
        assert auth_client(reposter).delete(f"{API}/tweets/{tweet.id}/repost").status_code == 204
    assert home(auth_client(user))["results"] == []
    tweet.refresh_from_db()
    assert tweet.repost_count == 0
    assert not TimelineEntry.objects.exclude(tweet=tweet).exists()


def test_deleting_a_repost_by_its_id_is_unreposting(auth_client, user):
    tweet = TweetFactory()
    mine = repost(user, tweet)
    assert auth_client(user).delete(f"{API}/tweets/{mine.id}").status_code == 204
    tweet.refresh_from_db()
    assert tweet.repost_count == 0
    assert not Tweet.objects.filter(pk=mine.pk).exists()


def test_a_repost_cannot_be_edited(auth_client, user):
    mine = repost(user, TweetFactory())
    response = auth_client(user).patch(f"{API}/tweets/{mine.id}", {"text": "x"}, format="json")
    assert response.status_code == 400


def test_reposting_a_hidden_or_unknown_tweet_is_404(auth_client, user):
    hidden = TweetFactory()
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    client = auth_client(user)
    assert client.post(f"{API}/tweets/{hidden.id}/repost").status_code == 404
    assert client.post(f"{API}/tweets/424242/repost").status_code == 404
    assert client.post(f"{API}/tweets/not-an-id/repost").status_code == 404
    assert not Tweet.objects.filter(repost_of__isnull=False).exists()


def test_reposting_needs_login(api_client):
    tweet = TweetFactory()
    assert api_client.post(f"{API}/tweets/{tweet.id}/repost").status_code == 401


def test_reposts_list_shows_accounts_newest_first(api_client):
    tweet = TweetFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        repost(fan, tweet)
    results = api_client.get(f"{API}/tweets/{tweet.id}/reposts").json()["results"]
    assert [a["username"] for a in results] == [f.username for f in reversed(fans)]


def test_deleting_the_original_removes_its_reposts_everywhere(auth_client, user):
    reposter = UserFactory()
    follow(user, reposter)
    tweet = TweetFactory()
    shared = repost(reposter, tweet)
    services.tweet_delete(tweet=tweet, actor=tweet.author)
    assert not Tweet.objects.filter(pk=shared.pk).exists()
    assert not TimelineEntry.objects.exists()
    assert home(auth_client(user))["results"] == []


def test_hiding_the_original_or_suspending_its_author_hides_its_reposts(
    auth_client, api_client, user
):
    reposter = UserFactory()
    follow(user, reposter)
    tweet = TweetFactory()
    shared = repost(reposter, tweet)

    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=True)
    assert home(auth_client(user))["results"] == []
    assert api_client.get(f"{API}/tweets/{shared.id}").status_code == 404
    assert api_client.get(f"{API}/accounts/{reposter.username}/tweets").json()["results"] == []

    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=False)
    tweet.author.is_suspended = True
    tweet.author.save()
    assert home(auth_client(user))["results"] == []

    tweet.author.is_suspended = False
    tweet.author.save()
    assert [item["id"] for item in home(auth_client(user))["results"]] == [str(shared.id)]


def test_suspending_a_reposter_takes_their_reposts_out_of_the_count():
    moderator = UserFactory(is_staff=True)
    tweet = TweetFactory()
    reposter = UserFactory()
    repost(reposter, tweet)
    repost(UserFactory(), tweet)
    services.account_set_suspended(
        account=reposter, suspended=True, moderator=moderator, reason="spam"
    )
    tweet.refresh_from_db()
    assert tweet.repost_count == 1
    services.account_set_suspended(
        account=reposter, suspended=False, moderator=moderator, reason="appeal"
    )
    tweet.refresh_from_db()
    assert tweet.repost_count == 2


def test_an_original_shows_once_per_page_and_the_first_repost_wins(auth_client, user):
    first, second, author = UserFactory(), UserFactory(), UserFactory()
    follow(user, first)
    follow(user, second)
    tweet = TweetFactory(author=author)
    earlier = repost(first, tweet)
    repost(second, tweet)
    assert home_items(auth_client(user)) == [(str(earlier.id), str(tweet.id))]

    follow(user, author)  # the original itself is older than any repost of it
    assert home_items(auth_client(user)) == [(str(tweet.id), None)]


def test_paging_past_duplicates_reaches_every_original(auth_client, user):
    friends = UserFactory.create_batch(4)
    for friend in friends:
        follow(user, friend)
    originals = [TweetFactory() for _ in range(6)]
    for tweet in originals:  # each original's reposts side by side: whole pages of duplicates
        for friend in friends:
            repost(friend, tweet)

    seen, pages, url = [], 0, f"{HOME}?limit=3"
    client = auth_client(user)
    while url:
        page = client.get(url).json()
        ids = [item["repost_of"]["id"] for item in page["results"]]
        assert len(ids) == len(set(ids))  # never twice on a page
        seen += ids
        url, pages = page["next"], pages + 1
    assert set(seen) == {str(tweet.id) for tweet in originals}
    assert pages < 20


def test_reposts_follow_the_fan_out_rules(auth_client, user, settings):
    reposter = UserFactory()
    tweet = TweetFactory()
    shared = repost(reposter, tweet)

    follow(user, reposter)  # the backfill brings recent reposts
    assert [i["id"] for i in home(auth_client(user))["results"]] == [str(shared.id)]
    services.follow_delete(follower=user, followee=reposter)
    assert home(auth_client(user))["results"] == []

    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0  # a broadcaster's reposts merge in at read time
    follow(user, reposter)
    later = repost(reposter, TweetFactory())
    assert not later.fanned_out
    assert not TimelineEntry.objects.filter(owner=user, tweet=later).exists()
    assert [i["id"] for i in home(auth_client(user))["results"]] == [
        str(later.id),
        str(shared.id),
    ]


def test_timeline_items_are_ordered_by_repost_time(auth_client, user):
    friend = UserFactory()
    follow(user, friend)
    old = TweetFactory()
    mine = TweetFactory(author=user)
    shared = repost(friend, old)
    assert [i["id"] for i in home(auth_client(user))["results"]] == [str(shared.id), str(mine.id)]


def test_profile_lists_reposts_and_search_does_not(api_client, user):
    tweet = TweetFactory(text="findable words")
    shared = repost(user, tweet)
    profile = api_client.get(f"{API}/accounts/{user.username}/tweets").json()["results"]
    assert [item["id"] for item in profile] == [str(shared.id)]
    found = api_client.get(f"{API}/tweets").json()["results"]
    assert [item["id"] for item in found] == [str(tweet.id)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_repost_leaves_one_repost_counted_once():
    tweet = TweetFactory()
    reposter = UserFactory()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def attempt():
        try:
            barrier.wait()
            results.append(services.repost_create(user=reposter, tweet=tweet)[1])
        except Exception as exc:  # any failure fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    tweet.refresh_from_db()
    assert tweet.repost_count == Tweet.objects.filter(repost_of=tweet).count() == 1
