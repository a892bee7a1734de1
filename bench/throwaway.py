"""Throwaway accounts for the benchmark scripts that write their own data on a scratch database
(import it after ``django.setup()``)."""

from accounts.models import User


def accounts(count: int, prefix: str) -> list[User]:
    """``count`` new accounts named ``{prefix}{n}`` that cannot log in, written in batches."""
    return User.objects.bulk_create(
        [
            User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="!")
            for n in range(count)
        ],
        batch_size=5000,
    )
