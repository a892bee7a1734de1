"""Reads on media: URLs of stored objects."""

from django.core.files.storage import default_storage


def storage_url(key: str, request=None) -> str:
    """A URL clients can fetch: absolute for local files, pre-signed when the bucket is private."""
    url = default_storage.url(key)
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


def storage_check() -> None:
    """Raise if the store cannot be reached (used by readiness checks)."""
    default_storage.exists("health-check")
