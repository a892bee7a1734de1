"""Search (v2), trending hashtags, read markers and reports through the Mastodon API."""

import re

import pytest

from accounts.tests.factories import UserFactory
from tweets import services
from tweets.models import NotificationMarker, Report
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- Search ---------------------------------------------------------------------------------------
def test_search_finds_accounts_statuses_and_the_hashtag(oauth_client):
    alice = UserFactory(username="sunrise_fan", display_name="Fixed Name")
    post = TweetFactory(author=alice, text="the sunrise over the sea")
    TweetFactory(text="nothing here")
    body = oauth_client(UserFactory(display_name="Reader")).get(
        "/api/v2/search", {"q": "sunrise", "resolve": "true"}
    )
    assert body.status_code == 200, body.content
    found = body.json()
    assert [account["id"] for account in found["accounts"]] == [str(alice.pk)]
    assert [status["id"] for status in found["statuses"]] == [str(post.pk)]
    assert [tag["name"] for tag in found["hashtags"]] == ["sunrise"]
    assert found["hashtags"][0]["url"] == "http://testserver/tags/sunrise"


def test_search_by_type_with_limit_offset_and_account_id(oauth_client):
    author, other = UserFactory(), UserFactory()
    posts = [TweetFactory(author=author, text=f"kimchi recipe {n}") for n in range(3)]
    TweetFactory(author=other, text="kimchi elsewhere")
    client = oauth_client(UserFactory())
    page = client.get(
        "/api/v2/search",
        {"q": "kimchi", "type": "statuses", "limit": 2, "offset": 1, "account_id": author.pk},
    ).json()
    assert page["accounts"] == [] and page["hashtags"] == []
    assert [status["id"] for status in page["statuses"]] == [str(posts[1].pk), str(posts[0].pk)]
    older = client.get(
        "/api/v2/search", {"q": "kimchi", "type": "statuses", "max_id": posts[1].pk}
    ).json()
    assert [status["id"] for status in older["statuses"]] == [str(posts[0].pk)]


def test_search_leaves_out_accounts_blocked_either_way(oauth_client):
    me = UserFactory()
    blocker = UserFactory(username="blocker_jeju")
    TweetFactory(author=blocker, text="jeju island")
    services.block_create(blocker=blocker, blocked=me)
    found = oauth_client(me).get("/api/v2/search", {"q": "jeju"}).json()
    assert (found["accounts"], found["statuses"]) == ([], [])


def test_search_following_only_lists_followed_accounts(oauth_client):
    me = UserFactory()
    friend = UserFactory(username="busan_friend")
    UserFactory(username="busan_stranger")
    follow(me, friend)
    found = oauth_client(me).get(
        "/api/v2/search", {"q": "busan", "type": "accounts", "following": "true"}
    )
    assert [account["id"] for account in found.json()["accounts"]] == [str(friend.pk)]


def test_search_without_a_token_works_but_may_not_page(api_client):
    post = TweetFactory(text="public words")
    found = api_client.get("/api/v2/search", {"q": "words"}).json()
    assert [status["id"] for status in found["statuses"]] == [str(post.pk)]
    assert "following" not in found["hashtags"][0]
    refused = api_client.get("/api/v2/search", {"q": "words", "offset": 5})
    assert refused.status_code == 401 and "authentication" in refused.json()["error"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"q": "  "}, 400), ({"q": "x", "type": "people"}, 422)],
)
def test_search_refuses_a_missing_query_or_an_unknown_type(api_client, params, status):
    response = api_client.get("/api/v2/search", params)
    assert response.status_code == status
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v2/search", "a " * 201),
        ("/api/v2/search", "\u3316" * 85),
        ("/api/v1/accounts/search", "\u3316" * 85),
    ],
)
def test_search_with_too_many_words_to_run_is_a_422(oauth_client, url, query):
    # No limit before: SQLite gave up on the query (a 503), PostgreSQL ran every condition.
    response = oauth_client(UserFactory()).get(url, {"q": query})
    assert response.status_code == 422
    assert "at most 200 words" in response.json()["error"]


def test_a_long_pasted_link_is_searched_not_refused(oauth_client):
    link = "https://mastodon.example/@someone/113456789012345678?" + "utm_source=x&" * 20
    response = oauth_client(UserFactory()).get("/api/v2/search", {"q": link})
    assert len(link) > 200 and response.status_code == 200


def test_a_query_longer_than_any_username_is_not_sent_as_a_pattern(oauth_client):
    # SQLite refuses LIKE patterns over 50,000 bytes (a 503 before).
    UserFactory(username="a" * 30)
    response = oauth_client(UserFactory()).get("/api/v1/accounts/search", {"q": "a" * 50_001})
    assert response.status_code == 200 and response.json() == []


