"""What the Mastodon surface stores itself: what Mastodon apps register beyond an OAuth application
(the scopes they may ask for and their website) and the home timeline's read marker.

The OAuth application itself (client id, secret, redirect URIs) is django-oauth-toolkit's.
"""

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application


class AppRegistration(models.Model):
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, primary_key=True, related_name="mastodon"
    )
    scopes = models.CharField(max_length=1000, default="read")
    website = models.URLField(max_length=500, blank=True)

    def __str__(self):
        return f"{self.application.name} ({self.scopes})"


class HomeMarker(models.Model):
    """How far an account has read its home timeline (Mastodon's ``home`` marker), so that apps
    can pick up where another device left off. Only the Mastodon surface reads it; the
    ``notifications`` marker is the social layer's ``NotificationMarker``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user_id} read home up to {self.last_read_id}"
