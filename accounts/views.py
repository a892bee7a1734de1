"""HTTP endpoints for sign-up, tokens and accounts. Thin: validate, call a service, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts import selectors, services
from accounts.serializers import (
    PasswordChangeInputSerializer,
    PasswordConfirmInputSerializer,
    PrivateAccountSerializer,
    ProfileUpdateInputSerializer,
    PublicAccountSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
)
from accounts.throttles import (
    LoginAddressThrottle,
    LoginUsernameThrottle,
    SignupAddressThrottle,
    SignupUsernameThrottle,
)


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
        return Response(PrivateAccountSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(jwt_views.TokenObtainPairView):
    """Log in with a username (or email) and password; returns an access and a refresh token."""

    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]

    @extend_schema(responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshView(jwt_views.TokenRefreshView):
    """Trade a refresh token for a new access token and a new refresh token (the old one dies)."""

    serializer_class = TokenRefreshSerializer

    @extend_schema(responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    @extend_schema(request=RefreshInputSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        """Revoke the given refresh token of the caller; it never works again."""
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["accounts"])
class AccountViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Account search and the caller's own account under `me`.

    Public profiles (`accounts/{username}`) belong to the social layer, which adds counts and
    the relationship to the viewer.
    """

    serializer_class = PublicAccountSerializer

    def get_permissions(self):
        return [AllowAny()] if self.action == "list" else [IsAuthenticated()]

    def get_queryset(self):
        return selectors.account_list(search=self.request.query_params.get("search", ""))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search", str, description="Username prefix or part of the display name."
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

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
        return Response(PrivateAccountSerializer(request.user).data)

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    @action(detail=False, methods=["post"], url_path="me/password")
    def password(self, request):
        """Change the password; every refresh and access token issued before stops working."""
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
