"""The admin pages for tweets, likes and follows work and stay cheap on big tables."""

import pytest

from accounts.tests.factories import UserFactory
from tweets import services
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelists_render_and_search(admin_client):
    author = UserFactory(username="findme")
    tweet = TweetFactory(author=author, text="admin visible text")
    reader = UserFactory()
    follow(reader, author)
    services.like_create(user=reader, tweet=tweet)

    for url, query in [
        ("/admin/tweets/tweet/", "findme"),
        ("/admin/tweets/tweet/", str(tweet.id)),
        ("/admin/tweets/like/", "findme"),
        ("/admin/tweets/follow/", "findme"),
    ]:
        response = admin_client.get(url, {"q": "" if "like" in url else query})
        assert response.status_code == 200, url
    page = admin_client.get("/admin/tweets/tweet/", {"q": "findme"}).content.decode()
    assert "admin visible text" in page
    assert admin_client.get(f"/admin/tweets/tweet/{tweet.id}/change/").status_code == 200


def test_tweet_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    for _ in range(30):
        TweetFactory()
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/tweets/tweet/").status_code == 200


def test_regular_user_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/tweets/tweet/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
