"""The browsable API has real HTML forms: posting and replying, editing a tweet, uploading a
picture, editing the profile and setting a profile picture; and what those forms send (form
fields, multipart, with the session login) works."""

import re

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from core.testing import API
from core.testing.images import image_bytes
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client():
    """A logged-in session, as in a browser after /api-auth/login/, with CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    user = UserFactory(username="alice", display_name="Alice", bio="hello")
    client.force_login(user)
    client.user = user
    return client


def page(client, path: str) -> str:
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 405), response.status_code
    return response.content.decode()


def form_fields(html: str, form_id: str) -> set[str]:
    """Names of the inputs in the HTML form of one tab (``post-object-form`` or
    ``put-object-form``)."""
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
    return set(re.findall(r'name="([a-z_]+)"', form)) - {"csrfmiddlewaretoken"}


def csrf_token(client, path: str) -> str:
    html = page(client, path)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_tweets_page_has_a_form_for_posting_and_replying(browser_client):
    html = page(browser_client, f"{API}/tweets")
    assert form_fields(html, "post-object-form") == {
        "text",
        "sensitive",
        "language",
        "content_warning",
        "in_reply_to",
        "media_ids",
    }
    assert "Lists are not currently supported" not in html


def test_posting_a_reply_with_pictures_through_the_html_form(browser_client):
    token = csrf_token(browser_client, f"{API}/tweets")
    first = uploaded_through_the_form(browser_client, token, "a.png")
    second = uploaded_through_the_form(browser_client, token, "b.png")
    parent = TweetFactory()
    response = browser_client.post(
        f"{API}/tweets",
        {
            "text": "a reply from the form",
            "in_reply_to": str(parent.id),
            "media_ids": f"{first}, {second}",
            "csrfmiddlewaretoken": token,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["in_reply_to"] == str(parent.id)
    assert [m["id"] for m in body["media"]] == [first, second]
    # An empty reply box and no pictures are a plain tweet, as a form leaves them.
    plain = browser_client.post(
        f"{API}/tweets",
        {"text": "plain", "in_reply_to": "", "media_ids": "", "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="application/json",
    )
    assert plain.status_code == 201, plain.content
    assert Tweet.objects.count() == 3


def test_tweet_page_has_an_edit_form_that_sends_patch(browser_client):
    tweet = TweetFactory(author=browser_client.user, text="first words")
    html = page(browser_client, f"{API}/tweets/{tweet.id}")
    assert form_fields(html, "put-object-form") == {
        "text",
        "sensitive",
        "language",
        "content_warning",
        "media_ids",
    }
    assert "first words</textarea>" in html
    assert 'src="/static/core/patch-form.js"' in html


def test_the_edit_form_left_as_drawn_keeps_the_pictures_and_the_flag(browser_client):
    token = csrf_token(browser_client, f"{API}/tweets")
    media_id = uploaded_through_the_form(browser_client, token, "a.png")
    tweet = browser_client.post(
        f"{API}/tweets",
        {"text": "first", "media_ids": media_id, "sensitive": "true"},
        HTTP_X_CSRFTOKEN=token,
        HTTP_ACCEPT="application/json",
    ).json()
    response = browser_client.patch(
        f"{API}/tweets/{tweet['id']}",
        _multipart({"text": "second", "media_ids": ""}),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    edited = response.json()
    assert (edited["text"], edited["sensitive"]) == ("second", True)
    assert [media["id"] for media in edited["media"]] == [media_id]


def test_profile_page_has_an_edit_form_filled_with_the_profile(browser_client):
    html = page(browser_client, f"{API}/accounts/me")
    assert form_fields(html, "put-object-form") == {"display_name", "bio"}
    assert 'value="Alice"' in html and "hello</textarea>" in html
    assert 'src="/static/core/patch-form.js"' in html

    token = csrf_token(browser_client, f"{API}/accounts/me")
    response = browser_client.patch(
        f"{API}/accounts/me",
        _multipart({"display_name": "Alice K.", "bio": "from the form"}),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["display_name"], response.json()["bio"]) == (
        "Alice K.",
        "from the form",
    )


def test_upload_and_profile_picture_pages_have_file_forms(browser_client):
    media_html = page(browser_client, f"{API}/media")
    assert form_fields(media_html, "post-object-form") == {"file", "description"}
    assert 'type="file"' in media_html
    avatar_html = page(browser_client, f"{API}/accounts/me/avatar")
    assert form_fields(avatar_html, "put-object-form") == {"file"}


def uploaded_through_the_form(browser_client, token: str, name: str) -> str:
    """The id of a picture uploaded as the media page's form sends it."""
    response = browser_client.post(
        f"{API}/media",
        {"file": _png(name), "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="application/json",
    )
    return response.json()["id"]


def _png(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def _multipart(fields: dict) -> bytes:
    parts = [
        f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + "--BoUnDaRy--\r\n").encode()
