"""Top-level routes: the project's own API under /api/minitter/v1/ (with its schema and docs), the
Mastodon client API and its OAuth server (/api/v1/, /api/v2/, /oauth/, /.well-known/), the admin,
and liveness checks."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from accounts.throttles import login_form_throttled
from core.exceptions import read_only
from minitter import health
from minitter.api import SwaggerUIView, api_root

# The admin is where moderators work: say whose it is, and give the changelists the whole width
# (the navigation sidebar would take a quarter of a 1,280 px screen).
admin.site.site_header = "minitter admin"
admin.site.site_title = "minitter admin"
admin.site.index_title = "Accounts, tweets and moderation"
admin.site.enable_nav_sidebar = False


@read_only
def ping(request):
    """The cheapest liveness check: no database, no session, no template."""
    return HttpResponse("pong", content_type="text/plain")


minitter_api_v1 = [
    path("", api_root, name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its set-up script as a file, so the CSP needs no inline scripts.
    path("docs/", SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("media.urls")),
    path("", include("accounts.urls")),  # first: accounts/me before accounts/{username}
    path("", include("tweets.urls")),
]

urlpatterns = [
    path("ping", ping, name="ping"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("", include("django_prometheus.urls")),  # /metrics; nginx allows internal callers only
    path("api/minitter/v1/", include(minitter_api_v1)),
    # The schema and docs lived here before the API moved under /api/minitter/v1/.
    path("api/schema/", RedirectView.as_view(pattern_name="schema", query_string=True)),
    path("api/docs/", RedirectView.as_view(pattern_name="swagger-ui", query_string=True)),
    # Both HTML login forms count against the API login's limits.
    path(
        "api-auth/login/",
        login_form_throttled(LoginView.as_view(template_name="rest_framework/login.html")),
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/login/", login_form_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("mastodon_api.urls")),
    path("", include("web.urls")),
]

if settings.MINITTER_STORAGE == "local":
    # Development only (static() is a no-op when DEBUG is off): nginx serves MEDIA_ROOT in
    # production.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "core.exceptions.bad_request"
handler403 = "core.exceptions.permission_denied"
handler404 = "core.exceptions.not_found"
handler500 = "core.exceptions.server_error"
