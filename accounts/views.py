"""HTTP endpoints for sign-up, tokens and accounts. Thin: validate, call a service, serialize."""

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts import selectors, services
from accounts.serializers import (
    ImageUploadInputSerializer,
    LoginSerializer,
    PasswordChangeInputSerializer,
    PasswordConfirmInputSerializer,
    PrivateAccountSerializer,
    ProfileUpdateInputSerializer,
    PublicAccountSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
    profile_image,
)
from accounts.throttles import (
    LoginAddressThrottle,
    LoginUsernameThrottle,
    SignupAddressThrottle,
    SignupUsernameThrottle,
)
from core.exceptions import fields_renamed
from core.parsers import MultiPartParser
from media.selectors import storage_url

User = get_user_model()


class SignupView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [SignupAddressThrottle, SignupUsernameThrottle]

    @extend_schema(
        request=SignupInputSerializer, responses={201: PrivateAccountSerializer}, tags=["auth"]
    )
    def post(self, request):
        """Create an account. Log in afterwards with `POST auth/token`."""
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(
            PrivateAccountSerializer(user, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class TokenObtainView(jwt_views.TokenObtainPairView):
    """Log in with a username (or email) and password; returns an access and a refresh token."""

    serializer_class = LoginSerializer
    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]

    @extend_schema(responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from None
        refresh = services.session_open(user=serializer.user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshView(jwt_views.TokenRefreshView):
    """Trade a refresh token for a new access token and a new refresh token (the old one dies)."""

    serializer_class = TokenRefreshSerializer

    @extend_schema(responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from None
        refresh = serializer.validated_data["token"]
        access = str(refresh.access_token)
        # Exactly one of several simultaneous refreshes with one token wins; the others get 401.
        rotated = services.refresh_token_rotate(token=refresh)
        if rotated is None:
            raise InvalidToken("Token is blacklisted")
        return Response({"access": access, "refresh": str(rotated)})


class LogoutView(APIView):
    @extend_schema(request=RefreshInputSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        """Revoke the given refresh token of the caller; it never works again."""
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _profile_image_route(field: str, description: str):
    """The caller's ``me/{field}`` route for a profile image (``avatar``, ``header``): PUT a
    multipart ``file`` (the stricter upload limits apply), DELETE it."""
    route = action(
        detail=False,
        methods=["put", "delete"],
        url_path=f"me/{field}",
        parser_classes=[MultiPartParser],
        write_throttle_scope="upload",
    )
    upload = extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": ImageUploadInputSerializer},
        responses={200: PrivateAccountSerializer},
        operation_id=f"me_{field}_update",
        description=description,
    )
    remove = extend_schema(
        methods=["DELETE"], request=None, responses={204: None}, operation_id=f"me_{field}_delete"
    )
    return lambda view: upload(remove(route(view)))


@extend_schema(tags=["accounts"])
class AccountViewSet(viewsets.GenericViewSet):
    """The caller's own account under `me`.

    Account search (`accounts`) and public profiles (`accounts/{username}`) belong to the social
    layer, which leaves out blocked accounts, adds counts and the relationship to the viewer.
    """

    serializer_class = PublicAccountSerializer
    write_throttle_scope = "write"  # the avatar route uses the stricter "upload" limits
    queryset = User.objects.none()  # the object is the caller; this names the model

    def get_serializer_class(self):
        # What the browsable API draws its HTML forms from: the profile and the picture.
        if self.action == "me" and self.request.method == "PATCH":
            return ProfileUpdateInputSerializer
        if self.action in ("avatar", "header"):
            return ImageUploadInputSerializer
        return PublicAccountSerializer

    def get_object(self):
        """The object of the `me` routes: the caller's own account (DRF's OPTIONS asks for it)."""
        return self.request.user

    @extend_schema(
        methods=["GET"], request=None, responses={200: PrivateAccountSerializer}, operation_id="me"
    )
    @extend_schema(
        methods=["PATCH"],
        request=ProfileUpdateInputSerializer,
        responses={200: PrivateAccountSerializer},
        operation_id="me_update",
    )
    @extend_schema(
        methods=["DELETE"],
        request=PasswordConfirmInputSerializer,
        responses={204: None},
        operation_id="me_delete",
        description="Deactivate the account. Its tokens stop working; the username stays taken.",
    )
    @action(detail=False, methods=["get", "patch", "delete"], url_path="me")
    def me(self, request):
        if request.method == "PATCH":
            data = ProfileUpdateInputSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            services.user_update_profile(user=request.user, **data.validated_data)
        elif request.method == "DELETE":
            data = PasswordConfirmInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.user_deactivate(user=request.user, password=data.validated_data["password"])
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self._private(request.user))

    def _private(self, user):
        return PrivateAccountSerializer(user, context=self.get_serializer_context()).data

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    @action(detail=False, methods=["post"], url_path="me/password")
    def password(self, request):
        """Change the password; every refresh and access token issued before stops working."""
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_profile_image_route(
        "avatar", "Upload a profile picture (JPEG, PNG, GIF or WebP); replaces the old one."
    )
    def avatar(self, request):
        return self._profile_image(request, "avatar")

    @_profile_image_route(
        "header",
        "Upload a header, the profile's banner (JPEG, PNG, GIF or WebP); replaces the old one.",
    )
    def header(self, request):
        return self._profile_image(request, "header")

    def _profile_image(self, request, field: str) -> Response:
        if request.method == "DELETE":
            services.user_profile_image_delete(user=request.user, field=field)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = ImageUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The service names the image's field; this route takes it as ``file``.
        with fields_renamed(**{field: "file"}):
            services.user_profile_change(
                user=request.user, images={field: data.validated_data["file"]}
            )
        return Response(self._private(request.user))


@extend_schema(
    tags=["accounts"],
    responses={302: OpenApiResponse(description="Redirect to the picture."), 404: None},
)
class ProfileImageRedirectView(APIView):
    """Redirect to an account's profile picture or header (404 when it has none)."""

    permission_classes = [AllowAny]
    field = "avatar"

    def get(self, request, username):
        account = selectors.account_get(username=username, kept=True)
        image = profile_image(account, self.field) if account is not None else None
        if image is None:
            raise Http404
        return HttpResponseRedirect(storage_url(image.file, request))
