"""Query counts of every list endpoint of the Mastodon surface: a page costs the same number of
queries whatever it holds (replies, mentions, tags, media, the viewer's favourites)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core.testing import refresh_planner_statistics
from media.tests.factories import MediaFileFactory
from tweets import services
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db

# The token with its account (1), the endpoint's rows, and the header images of the page's accounts
# (1: lists load accounts with their avatars only; none when no account on the page has a header).
# For statuses: attachments (of reblogged originals too), the viewer's favourites, reblogs and
# bookmarks, and the authors replied to (1 each; mentions come stored with the tweet). The home
# timeline: one statement for the page's ids, the reader's blocks and mutes and the reader's
# favourites, reblogs and bookmarks of them, and the tweets with the authors they reply to
# (``tweets_by_id``).
PINS = {
    "/api/v1/timelines/home": 5,
    "/api/v1/timelines/public": 6,
    "/api/v1/accounts/{author}/statuses": 8,
    "/api/v1/accounts/{author}/followers": 4,
    "/api/v1/accounts/{author}/following": 4,
    "/api/v1/statuses/{tweet}/favourited_by": 4,
    "/api/v1/statuses/{reblogged}/reblogged_by": 4,
    "/api/v1/favourites": 6,
    "/api/v1/notifications": 6,
    "/api/v1/bookmarks": 6,
    "/api/v1/blocks": 3,
    "/api/v1/mutes": 3,
    "/api/v1/timelines/tag/common": 6,
    "/api/v1/accounts/search?q=user": 3,
    # On PostgreSQL one more: the probe that picks the search's plan (tweets.search).
    "/api/v2/search?q=hello&type=statuses": 7,
    "/api/v2/search?q=user&type=accounts": 3,
    "/api/v1/trends/tags": 2,
}


def with_header(user):
    user.header = MediaFileFactory(owner=user, attached=True)
    user.save(update_fields=["header"])
    return user


def populate(reader, author, n, favourite=None, boosted=None):
    """``n`` rich tweets by ``author``: replies, mentions, tags, media, liked and bookmarked by the
    reader, and as many reblogs by the author; each new follower of the author also likes
    ``favourite`` (or the first of these tweets) and reblogs ``boosted`` (or the first tweet
    reblogged here). The reader also blocks one more account and mutes another each time. Every
    account but the reader has a header image."""
    with_header(author)
    tweets, reblogs = [], []
    for i in range(n):
        media = MediaFileFactory(owner=author)
        parent = tweets[-1] if tweets else None
        tweet = TweetFactory(
            author=author,
            text=f"#tag{i} #common hello @{reader.username} and @{author.username}",
            in_reply_to=parent,
            media_ids=[media.pk],
        )
        services.like_create(user=reader, tweet=tweet)
        services.bookmark_create(user=reader, tweet=tweet)
        services.block_create(blocker=reader, blocked=with_header(UserFactory()))
        services.mute_create(
            muter=reader, muted=with_header(UserFactory()), duration=3600 * (i % 2)
        )
        follower = with_header(UserFactory())
        follow(follower, author)
        follow(author, follower)
        services.like_create(user=follower, tweet=favourite or (tweets or [tweet])[0])
        # The author reblogs someone else's tweet with a picture and a mention; the reader too.
        other = with_header(UserFactory())
        reblogged = TweetFactory(
            author=other,
            text=f"@{author.username} look",
            media_ids=[MediaFileFactory(owner=other).pk],
        )
        services.repost_create(user=author, tweet=reblogged)
        services.repost_create(user=reader, tweet=reblogged)
        reblogs.append(reblogged)
        services.repost_create(user=follower, tweet=boosted or reblogs[0])
        tweets.append(tweet)
    return tweets, reblogs


def count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    items = sum(map(len, body.values())) if isinstance(body, dict) else len(body)  # v2 search
    return len(queries), items


@pytest.mark.parametrize("path", sorted(PINS))
def test_a_page_costs_a_constant_number_of_queries(
    oauth_client, django_assert_max_num_queries, path
):
    reader, author = UserFactory(), UserFactory()
    follow(reader, author)
    client = oauth_client(reader)
    tweets, reblogs = populate(reader, author, 2)
    url = path.format(author=author.pk, tweet=tweets[0].pk, reblogged=reblogs[0].pk)
    small, small_items = count(client, url)
    populate(reader, author, 8, favourite=tweets[0], boosted=reblogs[0])
    refresh_planner_statistics()
    with django_assert_max_num_queries(PINS[path]):
        large, large_items = count(client, url)
    assert large_items > small_items >= 1
    assert large == small <= PINS[path]
