"""The public pages of tweets, profiles and hashtags that shared links open."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing import refresh_planner_statistics
from core.testing.images import image_bytes
from media.services import media_create
from tweets import services
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def picture(owner, description=""):
    upload = SimpleUploadedFile("p.png", image_bytes("PNG"))
    return media_create(owner=owner, upload=upload, description=description)


def test_a_tweets_page_shows_it_with_its_link_preview(client, _media_in_tmp_dir):
    author = UserFactory(username="minji", display_name="Minji Kim")
    UserFactory(username="hana")
    image = picture(author, "a cat")
    tweet = services.tweet_create(
        author=author, text="hello @hana #seoul\nsecond line", media_ids=[image.pk]
    )
    response = client.get(f"/@minji/{tweet.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in response
    page = response.content.decode()
    assert '<meta property="og:title" content="Minji Kim (@minji)">' in page
    assert '<meta property="og:description" content="hello @hana #seoul\nsecond line">' in page
    assert '<meta property="og:image" content="http://testserver/media/' in page
    assert 'href="http://testserver/@hana"' in page  # the mention, to the profile page
    assert 'href="http://testserver/tags/seoul"' in page  # the hashtag, to its page
    assert 'alt="a cat"' in page
    assert f'href="http://testserver/api/minitter/v1/tweets/{tweet.pk}"' in page  # the JSON


def test_text_is_escaped(client):
    author = UserFactory(username="mallory")
    hostile = '<script>alert(1)</script> "quoted" <img src=x onerror=alert(2)>'
    tweet = services.tweet_create(author=author, text=hostile, content_warning="<b>cw</b>")
    page = client.get(f"/@mallory/{tweet.pk}").content.decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<summary>&lt;b&gt;cw&lt;/b&gt;</summary>" in page


def test_a_content_warning_hides_the_text_from_the_preview_too(client, _media_in_tmp_dir):
    author = UserFactory(username="minji")
    image = picture(author)
    tweet = services.tweet_create(
        author=author, text="the ending", content_warning="spoilers", media_ids=[image.pk]
    )
    page = client.get(f"/@minji/{tweet.pk}").content.decode()
    assert '<meta property="og:description" content="spoilers">' in page
    assert "og:image" not in page  # sensitive pictures stay out of previews
    assert "<details><summary>spoilers</summary>" in page


def test_a_repost_or_another_username_redirects_to_the_tweets_own_address(client):
    author = UserFactory(username="minji")
    tweet = services.tweet_create(author=author, text="hi")
    repost, _ = services.repost_create(user=UserFactory(username="fan"), tweet=tweet)
    assert client.get(f"/@fan/{repost.pk}")["Location"] == f"/@minji/{tweet.pk}"
    assert client.get(f"/@someone/{tweet.pk}")["Location"] == f"/@minji/{tweet.pk}"
    assert client.get("/@MINJI")["Location"] == "/@minji"
    assert client.get(f"/@minji/000{tweet.pk}")["Location"] == f"/@minji/{tweet.pk}"
    assert client.get(f"/@MINJI/{tweet.pk}")["Location"] == f"/@minji/{tweet.pk}"


def test_a_replys_page_links_the_tweet_it_answers_while_anyone_may_see_it(
    client, django_assert_max_num_queries
):
    parent = services.tweet_create(author=UserFactory(username="minji"), text="question")
    reply = services.tweet_create(
        author=UserFactory(username="junho"), text="answer", in_reply_to=parent
    )
    with django_assert_max_num_queries(4):
        page = client.get(f"/@junho/{reply.pk}").content.decode()
    assert f'A reply to <a href="/@minji/{parent.pk}">this tweet</a>' in page
    services.tweet_set_hidden(
        tweet=parent, hidden=True, moderator=UserFactory(is_staff=True), reason="x"
    )
    page = client.get(f"/@junho/{reply.pk}").content.decode()
    assert "answer" in page and "A reply to" not in page


@pytest.mark.parametrize("gone", ["hidden", "deleted", "suspended", "deactivated", "unknown"])
def test_what_the_api_does_not_show_anonymous_readers_is_404(client, gone):
    author = UserFactory(username="minji")
    tweet = TweetFactory(author=author)
    moderator = UserFactory(is_staff=True)
    tweet_id = tweet.pk
    if gone == "hidden":
        services.tweet_set_hidden(tweet=tweet, hidden=True, moderator=moderator, reason="x")
    elif gone == "deleted":
        services.tweet_delete(tweet=tweet, actor=author)
    elif gone == "suspended":
        services.account_set_suspended(
            account=author, suspended=True, moderator=moderator, reason="x"
        )
    elif gone == "deactivated":
        type(author).objects.filter(pk=author.pk).update(is_active=False)
    else:
        tweet_id += 1
    assert client.get(f"/@minji/{tweet_id}").status_code == 404
    if gone in ("suspended", "deactivated"):
        assert client.get("/@minji").status_code == 404


def test_a_profile_page_lists_the_latest_tweets_in_few_queries(
    client, django_assert_max_num_queries
):
    author = UserFactory(username="minji", display_name="Minji", bio="I <3 #seoul")
    for number in range(25):
        services.tweet_create(author=author, text=f"tweet number {number}")
    hidden = services.tweet_create(author=author, text="hidden words")
    services.tweet_set_hidden(
        tweet=hidden, hidden=True, moderator=UserFactory(is_staff=True), reason="x"
    )
    with django_assert_max_num_queries(4):
        response = client.get("/@minji")
    page = response.content.decode()
    assert "tweet number 24" in page and "tweet number 5" in page
    assert "tweet number 4" not in page  # the latest 20
    assert "hidden words" not in page
    assert "I &lt;3 #seoul" in page
    assert '<meta property="og:title" content="Minji (@minji)">' in page


def test_pages_answer_get_and_head_only(client):
    author = UserFactory(username="minji")
    tweet = TweetFactory(author=author)
    assert client.head(f"/@minji/{tweet.pk}").status_code == 200
    refused = client.post(f"/@minji/{tweet.pk}")
    assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD")
    assert refused.json()["code"] == "method_not_allowed"
    assert client.get("/@no such user").status_code == 404


def test_previews_leave_out_pictures_whose_urls_expire(client, s3_bucket):
    """From a private bucket, a picture's URL is signed for a while: a crawler fetching it
    later would be refused, so the preview goes without."""
    author = UserFactory(username="minji")
    tweet = services.tweet_create(author=author, text="look", media_ids=[picture(author).pk])
    page = client.get(f"/@minji/{tweet.pk}").content.decode()
    assert "og:image" not in page
    assert "X-Amz-Signature" in page  # the page itself shows it, signed


def test_a_profile_page_links_to_its_older_tweets(client):
    author = UserFactory(username="minji")
    tweets = [services.tweet_create(author=author, text=f"tweet number {n}") for n in range(41)]
    refresh_planner_statistics()  # PostgreSQL may then read them in any order unless told
    first = client.get("/@minji").content.decode()
    assert f'href="http://testserver/@minji?max_id={tweets[21].pk}" rel="next"' in first
    second = client.get("/@minji", {"max_id": tweets[21].pk}).content.decode()
    shown = [int(number) for number in re.findall(r"tweet number (\d+)", second)]
    assert shown == list(range(20, 0, -1))
    last = client.get("/@minji", {"max_id": tweets[1].pk}).content.decode()
    assert "tweet number 0" in last and 'rel="next"' not in last
    assert "No older tweets." in client.get("/@minji", {"max_id": tweets[0].pk}).content.decode()
    assert "No older tweets." in client.get("/@minji", {"max_id": 0}).content.decode()
    renamed = client.get("/@MINJI", {"max_id": tweets[21].pk})
    assert renamed["Location"] == f"/@minji?max_id={tweets[21].pk}"


def test_a_hashtag_page_lists_what_anonymous_readers_see_newest_first(
    client, django_assert_max_num_queries
):
    author = UserFactory(username="minji")
    tagged = [
        services.tweet_create(
            author=author, text=f"#Seoul number {n}", media_ids=[picture(author).pk]
        )
        for n in range(22)
    ]
    services.tweet_create(author=author, text="#busan elsewhere")
    services.repost_create(user=UserFactory(), tweet=tagged[-1])
    moderator = UserFactory(is_staff=True)
    services.tweet_set_hidden(tweet=tagged[-1], hidden=True, moderator=moderator, reason="x")
    suspended = UserFactory(username="gone")
    services.tweet_create(author=suspended, text="#seoul from a suspended account")
    services.account_set_suspended(
        account=suspended, suspended=True, moderator=moderator, reason="x"
    )
    with django_assert_max_num_queries(2):  # the tweets with their authors; their pictures
        response = client.get("/tags/SEOUL")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<meta property="og:title" content="#seoul">' in page
    assert page.index("number 20") < page.index("number 19")
    assert "number 21" not in page and "elsewhere" not in page and "suspended" not in page
    assert page.count("<article>") == 20 and page.count("<img") == 20
    assert f'href="http://testserver/tags/seoul?max_id={tagged[1].pk}" rel="next"' in page
    hashed = client.get("/tags/%23seoul").content.decode()  # not a fragment in its link
    assert f'href="http://testserver/tags/seoul?max_id={tagged[1].pk}" rel="next"' in hashed
    older = client.get("/tags/seoul", {"max_id": tagged[1].pk}).content.decode()
    assert "number 0" in older and older.count("<article>") == 1
    assert "No tweets yet." in client.get("/tags/nothing").content.decode()


@pytest.mark.parametrize(
    ("path", "query", "detail"),
    [
        ("/tags/no-tag", {}, "A tag is letters"),
        ("/tags/" + "a" * 101, {}, "A tag has at most"),
        ("/tags/seoul", {"max_id": "x"}, "max_id must be a tweet id."),
        ("/@minji", {"max_id": "-1"}, "max_id must be a tweet id."),
    ],
)
def test_a_page_asked_for_with_what_cannot_be_is_a_400(client, path, query, detail):
    UserFactory(username="minji")
    response = client.get(path, query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"].startswith(detail)
