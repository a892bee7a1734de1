"""Uploaded media. Higher layers attach it (tweets, avatars, headers); this layer only records
*that* it is attached, so that unattached uploads can be cleaned up."""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The longest description (alternative text) of an upload, as Mastodon's.
MEDIA_DESCRIPTION_MAX_LENGTH = 1000


class MediaFile(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    # Storage keys (random names); the stored objects are re-encoded, metadata-free images.
    file = models.CharField(max_length=200)
    preview = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes of the stored image.")
    description = models.CharField(max_length=MEDIA_DESCRIPTION_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-id"], name="media_owner_id"),
            models.Index(
                fields=["created_at"],
                name="media_unattached_created",
                condition=Q(attached_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.pk} of {self.owner_id}"