def test_a_link_to_a_status_or_an_account_finds_it(oauth_client, api_client):
    """Clients resolve links they open through search (as on Mastodon): the status's and the
    account's ``url`` (their pages), and their JSON in the own API, find what they name."""
    author = UserFactory(username="minji")
    tweet = services.tweet_create(author=author, text="hello there")
    repost, _ = services.repost_create(user=UserFactory(), tweet=tweet)
    client = oauth_client(UserFactory())
    status = client.get(f"/api/v1/statuses/{tweet.pk}").json()
    assert status["url"] == f"http://testserver/@minji/{tweet.pk}"
    assert status["account"]["url"] == "http://testserver/@minji"
    for link in (
        status["url"],
        f"http://testserver/@fan/{repost.pk}",
        f"http://testserver/api/minitter/v1/tweets/{tweet.pk}",
    ):
        found = client.get("/api/v2/search", {"q": link, "resolve": "true"}).json()
        assert [s["id"] for s in found["statuses"]] == [str(tweet.pk)], link
        assert found["accounts"] == found["hashtags"] == []
    for link in (status["account"]["url"], "http://testserver/api/minitter/v1/accounts/MINJI"):
        found = api_client.get("/api/v2/search", {"q": link}).json()
        assert [a["username"] for a in found["accounts"]] == ["minji"], link
    elsewhere = client.get("/api/v2/search", {"q": f"https://elsewhere.example/@minji/{tweet.pk}"})
    assert elsewhere.json()["statuses"] == []
    for nothing in (
        "http://testserver/@minji/1",
        "http://testserver/@minji/99999999999999999999999",
        "http://testserver/api/minitter/v1/tweets/abc",
    ):
        found = client.get("/api/v2/search", {"q": nothing})
        assert found.status_code == 200, nothing
        assert found.json() == {"accounts": [], "statuses": [], "hashtags": []}, nothing
    with_port = client.get("/api/v2/search", {"q": f"http://testserver:80/@minji/{tweet.pk}"})
    assert [s["id"] for s in with_port.json()["statuses"]] == [str(tweet.pk)]
    for odd in ("http://[/", "http://[abc]/", "http://testserver:99999999/@minji"):
        assert client.get("/api/v2/search", {"q": odd}).status_code == 200, odd


def test_search_with_a_query_that_cannot_be_a_hashtag_finds_no_hashtag(api_client):
    assert api_client.get("/api/v2/search", {"q": "!!"}).json()["hashtags"] == []


# --- Trends ---------------------------------------------------------------------------------------
def test_trending_tags_with_history_most_accounts_first(api_client):
    for user in [UserFactory() for _ in range(3)]:
        TweetFactory(author=user, text="#popular")
    TweetFactory(text="#rare")
    trends = api_client.get("/api/v1/trends/tags").json()
    assert [tag["name"] for tag in trends] == ["popular", "rare"]
    history = trends[0]["history"]
    assert len(history) == 1 and history[0]["accounts"] == history[0]["uses"] == "3"
    assert history[0]["day"].isdigit() and int(history[0]["day"]) % 86400 == 0
    assert api_client.get("/api/v1/trends").json() == trends
    assert [t["name"] for t in api_client.get("/api/v1/trends/tags?offset=1").json()] == ["rare"]
    assert len(api_client.get("/api/v1/trends/tags?limit=1").json()) == 1


# --- Markers --------------------------------------------------------------------------------------
def test_markers_are_left_out_until_set_then_each_change_moves_the_version(oauth_client):
    me = UserFactory()
    client = oauth_client(me)
    url = "/api/v1/markers"
    query = {"timeline[]": ["home", "notifications"]}
    assert client.get(url, query).json() == {}
    set_both = client.post(
        url,
        {"home": {"last_read_id": "123"}, "notifications": {"last_read_id": "45"}},
        format="json",
    )
    assert set_both.status_code == 200, set_both.content
    markers = client.get(url, query).json()
    assert markers["home"]["last_read_id"] == "123"
    assert (markers["notifications"]["last_read_id"], markers["notifications"]["version"]) == (
        "45",
        1,
    )
    assert TIME.match(markers["home"]["updated_at"])
    assert NotificationMarker.objects.get(user=me).last_read_id == 45
    moved = client.post(url, {"home[last_read_id]": "200"}).json()
    assert list(moved) == ["home"] and moved["home"]["version"] == 2
    assert list(client.get(url, {"timeline[]": "home"}).json()) == ["home"]


def test_setting_a_marker_where_it_already_is_leaves_its_version(oauth_client):
    client = oauth_client(UserFactory())
    body = {"home[last_read_id]": "123", "notifications[last_read_id]": "45"}
    first = client.post("/api/v1/markers", body).json()
    again = client.post("/api/v1/markers", body).json()
    assert [again[name]["version"] for name in ("home", "notifications")] == [1, 1]
    assert again["home"]["updated_at"] == first["home"]["updated_at"]
    moved = client.post("/api/v1/markers", {"home[last_read_id]": "124"}).json()
    assert moved["home"]["version"] == 2


