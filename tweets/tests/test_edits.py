"""Editing a tweet: sensitive, attachments and their descriptions, and the history of versions."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from accounts.services import AccountUnusable
from accounts.tests.factories import UserFactory
from core.testing import API
from core.testing import upload as upload_image
from media.models import MediaFile
from media.services import media_cleanup_unattached
from tweets.models import Tweet, TweetEdit, TweetMediaRemoved
from tweets.services import tweet_set_hidden, tweet_update
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

QUERIES_OF_A_HISTORY = 4


def upload(client, description="") -> str:
    response = upload_image(client, description=description)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def post(client, **fields) -> dict:
    response = client.post(f"{API}/tweets", {"text": "look", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def edit(client, tweet_id, **fields):
    return client.patch(f"{API}/tweets/{tweet_id}", fields, format="json")


def test_a_tweet_posted_sensitive_says_so_and_an_edit_without_the_flag_keeps_it(
    auth_client, api_client, user
):
    client = auth_client(user)
    tweet = post(client, sensitive=True)
    assert tweet["sensitive"] is True
    assert post(client)["sensitive"] is False
    assert edit(client, tweet["id"], text="still").json()["sensitive"] is True
    # A form without the flag (the browsable API's) keeps it too: not an unticked box.
    form = client.patch(f"{API}/tweets/{tweet['id']}", {"text": "form"}, format="multipart")
    assert form.json()["sensitive"] is True
    cleared = edit(client, tweet["id"], text="fine now", sensitive=False).json()
    assert cleared["sensitive"] is False
    assert api_client.get(f"{API}/tweets/{tweet['id']}").json()["sensitive"] is False


def test_an_edit_replaces_reorders_and_removes_attachments(auth_client, user):
    client = auth_client(user)
    first, second = upload(client, "one"), upload(client, "two")
    tweet = post(client, media_ids=[first, second])
    third = upload(client, "three")
    edited = edit(client, tweet["id"], text="look", media_ids=[third, first])
    assert edited.status_code == 200, edited.content
    assert [m["id"] for m in edited.json()["media"]] == [third, first]
    assert MediaFile.objects.get(pk=third).attached_at is not None
    shown = client.get(f"{API}/tweets/{tweet['id']}").json()["media"]
    assert [m["id"] for m in shown] == [third, first]
    assert edit(client, tweet["id"], text="none", media_ids=[]).json()["media"] == []
    assert client.get(f"{API}/tweets/{tweet['id']}").json()["media"] == []


def test_uploads_an_edit_takes_off_stay_in_the_history(
    auth_client, api_client, user, _media_in_tmp_dir
):
    client = auth_client(user)
    first, second = upload(client, "one"), upload(client, "two")
    tweet = post(client, media_ids=[first, second])
    edit(client, tweet["id"], text="only one", media_ids=[first])
    edit(client, tweet["id"], text="none", media_ids=[])
    history = api_client.get(f"{API}/tweets/{tweet['id']}/history").json()
    shown = [[(m["id"], m["description"]) for m in version["media"]] for version in history]
    assert shown == [[(first, "one"), (second, "two")], [(first, "one")], []]
    assert (_media_in_tmp_dir / MediaFile.objects.get(pk=second).file).exists()


def test_an_upload_an_edit_took_off_can_be_put_back_and_nowhere_else(auth_client, user):
    client = auth_client(user)
    first, second = upload(client, "one"), upload(client, "two")
    tweet = post(client, media_ids=[first, second])
    edit(client, tweet["id"], text="one", media_ids=[first])
    elsewhere = client.post(f"{API}/tweets", {"text": "x", "media_ids": [second]}, format="json")
    assert elsewhere.status_code == 400, elsewhere.content
    assert "media_ids" in elsewhere.json()["fields"]
    back = edit(client, tweet["id"], text="both", media_ids=[second, first])
    assert back.status_code == 200, back.content
    assert [(m["id"], m["description"]) for m in back.json()["media"]] == [
        (second, "two"),
        (first, "one"),
    ]
    assert not TweetMediaRemoved.objects.exists()


def test_deleting_an_edited_tweet_deletes_the_uploads_edits_took_off(
    auth_client, user, django_capture_on_commit_callbacks, _media_in_tmp_dir
):
    client = auth_client(user)
    first, second = upload(client), upload(client)
    tweet = post(client, media_ids=[first, second])
    edit(client, tweet["id"], text="one", media_ids=[first])
    files = [MediaFile.objects.get(pk=pk).file for pk in (first, second)]
    assert all((_media_in_tmp_dir / key).exists() for key in files)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{API}/tweets/{tweet['id']}").status_code == 204
    assert not MediaFile.objects.filter(pk__in=[first, second]).exists()
    assert not any((_media_in_tmp_dir / key).exists() for key in files)


def test_media_cleanup_keeps_uploads_an_edit_took_off(auth_client, user):
    client = auth_client(user)
    first, second = upload(client), upload(client)
    tweet = post(client, media_ids=[first, second])
    edit(client, tweet["id"], text="one", media_ids=[first])
    MediaFile.objects.update(created_at=timezone.now() - timedelta(days=30))
    MediaFile.objects.update(attached_at=timezone.now() - timedelta(days=30))
    assert media_cleanup_unattached(older_than=timedelta(days=1)) == []
    assert MediaFile.objects.filter(pk__in=[first, second]).count() == 2


def test_an_edit_without_media_ids_keeps_the_attachments(auth_client, user):
    client = auth_client(user)
    media_id = upload(client)
    tweet = post(client, media_ids=[media_id])
    assert [m["id"] for m in edit(client, tweet["id"], text="new").json()["media"]] == [media_id]


def test_an_edit_changes_the_descriptions_of_attachments(auth_client, api_client, user):
    client = auth_client(user)
    media_id = upload(client, "befor")
    tweet = post(client, media_ids=[media_id])
    edited = edit(client, tweet["id"], text="look", media_descriptions={media_id: " before "})
    assert edited.json()["media"][0]["description"] == "before"
    shown = api_client.get(f"{API}/tweets/{tweet['id']}").json()
    assert shown["media"][0]["description"] == "before"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"media_ids": ["999"]}, "media_ids"),
        ({"media_ids": ["OTHERS"]}, "media_ids"),
        ({"media_ids": ["MINE", "MINE"]}, "media_ids"),
        ({"media_ids": ["MINE"] * 5}, "media_ids"),
        ({"media_descriptions": {"999": "x"}}, "media_descriptions"),
        ({"media_descriptions": {"MINE": "x" * 1001}}, "media_descriptions"),
        ({"media_descriptions": {"abc": "x"}}, "media_descriptions"),
        ({"media_descriptions": {"MINE": 5}}, "media_descriptions"),
        ({"sensitive": "maybe"}, "sensitive"),
    ],
)
def test_a_bad_edit_of_attachments_is_400_and_changes_nothing(
    auth_client, user, fields, error_field
):
    client = auth_client(user)
    mine = upload(client, "kept")
    tweet = post(client, media_ids=[mine], sensitive=True)
    others = upload(auth_client(UserFactory()))
    spare = upload(client)

    def filled(value):
        if isinstance(value, list):
            return [filled(item) for item in value]
        if isinstance(value, dict):
            return {filled(key): filled(item) for key, item in value.items()}
        return {"MINE": mine, "OTHERS": others}.get(value, value)

    response = edit(client, tweet["id"], text="changed", **filled(fields))
    assert response.status_code == 400, response.content
    assert {name.split(".")[0] for name in response.json()["fields"]} == {error_field}
    shown = client.get(f"{API}/tweets/{tweet['id']}").json()
    assert (shown["text"], shown["sensitive"], shown["edited_at"]) == ("look", True, None)
    assert [(m["id"], m["description"]) for m in shown["media"]] == [(mine, "kept")]
    assert MediaFile.objects.get(pk=spare).attached_at is None
    assert not TweetEdit.objects.exists()


def test_descriptions_of_more_media_than_a_tweet_has_are_refused_in_few_words(auth_client, user):
    client = auth_client(user)
    tweet = post(client)
    many = {str(n): "x" for n in range(1, 1001)}
    response = edit(client, tweet["id"], text="x", media_descriptions=many)
    assert response.status_code == 400
    assert len(response.content) < 300
    assert "media_descriptions" in response.json()["fields"]


def test_history_lists_every_version_oldest_first(auth_client, api_client, user):
    client = auth_client(user)
    first, second = upload(client, "first picture"), upload(client)
    tweet = post(client, text="hello @nobody #one", media_ids=[first])
    url = f"{API}/tweets/{tweet['id']}/history"
    never_edited = api_client.get(url).json()
    assert [(v["text"], v["created_at"]) for v in never_edited] == [
        ("hello @nobody #one", tweet["created_at"])
    ]
    edit(client, tweet["id"], text="hello #two", sensitive=True, media_ids=[first, second])
    edit(client, tweet["id"], text="third", media_descriptions={first: "described"})
    versions = api_client.get(url).json()
    assert [(v["text"], v["sensitive"]) for v in versions] == [
        ("hello @nobody #one", False),
        ("hello #two", True),
        ("third", True),
    ]
    assert versions[0]["created_at"] == tweet["created_at"]
    assert [tag["name"] for tag in versions[0]["tags"]] == ["one"]
    assert [tag["name"] for tag in versions[1]["tags"]] == ["two"]
    assert [m["description"] for m in versions[0]["media"]] == ["first picture"]
    assert [m["description"] for m in versions[2]["media"]] == ["described", ""]
    assert (
        versions[-1]["created_at"] == client.get(f"{API}/tweets/{tweet['id']}").json()["edited_at"]
    )
    # A picture an edit took off is kept: older versions still show it.
    edit(client, tweet["id"], text="fourth", media_ids=[second])
    assert [m["description"] for m in api_client.get(url).json()[0]["media"]] == ["first picture"]


def test_history_of_a_tweet_nobody_may_see_is_404(auth_client, api_client, user):
    assert api_client.get(f"{API}/tweets/12345/history").status_code == 404
    client = auth_client(user)
    deleted, hidden = post(client), post(client)
    client.delete(f"{API}/tweets/{deleted['id']}")
    Tweet.objects.filter(pk=hidden["id"]).update(is_hidden=True)
    for tweet in (deleted, hidden):
        assert api_client.get(f"{API}/tweets/{tweet['id']}/history").status_code == 404


@pytest.mark.parametrize("edits", [1, 6])
def test_history_reads_a_fixed_number_of_queries(
    auth_client, api_client, user, edits, django_assert_max_num_queries
):
    client = auth_client(user)
    media_ids = [upload(client) for _ in range(4)]
    tweet = post(client, media_ids=media_ids)
    for n in range(edits):
        edit(client, tweet["id"], text=f"version {n}", media_descriptions={media_ids[0]: str(n)})
    with django_assert_max_num_queries(QUERIES_OF_A_HISTORY):
        assert len(api_client.get(f"{API}/tweets/{tweet['id']}/history").json()) == edits + 1


@pytest.mark.parametrize(
    ("given", "kept"), [("ko", "ko"), ("EN-us", "en"), ("pt_BR", "pt"), ("", None)]
)
def test_a_tweets_language_is_its_iso_639_code(auth_client, user, given, kept):
    client = auth_client(user)
    tweet = post(client, language=given)
    assert tweet["language"] == kept
    assert client.get(f"{API}/tweets/{tweet['id']}").json()["language"] == kept


@pytest.mark.parametrize("language", ["english", "e", "-US", "k1", 5])
def test_a_language_that_is_no_code_is_400_and_posts_nothing(auth_client, user, language):
    response = auth_client(user).post(
        f"{API}/tweets", {"text": "x", "language": language}, format="json"
    )
    assert response.status_code == 400
    assert "language" in response.json()["fields"]
    assert not Tweet.objects.exists()


def test_an_edit_changes_the_language_only_when_given(auth_client, user):
    client = auth_client(user)
    tweet = post(client, language="ko")
    assert edit(client, tweet["id"], text="still").json()["language"] == "ko"
    form = client.patch(
        f"{API}/tweets/{tweet['id']}", {"text": "form", "language": ""}, format="multipart"
    )
    assert form.json()["language"] == "ko"  # an empty box of a form is not given
    assert edit(client, tweet["id"], text="now", language="en").json()["language"] == "en"
    assert edit(client, tweet["id"], text="none", language="").json()["language"] is None


def test_an_edit_that_changes_nothing_records_no_version(auth_client, user):
    client = auth_client(user)
    media_id = upload(client, "one")
    tweet = post(client, media_ids=[media_id], language="en")
    same = edit(
        client,
        tweet["id"],
        text="look",
        sensitive=False,
        language="en",
        media_ids=[media_id],
        media_descriptions={media_id: "one"},
    )
    assert same.status_code == 200, same.content
    assert same.json()["edited_at"] is None
    assert not TweetEdit.objects.exists()
    assert edit(client, tweet["id"], text="changed").json()["edited_at"] is not None
    assert TweetEdit.objects.count() == 2


def test_the_same_text_again_mentions_an_account_made_since(auth_client, user):
    client = auth_client(user)
    tweet = post(client, text="hi @latecomer")
    assert tweet["mentions"] == []
    UserFactory(username="latecomer")
    again = edit(client, tweet["id"], text="hi @latecomer").json()
    assert [m["username"] for m in again["mentions"]] == ["latecomer"]
    assert again["edited_at"] is not None


def test_a_tweet_can_be_edited_a_bounded_number_of_times(auth_client, user, settings):
    settings.TWEET_EDITS_MAX = 3
    client = auth_client(user)
    tweet = post(client)
    for number in range(3):
        assert edit(client, tweet["id"], text=f"edit {number}").status_code == 200
    refused = edit(client, tweet["id"], text="one more")
    assert refused.status_code == 400, refused.content
    assert "at most 3 times" in refused.json()["fields"]["text"][0]["detail"]
    assert client.get(f"{API}/tweets/{tweet['id']}").json()["text"] == "edit 2"
    assert len(client.get(f"{API}/tweets/{tweet['id']}/history").json()) == 4


def test_an_edit_of_a_tweet_hidden_while_it_waited_changes_nothing(user):
    moderator = UserFactory(is_staff=True)
    tweet = TweetFactory(author=user, text="offending")
    found = Tweet.objects.get(pk=tweet.pk)  # as the view found it, before the hide committed
    tweet_set_hidden(tweet=tweet, hidden=True, moderator=moderator, reason="spam")
    with pytest.raises(Http404):
        tweet_update(tweet=found, editor=user, text="rewritten")
    tweet.refresh_from_db()
    assert (tweet.text, tweet.edited_at) == ("offending", None)
    assert not TweetEdit.objects.exists()


@pytest.mark.parametrize("change", [{"is_suspended": True}, {"is_active": False}])
def test_an_edit_by_an_account_switched_off_while_it_waited_changes_nothing(user, change):
    tweet = TweetFactory(author=user, text="before")
    type(user).objects.filter(pk=user.pk).update(**change)  # the request's user is as it was
    with pytest.raises(AccountUnusable):
        tweet_update(tweet=tweet, editor=user, text="after")
    tweet.refresh_from_db()
    assert (tweet.text, tweet.edited_at) == ("before", None)
    assert not TweetEdit.objects.exists()


def test_a_content_warning_makes_a_tweet_sensitive_and_is_counted_with_its_text(
    auth_client, api_client, user, settings
):
    client = auth_client(user)
    tweet = post(client, content_warning=" politics ")
    assert (tweet["content_warning"], tweet["sensitive"]) == ("politics", True)
    settings.TWEET_MAX_LENGTH = 10
    long = client.post(
        f"{API}/tweets", {"text": "123456", "content_warning": "12345"}, format="json"
    )
    assert long.status_code == 400, long.content
    assert set(long.json()["fields"]) == {"content_warning"}
    too_long_edit = edit(client, tweet["id"], text="1234567")
    assert set(too_long_edit.json()["fields"]) == {"content_warning"}  # kept, and counted
    settings.TWEET_MAX_LENGTH = 300
    opened = edit(client, tweet["id"], text="look", content_warning="", sensitive=False).json()
    assert (opened["content_warning"], opened["sensitive"]) == ("", False)
    history = api_client.get(f"{API}/tweets/{tweet['id']}/history").json()
    assert [version["content_warning"] for version in history] == ["politics", ""]


def test_search_finds_the_words_of_a_content_warning(auth_client, api_client, user):
    post(auth_client(user), text="the plot twist", content_warning="spoilers")
    found = api_client.get(f"{API}/tweets", {"search": "spoilers"}).json()["results"]
    assert [tweet["content_warning"] for tweet in found] == ["spoilers"]


def test_a_warning_of_invisible_characters_is_none(auth_client, user):
    tweet = post(auth_client(user), content_warning="\u200b \u200b")
    assert (tweet["content_warning"], tweet["sensitive"]) == ("", False)


def test_search_reindex_keeps_the_words_of_content_warnings(auth_client, api_client, user):
    post(auth_client(user), text="the plot twist", content_warning="spoilers")
    call_command("search_reindex", "--all", verbosity=0)
    found = api_client.get(f"{API}/tweets", {"search": "spoilers"}).json()["results"]
    assert [tweet["text"] for tweet in found] == ["the plot twist"]
