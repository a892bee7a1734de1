"""Accounts are written by plain code (``to_representation``) rather than DRF's per-field
machinery; what comes out must be what the declared fields (the documented shape) give."""

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from accounts.serializers import PrivateAccountSerializer, PublicAccountSerializer
from accounts.tests.factories import UserFactory
from media.tests.factories import MediaFileFactory

pytestmark = pytest.mark.django_db


def _as_declared(serializer_class, user, context) -> bytes:
    """The JSON DRF writes from the serializer's declared fields."""
    serializer = serializer_class(user, context=context)
    return JSONRenderer().render(serializers.Serializer.to_representation(serializer, user))


@pytest.mark.parametrize("serializer_class", [PublicAccountSerializer, PrivateAccountSerializer])
@pytest.mark.parametrize("pictures", [False, True])
def test_account_json_is_what_the_declared_fields_give(serializer_class, pictures):
    user = UserFactory(bio="Ünïcode bio & <markup>", display_name="Minji 김")
    if pictures:
        user.avatar = MediaFileFactory(owner=user, attached=True)
        user.header = MediaFileFactory(owner=user, attached=True)
        user.save()
    context = {"request": APIRequestFactory().get("/", HTTP_HOST="testserver")}
    written = JSONRenderer().render(serializer_class(user, context=context).data)
    assert written == _as_declared(serializer_class, user, context)
    assert (b"/media/" in written) is pictures
