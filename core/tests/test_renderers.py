"""The JSON renderer writes what DRF's own JSON renderer writes, only faster."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONEncoder, JSONRenderer


def sample():
    moment = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    return ReturnDict(
        {
            "id": "1234",
            "text": "line\u2028separator and 한국어 and \u2029",
            "created_at": moment,
            "price": Decimal("1.50"),
            "key": uuid.UUID(int=5),
            "message": gettext_lazy("This field is required."),
            "items": ReturnList([{"n": 1, "ok": True, "none": None}], serializer=None),
        },
        serializer=None,
    )


class ReferenceRenderer(renderers.JSONRenderer):
    encoder_class = JSONEncoder


def test_output_is_byte_for_byte_what_drf_writes():
    assert JSONRenderer().render(sample()) == ReferenceRenderer().render(sample())


def test_timestamps_have_milliseconds_and_z():
    body = json.loads(JSONRenderer().render(sample()))
    assert body["created_at"] == "2024-01-02T03:04:05.678Z"


def test_indentation_asked_for_is_honoured():
    body = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert body == b'{\n  "a": [\n    1\n  ]\n}'
