"""Requests of an account the admin deleted while they were on their way (authenticated just
before): each answers a 4xx and leaves nothing behind. Transactions really commit here, since a
row that refers to a deleted account fails only at its commit."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API
from tweets.models import Follow, Mute, NotificationMarker
from tweets.services import account_delete
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deleted_on_the_way():
    """A client still carrying an account that is deleted, and another account."""
    me, other = UserFactory(), UserFactory()
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=me.pk))
    account_delete(account=me)
    return client, other


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("patch", f"{API}/accounts/me", {"display_name": "Late"}, 403),
        ("delete", f"{API}/accounts/me/avatar", None, 403),
        (
            "post",
            f"{API}/accounts/me/password",
            {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
            403,
        ),
        ("post", f"{API}/accounts/{{other}}/follow", None, 403),
        ("post", f"{API}/accounts/{{other}}/mute", None, 409),
        ("post", f"{API}/notifications/marker", {"last_read_id": "1"}, 409),
        ("post", f"{API}/tweets/{{tweet}}/like", None, 403),
    ],
)
def test_own_api_writes_of_an_account_deleted_meanwhile_are_4xx(
    deleted_on_the_way, method, path, body, expected
):
    client, other = deleted_on_the_way
    tweet = TweetFactory(author=other)
    url = path.format(other=other.username, tweet=tweet.pk)
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected, response.content
    assert set(response.json()) == {"code", "detail"}
    if expected == 409:
        assert response.json()["code"] == "write_conflict"
    assert not Follow.objects.exists()
    assert not Mute.objects.exists()
    assert not NotificationMarker.objects.exists()


def test_a_mastodon_write_of_an_account_deleted_meanwhile_is_a_409_in_its_shape(
    deleted_on_the_way,
):
    client, other = deleted_on_the_way
    response = client.post(f"/api/v1/accounts/{other.pk}/mute")
    assert response.status_code == 409
    assert list(response.json()) == ["error"]
    assert not Mute.objects.exists()
