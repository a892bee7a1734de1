"""Writes on accounts: sign-up, profile edits, password changes, deactivation, token revocation
(SimpleJWT's refresh tokens and the OAuth tokens of authorized apps).

Every function validates its input and raises Django's ``ValidationError`` (a 400 through the API's
exception handler) before it changes anything.
"""

import copy

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.metrics import SIGNUPS
from accounts.models import AccountSearchDocument
from accounts.signals import account_active_changed, account_active_changing
from accounts.tokens import RefreshToken
from core import stamps
from core.db.keys import pk_reserve
from core.db.retries import deadlock_retried
from core.exceptions import fields_renamed
from core.search import search_document
from media.models import MediaFile
from media.services import media_claim, media_create, media_delete, media_discard

User = get_user_model()

_DUPLICATE_USERNAME = "A user with that username already exists."


def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create an active account; usernames and emails are unique regardless of case.

    Usernames are public, so a taken one is an error. Whether an email address has an account is
    not: when the address is taken and nothing else is wrong, nothing is created, the answer looks
    like a success (an unsaved account, after the same password hashing) and the address's owner
    gets a notice instead. See "Sign-up and e-mail addresses" in the README.
    """
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()),
        display_name=display_name.strip(),
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "username" not in errors and _username_taken(user.username):
        errors["username"] = [_DUPLICATE_USERNAME]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    user.set_password(password)
    if User.objects.filter(email__lower=user.email.lower()).exists():
        return _address_in_use(user)
    try:
        with transaction.atomic():
            user.save()
            account_search_document_write(user=user)
    except IntegrityError:
        # Lost a race with a concurrent sign-up for the same name or address.
        if _username_taken(user.username):
            raise ValidationError({"username": [_DUPLICATE_USERNAME]}) from None
        return _address_in_use(user)
    SIGNUPS.inc()
    return user


def _username_taken(username: str) -> bool:
    return User.objects.filter(username__lower=username.lower()).exists()


def _address_in_use(user: User) -> User:
    """A sign-up with an address that has an account: tell the address's owner, and give the
    caller the same answer as a new account (unsaved; nothing is created)."""
    send_mail(
        subject="Someone tried to sign up to minitter with your address",
        message=(
            f"Someone tried to create the minitter account {user.username!r} with this e-mail "
            "address, which already has an account. If it was you, log in with your existing "
            "account instead. If it was not, you can ignore this message: nothing was changed."
        ),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=True,
    )
    # An id taken from the accounts' own sequence, as a new account's would be: the next real
    # sign-up gets a later one, so the answer tells nothing (the highest id plus one would be
    # the next account's id, or repeat for a second try).
    user.pk = pk_reserve(User)
    user.created_at = timezone.now()
    return user


@deadlock_retried
@transaction.atomic
def user_update_profile(*, user: User, **changes: str) -> User:
    """Change the editable profile fields (``display_name``, ``bio``); account search finds the
    new display name from now on."""
    editable = {"display_name", "bio"}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    for name, value in changes.items():
        setattr(user, name, value.strip())
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _account_lock(user)
    user.save(update_fields=list(changes))
    if "display_name" in changes:
        account_search_document_write(user=user)
    return user


def account_search_document_write(*, user: User) -> None:
    """Store the search document of the account's display name (inside the caller's
    transaction); every write of a display name calls this."""
    AccountSearchDocument.objects.update_or_create(
        user=user, defaults={"document": search_document(user.display_name)}
    )


# The account's images: the profile picture and the header (the profile's banner).
PROFILE_IMAGES = ("avatar", "header")


def user_profile_change(
    *, user: User, fields: dict[str, str] | None = None, images: dict | None = None
) -> User:
    """Change profile ``fields`` (as ``user_update_profile``) and ``images`` (uploads by name,
    ``avatar`` and ``header``) together, or nothing.

    The images are checked and stored first, outside any transaction, as unattached uploads;
    then the fields and the images change in one transaction, and each image replaced is removed
    once it commits. When anything fails (a bad second image, a bad field, an unreachable store)
    the new images are deleted again, files included (``media_discard``), so nothing is left
    behind; one whose files cannot be deleted then, or that a crash leaves, stays unattached,
    and ``media_cleanup`` removes it."""
    images = images or {}
    unknown = set(images) - set(PROFILE_IMAGES)
    if unknown:
        raise ValueError(f"not a profile image: {', '.join(sorted(unknown))}")
    stored = {}
    try:
        for field, upload in images.items():
            stored[field] = _image_create(user, field, upload)
        _profile_apply(user, fields or {}, stored)
    except BaseException:
        media_discard(stored.values())
        raise
    for field, image in stored.items():
        setattr(user, field, image)
    return user


def _image_create(user: User, field: str, upload) -> MediaFile:
    """``media_create``, its errors about the upload named by the profile image's field."""
    with fields_renamed(file=field):
        return media_create(owner=user, upload=upload)


