"""Factories for media rows. They store no objects: tests that need real files upload them."""

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from media.models import MediaFile


class MediaFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaFile

    class Params:
        attached = False

    owner = factory.SubFactory(UserFactory)
    file = factory.Sequence(lambda n: f"test/{n:08d}.jpg")
    preview = factory.LazyAttribute(lambda m: m.file.replace(".jpg", "_preview.jpg"))
    content_type = "image/jpeg"
    width = 800
    height = 600
    size = 1000
    attached_at = factory.LazyAttribute(lambda m: timezone.now() if m.attached else None)
