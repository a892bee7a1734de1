"""Input and output shapes of the accounts API. Rules live in services; these check types."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainSerializer
from rest_framework_simplejwt.serializers import TokenRefreshSerializer as BaseRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.tokens import RefreshToken
from core.fields import IdField, StrictCharField
from core.search import MAX_QUERY_LENGTH, search_text_validate
from media.selectors import storage_url

User = get_user_model()


# --- Input ---------------------------------------------------------------------------------------
# Lengths match the model; the model's validators and the services give the real messages.
PASSWORD_MAX_LENGTH = 128


class SignupInputSerializer(serializers.Serializer):
    username = StrictCharField(trim_whitespace=True, max_length=30)
    email = StrictCharField(max_length=254)
    password = StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
    )
    display_name = StrictCharField(required=False, allow_blank=True, default="", max_length=50)


class AccountSearchParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        default="",
        validators=[search_text_validate],
    )


class ProfileUpdateInputSerializer(serializers.Serializer):
    display_name = StrictCharField(required=False, allow_blank=True, max_length=50)
    bio = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=160,
        style={"base_template": "textarea.html", "rows": 2},
    )


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH)
    new_password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH)


class PasswordConfirmInputSerializer(serializers.Serializer):
    password = StrictCharField(trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH)


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField()


class ImageUploadInputSerializer(serializers.Serializer):
    """A profile picture or header upload (multipart ``file``)."""

    file = serializers.FileField()


# --- Output --------------------------------------------------------------------------------------
_NULLABLE_URL = {"type": "string", "format": "uri", "nullable": True}


def profile_image(user, field: str):
    """The account's ``avatar`` or ``header``, or None: also when it was replaced or removed by a
    concurrent request after this account was loaded (its row is gone then)."""
    try:
        return getattr(user, field)
    except ObjectDoesNotExist:
        return None


def profile_image_urls(user, field: str, request) -> tuple[str | None, str | None]:
    """The URLs of the account's ``avatar`` or ``header`` and of its preview (None, None without
    one)."""
    image = profile_image(user, field)
    if image is None:
        return None, None
    return storage_url(image.file, request), storage_url(image.preview, request)


class AvatarUrlsMixin(serializers.Serializer):
    """``avatar_url`` and ``avatar_preview_url`` (at most 400 px) of an account with
    ``select_related("avatar")``."""

    avatar_url = serializers.SerializerMethodField()
    avatar_preview_url = serializers.SerializerMethodField()

    @extend_schema_field(_NULLABLE_URL)
    def get_avatar_url(self, user):
        return profile_image_urls(user, "avatar", self.context.get("request"))[0]

    @extend_schema_field(_NULLABLE_URL)
    def get_avatar_preview_url(self, user):
        return profile_image_urls(user, "avatar", self.context.get("request"))[1]


class PublicAccountSerializer(AvatarUrlsMixin, serializers.ModelSerializer):
    """An account as anyone sees it: its names, bio, creation time and avatar."""

    id = IdField()

    # The declared fields document the shape (the OpenAPI schema); plain code writes it, as
    # ``tweet_json`` does for tweets: every profile and list of accounts serializes accounts, and
    # DRF built these fields anew for each request.
    def to_representation(self, user) -> dict:
        avatar_url, avatar_preview_url = profile_image_urls(
            user, "avatar", self.context.get("request")
        )
        return {
            "id": str(user.pk),
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "created_at": user.created_at,
            "avatar_url": avatar_url,
            "avatar_preview_url": avatar_preview_url,
        }

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "created_at",
            "avatar_url",
            "avatar_preview_url",
        ]
        read_only_fields = fields


class HeaderUrlsMixin(serializers.Serializer):
    """``header_url`` and ``header_preview_url`` (the profile's banner) of an account with
    ``select_related("header")``: on the account's own view and its profile, not in lists."""

    header_url = serializers.SerializerMethodField()
    header_preview_url = serializers.SerializerMethodField()

    @extend_schema_field(_NULLABLE_URL)
    def get_header_url(self, user):
        return profile_image_urls(user, "header", self.context.get("request"))[0]

    @extend_schema_field(_NULLABLE_URL)
    def get_header_preview_url(self, user):
        return profile_image_urls(user, "header", self.context.get("request"))[1]


def header_json(user, request) -> dict:
    """``HeaderUrlsMixin``'s fields, for the plain representations."""
    header_url, header_preview_url = profile_image_urls(user, "header", request)
    return {"header_url": header_url, "header_preview_url": header_preview_url}


class PrivateAccountSerializer(HeaderUrlsMixin, PublicAccountSerializer):
    def to_representation(self, user) -> dict:
        return {
            **super().to_representation(user),
            **header_json(user, self.context.get("request")),
            "email": user.email,
        }

    class Meta(PublicAccountSerializer.Meta):
        fields = [
            *PublicAccountSerializer.Meta.fields,
            "header_url",
            "header_preview_url",
            "email",
        ]
        read_only_fields = fields


class LoginSerializer(TokenObtainSerializer):
    """A username (or email) and password, checked: ``user`` is the account they prove. The view
    opens its session (``session_open``)."""


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


# --- Token refresh -------------------------------------------------------------------------------
class TokenRefreshSerializer(BaseRefreshSerializer):
    """SimpleJWT's refresh checks, which also refuse tokens of deleted users or of an older
    password. Gives the checked ``token``; the view spends it (``refresh_token_rotate``)."""

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        user = User.objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM)).first()
        if (
            user is None
            or refresh.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM)
            != get_md5_hash_password(user.password)
            or not jwt_settings.USER_AUTHENTICATION_RULE(user)
        ):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        return {"token": refresh}