@deadlock_retried
@transaction.atomic
def _profile_apply(user: User, fields: dict[str, str], images: dict[str, MediaFile]) -> None:
    """The transaction of ``user_profile_change``: the fields, then each stored image in place of
    the one the row holds, which is removed once this commits."""
    if fields:
        user_update_profile(user=user, **fields)
    for field, image in images.items():
        old_image = _profile_image_lock(user, field)
        media_claim(owner=user, media_ids=[image.pk])
        User.objects.filter(pk=user.pk).update(**{field: image})
        stamps.renew(User, [user.pk])
        if old_image is not None:
            media_delete([old_image])


@deadlock_retried
@transaction.atomic
def user_profile_image_delete(*, user: User, field: str) -> None:
    """Remove the account's ``avatar`` or ``header``, from the profile and from storage."""
    if field not in PROFILE_IMAGES:
        raise ValueError(f"not a profile image: {field}")
    old_image = _profile_image_lock(user, field)
    setattr(user, field, None)
    if old_image is None:
        return
    User.objects.filter(pk=user.pk).update(**{field: None})
    stamps.renew(User, [user.pk])
    media_delete([old_image])


def _profile_image_lock(user: User, field: str):
    """Lock the user's row and return its current ``field`` image (not the one ``user`` was
    loaded with): concurrent changes of that image then queue, and each removes exactly the one
    it replaces."""
    # No join here: after waiting for the lock, PostgreSQL re-reads the locked row only.
    image_id = _account_lock(user, field=f"{field}_id")
    return MediaFile.objects.filter(pk=image_id).first() if image_id else None


class AccountUnusable(PermissionDenied):
    """A 403 for an account deactivated, suspended or deleted while its request was on its way:
    the one answer of every write that finds it so once it holds the account's row."""

    def __init__(self):
        super().__init__("This account cannot be used.")


def _account_lock(user: User, field: str = "pk"):
    """Lock the account's row for a change of its own, and return its ``field``. An account
    deleted while the request was on its way is refused here (403), rather than found missing
    by the write that follows."""
    found = User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list(field)
    row = found.first()
    if row is None:
        raise AccountUnusable
    return row[0]


def user_set_suspended(*, user: User, suspended: bool) -> bool:
    """Suspend or restore an account; returns False when it already was in that state.

    While suspended the account cannot log in and its tokens are refused (see
    ``User.can_authenticate``); nothing is revoked, so restoring it restores its sessions too.
    """
    suspended_at = timezone.now() if suspended else None
    # Decided by the row, not by the caller's copy: of two moderators suspending at the same
    # moment, one changes it (and is recorded), the other finds it done.
    changed = (
        User.objects.filter(pk=user.pk)
        .exclude(is_suspended=suspended)
        .update(is_suspended=suspended, suspended_at=suspended_at)
    )
    user.is_suspended = suspended
    if changed:
        user.suspended_at = suspended_at
        stamps.renew(User, [user.pk])
    return bool(changed)


def _check_current_password(user: User, password: str, field: str) -> str:
    """Check the password against the account as loaded; returns the hash it was checked against,
    for ``_password_still_current`` to compare under the account's lock."""
    if not user.check_password(password):
        raise ValidationError({field: ["The password is not correct."]})
    return user.password


def _password_still_current(user: User, checked: str, password: str, field: str) -> None:
    """Lock the account's row and check that the password checked before the lock is still the
    account's. Of two changes sent at once with the same current password, the second finds the
    first's new password and is refused, as it would be one after the other."""
    current = _account_lock(user, field="password")
    if current != checked and not check_password(password, current):
        raise ValidationError({field: ["The password is not correct."]})


