"""Factories for accounts."""

import factory

from accounts.models import User
from accounts.services import account_search_document_write

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user_{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def search_document(user, create, extracted, **kwargs):
        """Searchable by display name, as accounts created through the services are."""
        if create:
            account_search_document_write(user=user)
