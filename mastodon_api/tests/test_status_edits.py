"""Editing statuses through the Mastodon API as clients do: sensitive, attachments and their
descriptions (``media_attributes``), and a status's history."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from mastodon_api.tests.test_statuses import TIME, upload
from media.models import MediaFile
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

QUERIES_OF_A_HISTORY = 4


def post(client, **fields) -> dict:
    response = client.post("/api/v1/statuses", {"status": "look", **fields}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def edit_body(text: str, media_id: str, attributes: dict, format: str | None) -> dict:
    """An edit keeping the upload ``media_id``, with ``attributes`` in which "ID" stands for it."""

    def filled(value):
        if isinstance(value, dict):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, list):
            return [filled(item) for item in value]
        return media_id if value == "ID" else value

    media_ids = "media_ids[]" if format is None else "media_ids"
    return {"status": text, media_ids: [media_id], **filled(attributes)}


def descriptions(status: dict) -> list[tuple[str, str]]:
    return [(media["id"], media["description"]) for media in status["media_attachments"]]


def test_sensitive_is_kept_as_posted_and_changed_only_when_an_edit_says(oauth_client):
    client = oauth_client(UserFactory())
    status = client.post("/api/v1/statuses", {"status": "careful", "sensitive": "true"}).json()
    assert status["sensitive"] is True
    assert post(client)["sensitive"] is False
    url = f"/api/v1/statuses/{status['id']}"
    assert client.put(url, {"status": "text only"}).json()["sensitive"] is True
    assert client.put(url, {"status": "fine", "sensitive": "false"}).json()["sensitive"] is False
    assert client.get(url).json()["sensitive"] is False


def test_language_is_kept_as_posted_and_changed_only_when_an_edit_says(oauth_client):
    client = oauth_client(UserFactory())
    status = client.post("/api/v1/statuses", {"status": "안녕", "language": "ko"}).json()
    assert status["language"] == "ko"
    assert post(client)["language"] is None
    url = f"/api/v1/statuses/{status['id']}"
    assert client.put(url, {"status": "안녕하세요"}).json()["language"] == "ko"
    assert client.put(url, {"status": "hello", "language": "en-GB"}).json()["language"] == "en"
    refused = client.post("/api/v1/statuses", {"status": "x", "language": "klingon"})
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("Validation failed: language")


def test_an_edit_sets_the_attachments_to_media_ids_and_keeps_them_without(oauth_client):
    client = oauth_client(UserFactory())
    first, second = upload(client)["id"], upload(client)["id"]
    status = post(client, media_ids=[first, second])
    url = f"/api/v1/statuses/{status['id']}"
    third = upload(client)["id"]
    swapped = client.put(url, {"status": "look", "media_ids[]": [second, third]})
    assert swapped.status_code == 200, swapped.content
    assert [m["id"] for m in swapped.json()["media_attachments"]] == [second, third]
    # Taken off, it stays in the history and can come back.
    history = client.get(f"{url}/history").json()
    assert [m["id"] for m in history[0]["media_attachments"]] == [first, second]
    # Without media_ids (a script editing the text, a JSON null) the pictures stay.
    for body, format in (
        ({"status": "text only"}, None),
        ({"status": "t", "media_ids": None}, "json"),
    ):
        kept = client.put(url, body, format=format).json()["media_attachments"]
        assert [m["id"] for m in kept] == [second, third]
    none = client.put(url, {"status": "no pictures", "media_ids": []}, format="json").json()
    assert none["media_attachments"] == []
    back = client.put(url, {"status": "back", "media_ids": [first]}, format="json").json()
    assert [m["id"] for m in back["media_attachments"]] == [first]
    assert MediaFile.objects.filter(pk__in=[first, second, third]).count() == 3


def test_nulls_in_an_edit_are_values_not_given(oauth_client):
    """As clients send what they do not set (Mastodon's web client echoes a picture's
    description, null when it has none)."""
    client = oauth_client(UserFactory())
    media_id = upload(client)["id"]
    status = post(client, media_ids=[media_id], sensitive=True, language="ko")
    body = {
        "status": "edited",
        "media_ids": [media_id],
        "media_attributes": [{"id": media_id, "description": None, "focus": None}],
        "poll": None,
        "language": None,
        "sensitive": None,
    }
    edited = client.put(f"/api/v1/statuses/{status['id']}", body, format="json")
    assert edited.status_code == 200, edited.content
    assert descriptions(edited.json()) == [(media_id, None)]
    assert (edited.json()["sensitive"], edited.json()["language"]) == (True, "ko")
    bare = {"status": "again", "media_ids": None, "media_attributes": None, "poll": None}
    again = client.put(f"/api/v1/statuses/{status['id']}", bare, format="json")
    assert again.status_code == 200, again.content
    assert descriptions(again.json()) == [(media_id, None)]


@pytest.mark.parametrize(
    ("body", "format"),
    [
        # Mastodon.py, masto.js: JSON
        ({"media_attributes": [{"id": "ID", "description": "new"}]}, "json"),
        ({"media_attributes": {"0": {"id": "ID", "description": "new", "focus": "0,0"}}}, "json"),
        # Rails' form forms
        ({"media_attributes[0][id]": "ID", "media_attributes[0][description]": "new"}, None),
        ({"media_attributes[][id]": "ID", "media_attributes[][description]": "new"}, None),
    ],
)
def test_media_attributes_change_a_description_in_an_edit(oauth_client, api_client, body, format):
    client = oauth_client(UserFactory())
    media_id = upload(client, description="old")["id"]
    status = post(client, media_ids=[media_id])

    body = edit_body("look", media_id, body, format)
    edited = client.put(f"/api/v1/statuses/{status['id']}", body, format=format)
    assert edited.status_code == 200, edited.content
    assert descriptions(edited.json()) == [(media_id, "new")]
    shown = api_client.get(f"/api/v1/statuses/{status['id']}").json()
    assert descriptions(shown) == [(media_id, "new")]


@pytest.mark.parametrize(
    ("body", "format"),
    [
        ({"media_attributes": [{"id": "999", "description": "x"}]}, "json"),  # not attached
        ({"media_attributes": [{"id": "ID", "description": "x" * 1001}]}, "json"),
        ({"media_attributes": [{"id": "ID", "description": 5}]}, "json"),
        ({"media_attributes": [{"description": "x"}]}, "json"),
        ({"media_attributes": "ID"}, "json"),
        ({"media_attributes": [{"id": "ID"}, {"id": "ID"}]}, "json"),
        ({"media_attributes[0][id]": "ID", "media_attributes[][description]": "x"}, None),
        ({"media_attributes[][id]": ["ID", "ID"], "media_attributes[][description]": "x"}, None),
        ({"media_attributes[0]": "ID"}, None),
    ],
)
def test_bad_media_attributes_are_422_and_change_nothing(oauth_client, body, format):
    client = oauth_client(UserFactory())
    media_id = upload(client, description="old")["id"]
    status = post(client, media_ids=[media_id])

    body = edit_body("changed", media_id, body, format)
    response = client.put(f"/api/v1/statuses/{status['id']}", body, format=format)
    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("Validation failed: media_attributes")
    shown = client.get(f"/api/v1/statuses/{status['id']}").json()
    assert (shown["content"], shown["edited_at"]) == ("<p>look</p>", None)
    assert descriptions(shown) == [(media_id, "old")]


def test_history_has_each_version_as_mastodon_shows_it(oauth_client, api_client):
    author = UserFactory(username="writer")
    client = oauth_client(author)
    media_id = upload(client, description="a cat")["id"]
    status = post(client, status="first #draft", media_ids=[media_id])
    url = f"/api/v1/statuses/{status['id']}/history"
    [only] = api_client.get(url).json()
    assert only["content"] == status["content"] and only["created_at"] == status["created_at"]
    client.put(
        f"/api/v1/statuses/{status['id']}",
        {
            "status": "second",
            "sensitive": True,
            "media_ids": [media_id],
            "media_attributes": [{"id": media_id, "description": "a black cat"}],
        },
        format="json",
    )
    versions = api_client.get(url).json()
    assert [v["content"] for v in versions][1] == "<p>second</p>"
    assert 'href="http://testserver/tags/draft"' in versions[0]["content"]
    assert [v["sensitive"] for v in versions] == [False, True]
    assert [descriptions(v) for v in versions] == [
        [(media_id, "a cat")],
        [(media_id, "a black cat")],
    ]
    for version in versions:
        assert set(version) == {
            "content",
            "spoiler_text",
            "sensitive",
            "created_at",
            "account",
            "poll",
            "media_attachments",
            "emojis",
        }
        assert TIME.match(version["created_at"])
        assert version["account"]["username"] == "writer"
    assert versions[0]["created_at"] == status["created_at"]
    assert (
        api_client.get(f"/api/v1/statuses/{status['id']}").json()["edited_at"]
        == (versions[1]["created_at"])
    )


def test_history_of_a_status_nobody_may_see_is_404(api_client):
    hidden = TweetFactory()
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    for status_id in ("12345", str(hidden.pk), "x"):
        response = api_client.get(f"/api/v1/statuses/{status_id}/history")
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}


@pytest.mark.parametrize("edits", [1, 6])
def test_history_reads_a_fixed_number_of_queries(
    oauth_client, edits, django_assert_max_num_queries
):
    client = oauth_client(UserFactory())
    media_ids = [upload(client)["id"] for _ in range(4)]
    status = post(client, media_ids=media_ids)
    for n in range(edits):
        client.put(
            f"/api/v1/statuses/{status['id']}",
            {"status": f"version {n}", "media_ids": media_ids},
            format="json",
        )
    reader = oauth_client(UserFactory())
    with django_assert_max_num_queries(QUERIES_OF_A_HISTORY):
        versions = reader.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert len(versions) == edits + 1


def test_an_edit_beyond_the_limit_is_422_and_one_changing_nothing_is_no_version(
    oauth_client, settings
):
    settings.TWEET_EDITS_MAX = 1
    client = oauth_client(UserFactory())
    status = post(client)
    url = f"/api/v1/statuses/{status['id']}"
    same = client.put(url, {"status": "look"})
    assert same.status_code == 200, same.content
    assert same.json()["edited_at"] is None
    assert client.put(url, {"status": "edited"}).status_code == 200
    refused = client.put(url, {"status": "again"})
    assert refused.status_code == 422, refused.content
    assert "at most 1 times" in refused.json()["error"]
    assert len(client.get(f"{url}/history").json()) == 2


def test_a_picture_put_back_takes_a_new_description(oauth_client):
    client = oauth_client(UserFactory())
    first, second = upload(client)["id"], upload(client)["id"]
    url = f"/api/v1/statuses/{post(client, media_ids=[first, second])['id']}"
    client.put(url, {"status": "one", "media_ids": [second]}, format="json")
    back = client.put(
        url,
        {
            "status": "both",
            "media_ids": [first, second],
            "media_attributes": [{"id": first, "description": "back again"}],
        },
        format="json",
    )
    assert back.status_code == 200, back.content
    shown = [(m["id"], m["description"]) for m in back.json()["media_attachments"]]
    assert shown == [(first, "back again"), (second, None)]


def test_a_content_warning_is_kept_shown_edited_and_in_the_history(oauth_client, api_client):
    client = oauth_client(UserFactory())
    status = post(client, spoiler_text=" spoilers ahead ")
    assert (status["spoiler_text"], status["sensitive"]) == ("spoilers ahead", True)
    url = f"/api/v1/statuses/{status['id']}"
    assert client.get(f"{url}/source").json()["spoiler_text"] == "spoilers ahead"
    kept = client.put(url, {"status": "still hidden"}, format="json").json()
    assert kept["spoiler_text"] == "spoilers ahead"
    changed = client.put(url, {"status": "new", "spoiler_text": "other"}, format="json").json()
    assert changed["spoiler_text"] == "other"
    cleared = client.put(
        url, {"status": "open", "spoiler_text": "", "sensitive": False}, format="json"
    ).json()
    assert (cleared["spoiler_text"], cleared["sensitive"]) == ("", False)
    history = client.get(f"{url}/history").json()
    assert [version["spoiler_text"] for version in history] == [
        "spoilers ahead",
        "spoilers ahead",
        "other",
        "",
    ]
    own = api_client.get(f"{API}/tweets/{status['id']}").json()
    assert own["content_warning"] == ""


def test_a_warning_sent_alone_is_the_text_as_mastodon_posts_it(oauth_client):
    client = oauth_client(UserFactory())
    status = post(client, status="", spoiler_text="only this")
    assert (status["content"], status["spoiler_text"]) == ("<p>only this</p>", "")
    url = f"/api/v1/statuses/{status['id']}"
    edited = client.put(url, {"status": " ", "spoiler_text": "new words"}, format="json").json()
    assert (edited["content"], edited["spoiler_text"]) == ("<p>new words</p>", "")


def test_taking_a_warning_off_without_a_word_on_sensitive_shows_what_it_hid(oauth_client):
    """As Mastodon.py's ``status_update(id, text, spoiler_text="")`` sends it."""
    client = oauth_client(UserFactory())
    status = post(client, spoiler_text="cw")
    url = f"/api/v1/statuses/{status['id']}"
    opened = client.put(url, {"status": "look", "spoiler_text": ""}, format="json").json()
    assert (opened["spoiler_text"], opened["sensitive"]) == ("", False)
    marked = post(client, sensitive=True)
    url = f"/api/v1/statuses/{marked['id']}"
    assert client.put(url, {"status": "text only"}, format="json").json()["sensitive"] is True


def test_a_reblog_says_nothing_itself_and_shows_the_originals_warning(oauth_client):
    client = oauth_client(UserFactory())
    status = post(client, spoiler_text="spoilers")
    reblog = oauth_client(UserFactory()).post(f"/api/v1/statuses/{status['id']}/reblog").json()
    assert (reblog["spoiler_text"], reblog["sensitive"]) == ("", False)
    assert (reblog["reblog"]["spoiler_text"], reblog["reblog"]["sensitive"]) == ("spoilers", True)
