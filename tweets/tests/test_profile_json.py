"""A profile's JSON, written by plain code (``ProfileSerializer.to_representation``): the
documented fields in their order, the counts and how the viewer and the account stand."""

import pytest
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from tweets.serializers import ProfileSerializer

pytestmark = pytest.mark.django_db

RELATIONSHIP = {
    "following": True,
    "followed_by": False,
    "blocking": False,
    "blocked_by": True,
    "muting": True,
    "muting_notifications": False,
}


@pytest.mark.parametrize("relationship", [None, RELATIONSHIP], ids=["anonymous", "signed in"])
def test_profile_json_is_the_documented_fields_in_order(relationship):
    account = UserFactory(bio="a bio")
    account.followers_count, account.following_count, account.tweets_count = 7, 3, 11
    request = APIRequestFactory().get("/")
    data = ProfileSerializer(
        account, context={"request": request, "relationship": relationship}
    ).data
    assert list(data) == ProfileSerializer.Meta.fields
    assert (data["followers_count"], data["following_count"], data["tweets_count"]) == (7, 3, 11)
    assert (data["id"], data["username"], data["bio"]) == (
        str(account.pk),
        account.username,
        "a bio",
    )
    assert data["header_url"] is None and data["avatar_url"] is None
    for name in ("following", "followed_by", "blocking", "blocked_by", "muting"):
        assert data[name] == (relationship[name] if relationship else None)
