"""The user model.

Usernames and emails are unique regardless of letter case (``LOWER()`` unique indexes); look them
up with the ``__lower`` transform (``username__lower="alice"``) so those indexes are used.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from core.search import SearchDocumentField
from core.text import has_bidi_controls

models.CharField.register_lookup(Lower)

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,30}$"

username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Usernames are 3 to 30 characters long and use only letters, digits and underscores.",
    code="invalid_username",
)


def active_account_q(path: str = "") -> models.Q:
    """The rule for accounts others can see and interact with: not deactivated, not suspended.
    ``path`` reaches the account from another model, e.g. ``"author__"``."""
    return models.Q(**{f"{path}is_active": True, f"{path}is_suspended": False})


class UserQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active_account_q())


class MinitterUserManager(UserManager.from_queryset(UserQuerySet)):
    def get_by_natural_key(self, username):
        return self.get(username__lower=username.lower())


class User(AbstractUser):
    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text="3 to 30 letters, digits or underscores; unique regardless of case.",
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField(
        max_length=254, error_messages={"unique": "A user with that email already exists."}
    )
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=160, blank=True)
    avatar = models.ForeignKey(
        "media.MediaFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The profile's banner image (Mastodon's "header").
    header = models.ForeignKey(
        "media.MediaFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Kept up to date by the social layer's services, so profiles never COUNT(*) big tables.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    tweets_count = models.PositiveIntegerField(default=0)
    # Set by moderators: a suspended account cannot log in, its tokens stop working and its
    # tweets are hidden; unsuspending restores all of it.
    is_suspended = models.BooleanField(default=False)
    suspended_at = models.DateTimeField(null=True, blank=True)

    objects = MinitterUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        permissions = [("suspend_user", "Can suspend and unsuspend accounts")]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ]

    def __str__(self):
        return self.username

    def clean(self):
        super().clean()
        if has_bidi_controls(self.display_name):
            raise ValidationError(
                {"display_name": ["Direction control characters are not allowed in names."]},
                code="bidi_control_characters",
            )

    @property
    def can_authenticate(self) -> bool:
        """Whether this account may log in and use its tokens."""
        return self.is_active and not self.is_suspended


class AccountSearchDocument(models.Model):
    """An account's display name as search tokens (``core.search``), so that ``민지`` finds
    ``김민지`` through an index. Written by the services that set the display name (and the admin);
    a table of its own, so that the many reads of accounts never carry it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="+")
    document = SearchDocumentField()

    def __str__(self):
        return f"search document of account {self.user_id}"
