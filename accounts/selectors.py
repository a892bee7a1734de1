"""Reads on accounts: who can be listed, searched and looked up."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

User = get_user_model()


def account_list(*, search: str = "") -> QuerySet:
    """Active accounts; with ``search``, those whose username starts with it or name contains it."""
    accounts = User.objects.active().select_related("avatar")
    search = search.strip()
    if search:
        accounts = accounts.filter(
            Q(username__lower__startswith=search.lower()) | Q(display_name__icontains=search)
        )
    return accounts


def account_get(*, username: str) -> User | None:
    """The active account with this username in any letter case, or ``None``."""
    return (
        User.objects.active()
        .select_related("avatar")
        .filter(username__lower=username.lower())
        .first()
    )
