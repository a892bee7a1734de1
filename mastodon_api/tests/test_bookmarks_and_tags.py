"""Bookmarks, hashtag timelines and Idempotency-Key through the Mastodon API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing.images import image_bytes
from media.models import MediaFile
from media.tests.factories import MediaFileFactory
from tweets import services
from tweets.models import Bookmark, Tweet
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def test_bookmark_and_unbookmark_answer_the_status_with_its_flag(oauth_client):
    me = UserFactory()
    tweet = TweetFactory()
    client = oauth_client(me)
    bookmarked = client.post(f"/api/v1/statuses/{tweet.pk}/bookmark")
    assert bookmarked.status_code == 200, bookmarked.content
    assert (bookmarked.json()["id"], bookmarked.json()["bookmarked"]) == (str(tweet.pk), True)
    assert client.post(f"/api/v1/statuses/{tweet.pk}/bookmark").json()["bookmarked"] is True
    assert Bookmark.objects.filter(user=me).count() == 1
    assert client.get(f"/api/v1/statuses/{tweet.pk}").json()["bookmarked"] is True
    assert (
        oauth_client(UserFactory()).get(f"/api/v1/statuses/{tweet.pk}").json()["bookmarked"]
        is False
    )
    unbookmarked = client.post(f"/api/v1/statuses/{tweet.pk}/unbookmark").json()
    assert unbookmarked["bookmarked"] is False
    assert client.post(f"/api/v1/statuses/{tweet.pk}/unbookmark").status_code == 200


def test_bookmarking_a_reblog_bookmarks_the_original(oauth_client):
    me, booster = UserFactory(), UserFactory()
    original = TweetFactory()
    reblog = repost(booster, original)
    follow(me, booster)
    client = oauth_client(me)
    assert client.post(f"/api/v1/statuses/{reblog.pk}/bookmark").json()["id"] == str(original.pk)
    home = client.get("/api/v1/timelines/home").json()
    assert home[0]["id"] == str(reblog.pk)
    assert home[0]["bookmarked"] is True and home[0]["reblog"]["bookmarked"] is True


def test_bookmarks_list_pages_by_bookmark_and_hides_what_the_caller_may_not_see(oauth_client):
    me, blocker = UserFactory(), UserFactory()
    tweets = [TweetFactory() for _ in range(3)]
    hidden = TweetFactory(author=blocker)
    for tweet in [tweets[1], tweets[0], tweets[2], hidden]:
        services.bookmark_create(user=me, tweet=tweet)
    services.block_create(blocker=blocker, blocked=me)
    client = oauth_client(me)
    first = client.get("/api/v1/bookmarks", {"limit": 2})
    assert ids(first) == [str(tweets[2].pk), str(tweets[0].pk)]
    rest = client.get(first["Link"].split(">")[0].lstrip("<"))
    assert ids(rest) == [str(tweets[1].pk)]
    assert all(status["bookmarked"] for status in first.json())
    assert oauth_client(UserFactory()).get("/api/v1/bookmarks").json() == []


def test_bookmarks_need_a_token_and_the_bookmarks_scopes(oauth_client, api_client):
    tweet = TweetFactory()
    assert api_client.get("/api/v1/bookmarks").status_code == 401
    reader = oauth_client(UserFactory(), scopes="read")
    assert reader.post(f"/api/v1/statuses/{tweet.pk}/bookmark").status_code == 403
    assert (
        oauth_client(UserFactory(), scopes="write:bookmarks")
        .post(f"/api/v1/statuses/{tweet.pk}/bookmark")
        .status_code
        == 200
    )
    assert reader.post("/api/v1/statuses/999999/bookmark").status_code == 403
    assert oauth_client(UserFactory()).post("/api/v1/statuses/999/bookmark").status_code == 404


def test_tag_timeline_is_public_in_any_case_and_pages_by_status(api_client):
    tagged = [TweetFactory(text=f"#Django number {n}") for n in range(3)]
    TweetFactory(text="#python only")
    reblog = repost(UserFactory(), tagged[0])
    url = "/api/v1/timelines/tag/DJANGO"
    first = api_client.get(url, {"limit": 2})
    assert ids(first) == [str(tagged[2].pk), str(tagged[1].pk)]
    assert str(reblog.pk) not in ids(api_client.get(url))
    rest = api_client.get(first["Link"].split(">")[0].lstrip("<"))
    assert ids(rest) == [str(tagged[0].pk)]
    assert "max_id" in first["Link"] and str(tagged[1].pk) in first["Link"].split(">")[0]
    assert ids(api_client.get("/api/v1/timelines/tag/%23django", {"limit": 1})) == [
        str(tagged[2].pk)
    ]
    assert ids(api_client.get("/api/v1/timelines/tag/nothing")) == []
    korean = TweetFactory(text="#한국어 hello")
    tag_url = api_client.get(f"/api/v1/statuses/{korean.pk}").json()["tags"][0]["url"]
    assert tag_url == "http://testserver/tags/%ED%95%9C%EA%B5%AD%EC%96%B4"  # its page
    assert f"/@{korean.author.username}/{korean.pk}" in api_client.get(tag_url).content.decode()
    assert api_client.get(url, {"remote": "true"}).json() == []


def test_tag_timeline_with_only_media(api_client):
    author = UserFactory()
    with_media = TweetFactory(
        author=author, text="#cats", media_ids=[MediaFileFactory(owner=author).pk]
    )
    TweetFactory(text="#cats no picture")
    assert ids(api_client.get("/api/v1/timelines/tag/cats", {"only_media": "1"})) == [
        str(with_media.pk)
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/timelines/tag/!!!", {}, "tag"),
        ("/api/v1/timelines/tag/" + "a" * 51, {}, "tag"),
        ("/api/v1/timelines/tag/cats", {"any[]": "dogs"}, "any"),
        ("/api/v1/timelines/tag/cats", {"none[]": "dogs"}, "none"),
        ("/api/v1/timelines/tag/cats", {"max_id": "x"}, "max_id"),
    ],
)
def test_tag_timeline_refuses_what_it_cannot_honour(api_client, path, params, field):
    response = api_client.get(path, params)
    assert response.status_code == 422
    assert field in response.json()["error"]


def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_status(oauth_client):
    client = oauth_client(UserFactory())
    headers = {"HTTP_IDEMPOTENCY_KEY": "post-1"}
    first = client.post("/api/v1/statuses", {"status": "only once"}, **headers)
    again = client.post("/api/v1/statuses", {"status": "only once"}, **headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Tweet.objects.filter(text="only once").count() == 1
    other = client.post("/api/v1/statuses", {"status": "something else"}, **headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["error"]
    fresh = client.post("/api/v1/statuses", {"status": "only once"}, HTTP_IDEMPOTENCY_KEY="post-2")
    assert fresh.json()["id"] != first.json()["id"]


def test_a_retried_upload_with_the_same_idempotency_key_stores_one_file(oauth_client):
    client = oauth_client(UserFactory())

    def send():
        file = SimpleUploadedFile("photo.png", image_bytes("PNG"), content_type="image/png")
        return client.post(
            "/api/v2/media", {"file": file}, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1"
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert MediaFile.objects.count() == 1
