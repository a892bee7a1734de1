"""What Mastodon apps register beyond an OAuth application: the scopes they may ask for and their
website. The OAuth application itself (client id, secret, redirect URIs) is django-oauth-toolkit's.
"""

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
