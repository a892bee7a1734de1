"""Routes of the accounts app, mounted under /api/minitter/v1/."""

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
    *router.urls,  # before the next lines, so that accounts/me/avatar is the caller's own
    path(
        "accounts/<str:username>/avatar",
        views.ProfileImageRedirectView.as_view(field="avatar"),
        name="account-avatar",
    ),
    path(
        "accounts/<str:username>/header",
        views.ProfileImageRedirectView.as_view(field="header"),
        name="account-header",
    ),
]
