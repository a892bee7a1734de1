"""The API root: the entry points of the project's own API, as links for the browsable API; and
the page of its documentation (Swagger UI)."""

from django.views import View
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse


@extend_schema(exclude=True)
@api_view(["GET", "HEAD"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The entry points of the API, as links (start here in the browsable API)."""

    def link(name):
        return reverse(name, request=request, format=format)

    return Response(
        {
            "signup": link("auth-signup"),
            "token": link("auth-token"),
            "token_refresh": link("auth-token-refresh"),
            "logout": link("auth-logout"),
            "me": link("account-me"),
            "accounts": link("profile-list"),
            "tweets": link("tweet-list"),
            "home_timeline": link("timeline-home"),
            "media": link("media-upload"),
            "reports": link("report-create"),
            "schema": link("schema"),
            "docs": link("swagger-ui"),
        }
    )


class SwaggerUIView(SpectacularSwaggerSplitView):
    """Swagger UI's page. An OPTIONS request is answered with the methods allowed alone: DRF's
    answer describes the view through the page's renderer, which has no template for it."""

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)
