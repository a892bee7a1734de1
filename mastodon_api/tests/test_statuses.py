"""Statuses through the Mastodon API: the entity's wire format, posting in every body format,
editing, deleting, threads and favourites."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from accounts.tests.factories import UserFactory
from core.testing.images import image_bytes
from tweets import services
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory, follow, repost, timeline_with_muted_run

pytestmark = pytest.mark.django_db

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def upload(client, **fields):
    file = SimpleUploadedFile("photo.png", image_bytes("PNG"), content_type="image/png")
    response = client.post("/api/v2/media", {"file": file, **fields}, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()


def test_status_entity_has_mastodons_fields_and_formats(oauth_client):
    alice = UserFactory(username="alice")
    bob = UserFactory()
    parent = TweetFactory(author=alice)
    tweet = TweetFactory(
        author=bob, in_reply_to=parent, text="hi @alice #Django #한국어 https://x.example/a?b=1"
    )
    body = oauth_client(alice).get(f"/api/v1/statuses/{tweet.pk}").json()
    assert body["id"] == str(tweet.pk)
    assert TIME.match(body["created_at"])
    assert body["edited_at"] is None
    assert body["in_reply_to_id"] == str(parent.pk)
    assert body["in_reply_to_account_id"] == str(alice.pk)
    assert body["visibility"] == "public"
    assert (body["card"], body["poll"], body["reblog"]) == (None, None, None)
    assert body["account"]["id"] == str(bob.pk)
    assert body["account"]["avatar"].endswith("/static/mastodon_api/avatar.png")
    assert body["mentions"] == [
        {
            "id": str(alice.pk),
            "username": "alice",
            "acct": "alice",
            "url": body["mentions"][0]["url"],
        }
    ]
    assert [tag["name"] for tag in body["tags"]] == ["django", "한국어"]
    assert 'class="u-url mention"' in body["content"]
    assert 'href="https://x.example/a?b=1&amp;c' not in body["content"]
    assert '<a href="https://x.example/a?b=1"' in body["content"]
    assert body["favourited"] is False and body["favourites_count"] == 0


def test_content_is_sanitized_html(oauth_client):
    tweet = TweetFactory(text='<script>alert(1)</script> <a href="javascript:x">@nobody</a>\nline')
    content = oauth_client(UserFactory()).get(f"/api/v1/statuses/{tweet.pk}").json()["content"]
    assert "<script>" not in content and '<a href="javascript' not in content
    assert content.startswith("<p>&lt;script&gt;") and "<br>line</p>" in content
    assert "@nobody" in content and "mention" not in content


def test_post_with_form_media_ids_and_read_it_back(oauth_client):
    client = oauth_client(UserFactory())
    first, second = upload(client, description="a cat"), upload(client)
    response = client.post(
        "/api/v1/statuses",
        f"status=hello&media_ids[]={first['id']}&media_ids[]={second['id']}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    media = response.json()["media_attachments"]
    assert [item["id"] for item in media] == [first["id"], second["id"]]
    assert media[0]["description"] == "a cat"
    assert media[0]["meta"]["original"]["size"] == "{width}x{height}".format(
        **media[0]["meta"]["original"]
    )
    assert set(media[0]["meta"]) == {"original", "small"}


def test_a_status_of_pictures_alone_posts_and_its_warning_stays_theirs(oauth_client):
    """As on Mastodon, ``status`` is optional with ``media_ids``; a ``spoiler_text`` then hides
    the pictures, it does not become the text."""
    client = oauth_client(UserFactory())
    alone = client.post("/api/v1/statuses", {"media_ids[]": upload(client)["id"]})
    assert alone.status_code == 200, alone.content
    assert (alone.json()["content"], len(alone.json()["media_attachments"])) == ("", 1)
    warned = client.post(
        "/api/v1/statuses",
        {"status": "", "spoiler_text": "spiders", "media_ids": [upload(client)["id"]]},
        format="json",
    )
    assert warned.status_code == 200, warned.content
    body = warned.json()
    assert (body["content"], body["spoiler_text"], body["sensitive"]) == ("", "spiders", True)
    nothing = client.post("/api/v1/statuses", {"status": " "})
    assert nothing.status_code == 422
    assert nothing.json()["error"] == "Validation failed: status: A tweet needs text or a picture."


def test_post_with_json_and_multipart(oauth_client):
    client = oauth_client(UserFactory())
    media = upload(client)
    as_json = client.post(
        "/api/v1/statuses/", {"status": "json", "media_ids": [media["id"]]}, format="json"
    )
    assert as_json.status_code == 200
    assert len(as_json.json()["media_attachments"]) == 1
    as_multipart = client.post("/api/v1/statuses", {"status": "multi"}, format="multipart")
    assert as_multipart.json()["content"] == "<p>multi</p>"


@pytest.mark.parametrize(
    "data",
    [
        {"status": ""},
        {"status": "x" * 301},
        {"status": "secret", "visibility": "private"},
        {"status": "x" * 290, "spoiler_text": "eleven char"},
        {"status": "x", "media_ids[]": "12"},
        {"status": "x", "media_ids[]": "abc"},
    ],
)
def test_bad_posts_are_422_and_change_nothing(oauth_client, data):
    response = oauth_client(UserFactory()).post("/api/v1/statuses", data)
    assert response.status_code == 422
    assert list(response.json()) == ["error"]
    if not data["status"] or len(data["status"]) > 300:
        assert response.json()["error"].startswith("Validation failed: status: ")
    if "spoiler_text" in data:  # counted with the status
        assert response.json()["error"].startswith("Validation failed: spoiler_text: ")
    assert not Tweet.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("status=x&poll[expires_in]=60", "application/x-www-form-urlencoded"),
        ("status=x&poll[options][0]=a&poll[options][1]=b", "application/x-www-form-urlencoded"),
        ('{"status": "x", "poll": {}}', "application/json"),
        ('{"status": "x", "poll": 0}', "application/json"),
        ('{"status": "x", "poll": {"options": ["a", "b"], "expires_in": 60}}', "application/json"),
    ],
)
def test_a_poll_in_any_form_is_refused_not_dropped(oauth_client, body, content_type):
    response = oauth_client(UserFactory()).post("/api/v1/statuses", body, content_type=content_type)
    assert response.status_code == 422
    assert "poll" in response.json()["error"]
    assert not Tweet.objects.exists()


@pytest.mark.parametrize("no_poll", [None, "", False])
def test_no_poll_written_as_null_empty_or_false_posts(oauth_client, no_poll):
    response = oauth_client(UserFactory()).post(
        "/api/v1/statuses", {"status": "x", "poll": no_poll}, format="json"
    )
    assert response.status_code == 200


def test_numbered_form_media_ids_attach_in_their_order_gaps_and_all(oauth_client):
    client = oauth_client(UserFactory())
    first, second = upload(client), upload(client)
    response = client.post(
        "/api/v1/statuses",
        f"status=hi&media_ids[10000]={second['id']}&media_ids[7]={first['id']}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    attached = [item["id"] for item in response.json()["media_attachments"]]
    assert attached == [first["id"], second["id"]]


@pytest.mark.parametrize(
    "ids",
    [
        "media_ids[]={first}&media_ids[0]={first}",
        "media_ids[0]={first}&media_ids[0]={first}",
        "media_ids[x]={first}",
        "media_ids[-1]={first}",
        "media_ids[0={first}",
        "media_ids[1]={first}&media_ids[01]={first}",
        "media_ids[]={first}&media_ids={first}",
    ],
)
def test_media_ids_numbered_in_a_way_that_cannot_be_read_are_422(oauth_client, ids):
    client = oauth_client(UserFactory())
    first = upload(client)
    response = client.post(
        "/api/v1/statuses",
        "status=hi&" + ids.format(first=first["id"]),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422, response.content
    assert "media_ids" in response.json()["error"]
    assert not Tweet.objects.exists()


def test_a_parent_deleted_while_replying_is_named_in_reply_to_id(oauth_client, monkeypatch):
    from mastodon_api.views import statuses

    parent = TweetFactory()
    found = statuses.find_tweet

    def found_then_deleted(request, status_id):
        tweet = found(request, status_id)
        Tweet.objects.filter(pk=tweet.pk).delete()
        return tweet

    monkeypatch.setattr(statuses, "find_tweet", found_then_deleted)
    response = oauth_client(UserFactory()).post(
        "/api/v1/statuses", {"status": "x", "in_reply_to_id": str(parent.pk)}
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: in_reply_to_id: ")


def test_reply_to_unknown_or_hidden_status_is_404(oauth_client):
    hidden = TweetFactory()
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    client = oauth_client(UserFactory())
    for parent in ("12345", str(hidden.pk)):
        response = client.post("/api/v1/statuses", {"status": "x", "in_reply_to_id": parent})
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}


def test_edit_and_delete(oauth_client):
    author = UserFactory()
    tweet = TweetFactory(author=author, text="first")
    client = oauth_client(author)
    edited = client.put(f"/api/v1/statuses/{tweet.pk}", {"status": "second"})
    assert edited.json()["content"] == "<p>second</p>"
    assert TIME.match(edited.json()["edited_at"])
    assert client.get(f"/api/v1/statuses/{tweet.pk}/source").json()["text"] == "second"
    stranger = oauth_client(UserFactory())
    assert stranger.put(f"/api/v1/statuses/{tweet.pk}", {"status": "mine"}).status_code == 403
    assert stranger.delete(f"/api/v1/statuses/{tweet.pk}").status_code == 403
    deleted = client.delete(f"/api/v1/statuses/{tweet.pk}")
    assert deleted.json()["text"] == "second"
    assert client.get(f"/api/v1/statuses/{tweet.pk}").status_code == 404


def test_context_lists_ancestors_and_descendants_in_thread_order(oauth_client):
    root = TweetFactory()
    middle = TweetFactory(in_reply_to=root)
    reply_a = TweetFactory(in_reply_to=middle)
    reply_b = TweetFactory(in_reply_to=middle)
    nested = TweetFactory(in_reply_to=reply_a)
    body = oauth_client(UserFactory()).get(f"/api/v1/statuses/{middle.pk}/context").json()
    assert [s["id"] for s in body["ancestors"]] == [str(root.pk)]
    assert [s["id"] for s in body["descendants"]] == [
        str(reply_a.pk),
        str(nested.pk),
        str(reply_b.pk),
    ]


def test_favourite_unfavourite_and_favourited_by(oauth_client):
    user = UserFactory()
    tweet = TweetFactory()
    client = oauth_client(user)
    liked = client.post(f"/api/v1/statuses/{tweet.pk}/favourite").json()
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    assert client.post(f"/api/v1/statuses/{tweet.pk}/favourite").json()["favourites_count"] == 1
    by = client.get(f"/api/v1/statuses/{tweet.pk}/favourited_by").json()
    assert [account["id"] for account in by] == [str(user.pk)]
    favourites = client.get("/api/v1/favourites").json()
    assert [status["id"] for status in favourites] == [str(tweet.pk)]
    unliked = client.post(f"/api/v1/statuses/{tweet.pk}/unfavourite").json()
    assert unliked["favourited"] is False and unliked["favourites_count"] == 0


def test_media_can_be_read_and_described_until_attached(oauth_client):
    client = oauth_client(UserFactory())
    media = upload(client)
    assert client.get(f"/api/v1/media/{media['id']}").json()["id"] == media["id"]
    described = client.put(f"/api/v1/media/{media['id']}", {"description": "alt text"})
    assert described.json()["description"] == "alt text"
    client.post("/api/v1/statuses", {"status": "x", "media_ids[]": media["id"]})
    assert client.get(f"/api/v1/media/{media['id']}").status_code == 404
    other = oauth_client(UserFactory())
    assert other.get(f"/api/v1/media/{upload(client)['id']}").status_code == 404


def test_media_upload_without_a_file_or_with_a_bad_one_is_422(oauth_client):
    client = oauth_client(UserFactory())
    assert client.post("/api/v2/media", {}, format="multipart").status_code == 422
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    assert client.post("/api/v1/media", {"file": bad}, format="multipart").status_code == 422


@override_settings(TWEET_MAX_LENGTH=10)
def test_instance_reports_the_character_limit(api_client):
    v2 = api_client.get("/api/v2/instance").json()
    assert v2["configuration"]["statuses"]["max_characters"] == 10
    assert re.match(r"^\d+\.\d+\.\d+$", v2["version"])
    v1 = api_client.get("/api/v1/instance/").json()
    assert v1["configuration"]["statuses"]["max_characters"] == 10


def test_instance_v2_has_the_configuration_clients_read(api_client):
    v2 = api_client.get("/api/v2/instance").json()
    # 4.3 would send clients to grouped notifications (/api/v2/notifications), which are not here.
    assert v2["version"] == "4.2.0"
    assert api_client.get("/api/v2/notifications").status_code == 404
    configuration = v2["configuration"]
    assert set(configuration["urls"]) == {
        "streaming",
        "status",
        "about",
        "privacy_policy",
        "terms_of_service",
    }
    accounts = configuration["accounts"]
    assert (accounts["max_note_length"], accounts["max_display_name_length"]) == (160, 50)
    assert accounts["max_profile_fields"] == 0
    assert {"profile_field_name_limit", "profile_field_value_limit"} <= set(accounts)
    assert v2["registrations"]["reason_required"] is False
    assert "min_age" in v2["registrations"]


def test_head_is_answered_as_get_without_a_body(api_client, oauth_client):
    tweet = TweetFactory()
    for url in ("/api/v1/instance", "/api/v2/instance", f"/api/v1/statuses/{tweet.pk}"):
        head = api_client.head(url)
        assert head.status_code == 200, url
        assert head.content == b""
    assert api_client.head("/api/v1/timelines/home").status_code == 401
    client = oauth_client(UserFactory(), scopes="read")
    assert client.head("/api/v1/timelines/home").status_code == 200
    assert oauth_client(UserFactory(), scopes="write").head("/api/v1/bookmarks").status_code == 403


def test_reblog_unreblog_and_reblogged_by(oauth_client):
    booster, reader = UserFactory(), UserFactory()
    follow(reader, booster)
    original = TweetFactory(text="worth sharing")
    client = oauth_client(booster)
    reblog = client.post(f"/api/v1/statuses/{original.pk}/reblog").json()
    assert reblog["id"] != str(original.pk)
    assert reblog["account"]["id"] == str(booster.pk)
    assert reblog["reblog"]["id"] == str(original.pk)
    assert reblog["reblog"]["reblogged"] is True and reblog["reblog"]["reblogs_count"] == 1
    again = client.post(f"/api/v1/statuses/{reblog['id']}/reblog").json()
    assert again["id"] == reblog["id"]
    home = oauth_client(reader).get("/api/v1/timelines/home").json()
    assert [(s["id"], s["reblog"]["id"]) for s in home] == [(reblog["id"], str(original.pk))]
    by = client.get(f"/api/v1/statuses/{original.pk}/reblogged_by").json()
    assert [account["id"] for account in by] == [str(booster.pk)]
    assert client.get("/api/v1/timelines/public").json()[0]["reblog"] is None
    undone = client.post(f"/api/v1/statuses/{original.pk}/unreblog").json()
    assert undone["id"] == str(original.pk) and undone["reblogged"] is False
    assert oauth_client(reader).get("/api/v1/timelines/home").json() == []


def test_favouriting_a_reblog_favourites_its_original(oauth_client):
    original = TweetFactory()
    reblog = oauth_client(UserFactory()).post(f"/api/v1/statuses/{original.pk}/reblog").json()
    liked = oauth_client(UserFactory()).post(f"/api/v1/statuses/{reblog['id']}/favourite").json()
    assert liked["id"] == str(original.pk) and liked["favourites_count"] == 1


def test_account_statuses_can_leave_out_reblogs(oauth_client, api_client):
    user = UserFactory()
    own = TweetFactory(author=user)
    oauth_client(user).post(f"/api/v1/statuses/{TweetFactory().pk}/reblog")
    url = f"/api/v1/accounts/{user.pk}/statuses"
    assert len(api_client.get(url).json()) == 2
    only_own = api_client.get(url, {"exclude_reblogs": "true"}).json()
    assert [s["id"] for s in only_own] == [str(own.pk)]


def test_an_account_or_tag_named_twice_is_listed_once(oauth_client):
    UserFactory(username="bobby")
    author = UserFactory()
    tweet = TweetFactory(author=author, text="@bobby hi @bobby #Django #django #other")
    status = oauth_client(author).get(f"/api/v1/statuses/{tweet.pk}").json()
    assert [mention["username"] for mention in status["mentions"]] == ["bobby"]
    assert [tag["name"] for tag in status["tags"]] == ["django", "other"]


def test_home_timeline_link_goes_past_a_long_run_of_muted_statuses(oauth_client):
    reader, older, newer = timeline_with_muted_run()
    client = oauth_client(reader)

    seen, url = [], "/api/v1/timelines/home?limit=1"
    for _ in range(10):
        response = client.get(url)
        seen += [status["id"] for status in response.json()]
        if str(older.pk) in seen:
            break
        url = re.search(r'<([^>]+)>; rel="next"', response["Link"]).group(1)
    assert seen == [str(newer.pk), str(older.pk)]


def test_json_is_written_byte_for_byte_as_drf_writes_it(oauth_client):
    """The surface's JSON comes from the project's orjson renderer: the same bytes as DRF's own
    JSONRenderer (compact, UTF-8, U+2028 and U+2029 escaped), faster."""
    reader = UserFactory(display_name="민지 \u2028 \U0001f600")
    author = UserFactory(display_name='Quote " and \\ back')
    follow(reader, author)
    TweetFactory(author=author, text="안녕 \u2029 #태그 @" + reader.username + " \u00e9 </script>")
    response = oauth_client(reader).get("/api/v1/timelines/home")
    assert response.status_code == 200
    assert response.content == DRFJSONRenderer().render(response.data)
    assert b"\\u2029" in response.content and "안녕".encode() in response.content


def test_home_names_the_accounts_replied_to_from_the_kept_tweets(oauth_client):
    """The authors replied to come with the kept tweets (a reply's, and a reblogged reply's):
    no lookup of parents once the page is kept, and none named once the parent is deleted."""
    alice, bob, carol, reader = UserFactory.create_batch(4)
    follow(reader, bob)
    parent = TweetFactory(author=alice)
    reply = TweetFactory(author=bob, in_reply_to=parent)
    reblogged = TweetFactory(author=carol, in_reply_to=parent)
    repost(bob, reblogged)
    client = oauth_client(reader)
    for _ in range(2):  # the second read keeps the copies
        client.get("/api/v1/timelines/home")
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        body = {status["id"]: status for status in client.get("/api/v1/timelines/home").json()}
    parents = '"author_id" FROM "tweets_tweet" WHERE "tweets_tweet"."id" IN'
    assert not any(parents in query["sql"] for query in queries.captured_queries)
    assert body[str(reply.pk)]["in_reply_to_account_id"] == str(alice.pk)
    reblog = next(status["reblog"] for status in body.values() if status["reblog"])
    assert reblog["in_reply_to_account_id"] == str(alice.pk)
    services.tweet_delete(tweet=parent, actor=alice)
    body = {status["id"]: status for status in client.get("/api/v1/timelines/home").json()}
    assert body[str(reply.pk)]["in_reply_to_id"] is None
    assert body[str(reply.pk)]["in_reply_to_account_id"] is None
    reblog = next(status["reblog"] for status in body.values() if status["reblog"])
    assert (reblog["in_reply_to_id"], reblog["in_reply_to_account_id"]) == (None, None)
