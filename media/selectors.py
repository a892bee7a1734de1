"""Reads on media: URLs of stored objects, the owner's pending uploads."""

from django.core.files.storage import default_storage

from media.models import MediaFile


def storage_url(key: str, request=None) -> str:
    """A URL clients can fetch: absolute for local files, pre-signed when the bucket is private."""
    url = default_storage.url(key)
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


def storage_urls_expire() -> bool:
    """Whether ``storage_url`` signs its URLs for a while (a private bucket): such a URL cannot
    be handed to whoever fetches it later (a link preview's crawler)."""
    return bool(getattr(default_storage, "querystring_auth", False))


def storage_check() -> None:
    """Raise if the store cannot be reached (used by readiness checks)."""
    default_storage.exists("health-check")


def media_get_unattached(*, owner, media_id: int):
    """One of the owner's uploads not attached to anything yet, or ``None``."""
    return MediaFile.objects.filter(pk=media_id, owner=owner, attached_at__isnull=True).first()
