"""No list endpoint does N+1 queries: a page of 50 costs what a page of 1 costs."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API, refresh_planner_statistics
from media.tests.factories import MediaFileFactory
from tweets import services
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_world(settings):
    """A reader following 50 accounts (one merged at read time), with replies, likes, reposts
    and their notifications, blocking 50 accounts and muting 50 others."""
    reader = UserFactory(username="reader", avatar=MediaFileFactory())
    parent = TweetFactory(author=reader)
    authors = UserFactory.create_batch(50)
    for author in authors:
        author.avatar = MediaFileFactory(owner=author, attached=True)
        author.save()
        follow(reader, author)
        follow(author, reader)
        photos = [MediaFileFactory(owner=author).pk for _ in range(2)]
        tweet = TweetFactory(author=author, in_reply_to=parent, media_ids=photos)
        services.like_create(user=reader, tweet=tweet)
        services.bookmark_create(user=reader, tweet=tweet)
        services.like_create(user=author, tweet=parent)
    UserFactory(username="mentioned")
    TweetFactory.create_batch(50, author=reader, text="@mentioned #busy day")
    for author in authors[:25]:  # reposts in the reader's timeline, of distinct tweets
        services.repost_create(user=author, tweet=TweetFactory())
    for stranger in UserFactory.create_batch(50):  # reposts of one tweet, from outside
        services.repost_create(user=stranger, tweet=parent)
    for blocked in UserFactory.create_batch(50):
        services.block_create(blocker=reader, blocked=blocked)
    for muted in UserFactory.create_batch(50):
        services.mute_create(muter=reader, muted=muted, duration=3600)
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 0
    TweetFactory(author=authors[0])
    services.repost_create(user=authors[0], tweet=TweetFactory(author=authors[1]))
    refresh_planner_statistics()
    return reader, parent


LIST_QUERIES = {
    # path template: queries for a page (auth user lookup included where logged in)
    # One statement for the page's ids, the reader's blocks and mutes and the reader's flags of
    # them, the tweets, their media.
    f"{API}/timelines/home": 4,
    f"{API}/tweets": 4,
    "/api/minitter/v1/tweets/{parent}/replies": 5,
    "/api/minitter/v1/tweets/{parent}/likes": 3,
    "/api/minitter/v1/tweets/{parent}/reposts": 3,
    f"{API}/tags/busy/tweets": 4,
    f"{API}/bookmarks": 4,
    f"{API}/accounts/reader/followers": 3,
    f"{API}/accounts/reader/following": 3,
    f"{API}/accounts/reader/tweets": 5,
    f"{API}/accounts": 2,
    f"{API}/notifications": 4,
    f"{API}/blocks": 3,
    f"{API}/mutes": 3,
}


@pytest.mark.parametrize(("path", "max_queries"), LIST_QUERIES.items())
def test_list_endpoint_query_count_does_not_grow_with_page_size(
    busy_world, auth_client, django_assert_max_num_queries, path, max_queries
):
    reader, parent = busy_world
    client = auth_client(reader)
    url = path.format(parent=parent.id)
    for limit in (1, 50):
        with django_assert_max_num_queries(max_queries):
            response = client.get(url, {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["results"]) == limit


def test_reading_one_tweet_fetches_it_once(api_client, django_assert_num_queries):
    tweet = TweetFactory()
    with django_assert_num_queries(2):  # the tweet joined to its author and avatar; its media
        assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 200


def test_trending_tags_cost_one_query(api_client, django_assert_num_queries):
    for n in range(30):
        TweetFactory(text=f"#tag{n % 7}x #common")
    with django_assert_num_queries(1):
        assert len(api_client.get(f"{API}/tags/trending").json()) == 8
