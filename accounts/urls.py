"""Routes of the accounts app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import views

router = SimpleRouter(trailing_slash=False)
router.register("accounts", views.AccountViewSet, basename="account")

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/token", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path(
        "accounts/<str:username>/avatar", views.AvatarRedirectView.as_view(), name="account-avatar"
    ),
    *router.urls,
]
