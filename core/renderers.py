"""Renderers: JSON with one timestamp format for the whole API, and the browsable API with HTML
forms for endpoints that take PATCH but not PUT.

Serializers hand datetimes to the renderer as they are (``DATETIME_FORMAT = None``), and the
renderer writes every one the same way: UTC with milliseconds and ``Z``
(``2024-01-01T00:00:00.000Z``), the format Mastodon clients parse too. New serializers get it
without doing anything.
"""

from datetime import UTC, datetime

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders


def format_timestamp(value: datetime) -> str:
    """``2024-01-01T00:00:00.000Z``: UTC, always with milliseconds."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JSONEncoder(encoders.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, written by orjson (several times faster on a page of tweets) unless a client
    asks for indentation (``; indent=``, the browsable API); the output is the same: compact,
    UTF-8, timestamps as above, and U+2028/U+2029 escaped as DRF does."""

    encoder_class = JSONEncoder
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        output = orjson.dumps(data, default=self.encoder_class().default, option=self._options)
        return output.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API draws an HTML form for PUT only; an endpoint that edits with PATCH
    alone (a tweet, the caller's profile) gets its HTML form for PATCH instead. Views choose the
    form's serializer by action (``get_serializer_class``)."""

    template = "core/browsable_api.html"

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        view, request = renderer_context["view"], renderer_context["request"]
        allowed = getattr(view, "allowed_methods", ())
        if not context["put_form"] and "PATCH" in allowed and "PUT" not in allowed:
            form = self.get_rendered_html_form(data, view, "PATCH", request)
            if form:
                context["put_form"] = form
                context["html_form_method"] = "PATCH"
        return context
