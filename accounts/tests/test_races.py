"""Conflicting account writes at the same moment on PostgreSQL: token refreshes, profile
pictures. No 500, exactly one winner where there can be only one, nothing orphaned."""

from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core.testing import API
from core.testing.images import image_bytes
from core.testing.races import lift_rate_limits, postgres_only, race, statuses
from media.models import MediaFile
from media.services import media_unused_q

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    lift_rate_limits(settings)


def test_one_refresh_token_used_at_once_yields_exactly_one_new_token(user):
    for _ in range(3):
        token = str(RefreshToken.for_user(user))
        done = race(
            *[
                partial(
                    APIClient().post, f"{API}/auth/token/refresh", {"refresh": token}, format="json"
                )
                for _ in range(12)
            ]
        )
        assert sorted(statuses(done)) == [200] + [401] * 11
        winner = next(response for response in done if response.status_code == 200)
        again = APIClient().post(
            f"{API}/auth/token/refresh", {"refresh": winner.json()["refresh"]}, format="json"
        )
        assert again.status_code == 200


def test_concurrent_avatar_changes_leave_one_picture_and_no_orphans(auth_client, user):
    def put():
        file = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
        return auth_client(user).put(
            f"{API}/accounts/me/avatar", {"file": file}, format="multipart"
        )

    remove = partial(auth_client(user).delete, f"{API}/accounts/me/avatar")
    for _ in range(3):
        done = race(put, put, put, remove, put, remove)
        assert set(statuses(done)) <= {200, 204}
        user.refresh_from_db()
        kept = set(MediaFile.objects.values_list("pk", flat=True))
        assert kept == ({user.avatar_id} if user.avatar_id else set())
        assert not MediaFile.objects.filter(media_unused_q(), attached_at__isnull=False).exists()