def test_the_notifications_marker_is_what_unread_count_counts_from(oauth_client):
    me, fan = UserFactory(), UserFactory()
    follow(fan, me)
    client = oauth_client(me)
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 1}
    newest = client.get("/api/v1/notifications").json()[0]["id"]
    client.post("/api/v1/markers", {"notifications[last_read_id]": newest})
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 0}


def test_markers_refuse_an_id_that_is_not_one_and_ignore_unknown_timelines(oauth_client):
    client = oauth_client(UserFactory())
    bad = client.post("/api/v1/markers", {"home[last_read_id]": "latest"})
    assert bad.status_code == 422 and "home[last_read_id]" in bad.json()["error"]
    assert client.post("/api/v1/markers", {"lists[last_read_id]": "1"}).json() == {}
    assert oauth_client(UserFactory(), scopes="read").post("/api/v1/markers").status_code == 403


# --- Reports --------------------------------------------------------------------------------------
def test_report_of_statuses_files_one_report_per_status(oauth_client):
    me, troll = UserFactory(), UserFactory()
    posts = [TweetFactory(author=troll) for _ in range(2)]
    response = oauth_client(me).post(
        "/api/v1/reports",
        {
            "account_id": str(troll.pk),
            "status_ids[]": [str(posts[1].pk), str(posts[0].pk)],
            "comment": "  rude  ",
            "category": "violation",
            "forward": "true",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "violation" and body["comment"] == "rude"
    assert body["status_ids"] == [str(posts[0].pk), str(posts[1].pk)]
    assert (body["action_taken"], body["forwarded"], body["rule_ids"]) == (False, False, [])
    assert body["target_account"]["id"] == str(troll.pk)
    reports = Report.objects.filter(reporter=me).order_by("pk")
    assert [r.tweet_id for r in reports] == [posts[0].pk, posts[1].pk]
    assert {r.reason for r in reports} == {Report.Reason.ABUSE}


def test_a_reblog_is_reported_with_its_reblogger_or_as_its_original(oauth_client):
    me, reblogger = UserFactory(), UserFactory()
    reblog, _ = services.repost_create(user=reblogger, tweet=TweetFactory())
    original = reblog.repost_of
    client = oauth_client(me)
    # From the reblogger's timeline: a status of theirs, as on Mastodon.
    of_reblogger = client.post(
        "/api/v1/reports", {"account_id": reblogger.pk, "status_ids[]": str(reblog.pk)}
    )
    assert of_reblogger.status_code == 200, of_reblogger.content
    assert of_reblogger.json()["status_ids"] == [str(reblog.pk)]
    # From a home timeline, where clients show the original: its author's status.
    of_author = client.post(
        "/api/v1/reports", {"account_id": original.author_id, "status_ids[]": str(reblog.pk)}
    )
    assert of_author.status_code == 200, of_author.content
    assert of_author.json()["status_ids"] == [str(original.pk)]
    assert set(Report.objects.values_list("tweet_id", flat=True)) == {reblog.pk, original.pk}
    # Anyone else's: not a status of that account.
    someone = UserFactory()
    other = client.post("/api/v1/reports", {"account_id": someone.pk, "status_ids[]": reblog.pk})
    assert other.status_code == 404


def test_report_of_an_account_alone_and_reporting_again_while_open(oauth_client):
    me, spammer = UserFactory(), UserFactory()
    client = oauth_client(me)
    first = client.post("/api/v1/reports", {"account_id": spammer.pk, "category": "spam"}, "json")
    again = client.post("/api/v1/reports", {"account_id": spammer.pk}, format="json")
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["status_ids"] == [] and first.json()["category"] == "spam"
    assert Report.objects.get().account_id == spammer.pk


@pytest.mark.parametrize(
    ("data", "status", "word"),
    [
        ({}, 422, "account_id"),
        ({"account_id": "999999"}, 404, "not found"),
        ({"account_id": "{me}"}, 422, "yourself"),
        ({"account_id": "{troll}", "category": "boring"}, 422, "category"),
        ({"account_id": "{troll}", "comment": "x" * 1001}, 422, "comment"),
        ({"account_id": "{troll}", "status_ids[]": "{other_post}"}, 404, "not found"),
        ({"account_id": "{troll}", "status_ids[]": "abc"}, 422, "status_ids"),
    ],
)
def test_a_bad_report_is_refused_and_files_nothing(oauth_client, data, status, word):
    me, troll = UserFactory(), UserFactory()
    other_post = TweetFactory()
    values = {"me": me.pk, "troll": troll.pk, "other_post": other_post.pk}
    data = {key: value.format(**values) for key, value in data.items()}
    response = oauth_client(me).post("/api/v1/reports", data)
    assert response.status_code == status
    assert word in response.json()["error"].lower()
    assert not Report.objects.exists()


def test_reports_need_the_reports_scope(oauth_client):
    troll = UserFactory()
    client = oauth_client(UserFactory(), scopes="read write:statuses")
    assert client.post("/api/v1/reports", {"account_id": troll.pk}).status_code == 403