def user_change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Set a new password and revoke every token issued before it."""
    checked = _check_current_password(user, current_password, "current_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(new_password)  # hashed before the account's row is locked
    _password_change(user, checked, current_password)


@deadlock_retried
@transaction.atomic
def _password_change(user: User, checked: str, current_password: str) -> None:
    _password_still_current(user, checked, current_password, "current_password")
    user.save(update_fields=["password"])
    refresh_tokens_revoke_all(user=user)


@deadlock_retried
@transaction.atomic
def user_password_save(*, user: User) -> None:
    """Save the password ``user`` was given (``set_password``, or a moderator's form) and revoke
    every token issued before it, holding the account's row."""
    _account_lock(user)
    user.save(update_fields=["password"])
    refresh_tokens_revoke_all(user=user)


def user_deactivate(*, user: User, password: str) -> None:
    """Deactivate the account (the row stays, so the username stays taken) and revoke its tokens."""
    checked = _check_current_password(user, password, "password")
    _deactivate(user, checked, password)


@deadlock_retried
@transaction.atomic
def _deactivate(user: User, checked: str, password: str) -> None:
    # The account's row is locked by user_set_active, after the rows it recounts (the order every
    # interaction locks in); the password is checked again under that lock, and a refusal rolls
    # the deactivation back.
    user_set_active(user=user, active=False)
    _password_still_current(user, checked, password, "password")
    refresh_tokens_revoke_all(user=user)


@deadlock_retried
@transaction.atomic
def user_set_active(*, user: User, active: bool) -> bool:
    """Deactivate or reactivate an account; returns False when it already was in that state.

    Follows, likes and reposts count only while their account is active, so the layers above
    recount what includes this one (``accounts.signals.account_active_changed``), having locked
    those rows before the account's (``account_active_changing``).
    """
    if User.objects.filter(pk=user.pk, is_active=active).exists():
        user.is_active = active
        return False
    account_active_changing.send(sender=User, account=user)
    changed = User.objects.filter(pk=user.pk).exclude(is_active=active).update(is_active=active)
    user.is_active = active
    if changed:
        stamps.renew(User, [user.pk])
        account_active_changed.send(sender=User, account=user)
    return bool(changed)


def refresh_tokens_revoke_all(*, user: User) -> None:
    """Blacklist every outstanding refresh token of the user and delete their OAuth tokens (access
    and refresh tokens of the apps they authorized, and pending authorization codes).

    Called with the account's row locked; whatever writes an OAuth token or code takes that lock
    first (``account_lock_for_tokens``), so nothing it writes escapes these deletions."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    get_refresh_token_model().objects.filter(user=user).delete()
    get_access_token_model().objects.filter(user=user).delete()
    get_grant_model().objects.filter(user=user).delete()


def account_lock_for_tokens(*, user_id: int) -> tuple[str, bool] | None:
    """Lock the account's row for writing an OAuth token or authorization code, as a password
    change or a deactivation locks it before deleting them, and return the account's password
    hash and whether it is active as they are now (None: the account was deleted).

    Call inside the transaction that writes, and check again what was validated before the lock:
    a change that committed first is then seen, and one that comes after waits and deletes what
    was written (``refresh_tokens_revoke_all``)."""
    return (
        User.objects.select_for_update(no_key=True)
        .filter(pk=user_id)
        .values_list("password", "is_active")
        .first()
    )


@deadlock_retried
@transaction.atomic
def session_open(*, user: User) -> RefreshToken:
    """Log the account in: a new refresh token, kept as outstanding so that it can be revoked,
    and the account's ``last_login``.

    Its own transaction, run again when PostgreSQL aborts it to break a deadlock: the update of
    the account's row can wait in a queue of writes to that row that deadlock among themselves,
    and the waiter PostgreSQL picks to abort may be the login.
    """
    update_last_login(None, user)
    return RefreshToken.for_user(user)


@deadlock_retried
@transaction.atomic
def refresh_token_rotate(*, token: RefreshToken) -> RefreshToken | None:
    """Spend a refresh token and give its successor; ``None`` when it was spent already.

    Of several requests with the same token at the same moment exactly one wins: the token's
    blacklist row is unique, so the others wait for the winner's commit and then find it. The
    successor is a copy, so ``token`` is the same for an attempt run again after a deadlock.
    """
    jti = token.payload[jwt_settings.JTI_CLAIM]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user_id": token.payload.get(jwt_settings.USER_ID_CLAIM),
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token.payload["exp"]),
        },
    )
    _, spent_now = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not spent_now:
        return None
    successor = copy.copy(token)
    successor.payload = dict(token.payload)
    successor.set_jti()
    successor.set_exp()
    successor.set_iat()
    successor.outstand()
    return successor


def auth_logout(*, user: User, refresh: str) -> None:
    """Revoke one refresh token of the user, so that it never works again."""
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise ValidationError(
            {"refresh": ["Token is invalid, expired or already revoked."]}
        ) from None
    if str(token.payload.get("user_id")) != str(user.pk):
        raise ValidationError({"refresh": ["Token does not belong to the authenticated user."]})
    token.blacklist()
