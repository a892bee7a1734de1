"""JSON rendering with one timestamp format for the whole API.

Serializers hand datetimes to the renderer as they are (``DATETIME_FORMAT = None``), and the
renderer writes every one the same way: UTC with milliseconds and ``Z``
(``2024-01-01T00:00:00.000Z``), the format Mastodon clients parse too. New serializers get it
without doing anything.
"""

from datetime import UTC, datetime

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
    encoder_class = JSONEncoder
