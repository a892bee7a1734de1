"""The media admin: moderators can look at uploads, nobody can change or delete them there."""

import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from media.tests.factories import MediaFileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderators"))
    client.force_login(moderator)
    return client


def test_moderators_see_uploads_with_previews_and_can_filter_and_search(moderator_client):
    owner = UserFactory(username="uploader")
    loose = MediaFileFactory(owner=owner, description="a cat on a mat")
    used = MediaFileFactory(attached=True)

    page = moderator_client.get("/admin/media/mediafile/").content.decode()
    assert loose.preview in page and used.preview in page
    assert 'title="a cat on a mat"' in page

    unattached = moderator_client.get("/admin/media/mediafile/", {"attached": "1"})
    assert list(unattached.context["cl"].result_list) == [loose]
    found = moderator_client.get("/admin/media/mediafile/", {"q": "UPLOADER"})
    assert list(found.context["cl"].result_list) == [loose]

    detail = moderator_client.get(f"/admin/media/mediafile/{loose.pk}/change/")
    assert detail.status_code == 200
    assert loose.file in detail.content.decode()


def test_the_media_admin_is_read_only_even_for_superusers(client, moderator_client):
    media = MediaFileFactory()
    assert moderator_client.get("/admin/media/mediafile/add/").status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    detail = client.get(f"/admin/media/mediafile/{media.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    assert client.get(f"/admin/media/mediafile/{media.pk}/delete/").status_code == 403
    assert client.post(
        "/admin/media/mediafile/",
        {"action": "delete_selected", "_selected_action": [media.pk]},
    ).status_code in (200, 302)
    media.refresh_from_db()
