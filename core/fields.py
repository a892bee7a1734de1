"""Serializer fields and id parsing shared by every app's API.

Ids are 64-bit integers that JavaScript numbers cannot hold, so they travel as strings; clients may
send them back as strings or as integers. ``parse_id`` is the one rule for what a client-sent id is.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

MAX_ID = 2**63 - 1  # ids are signed 64-bit integers in the database
ID_SCHEMA = {"type": "string", "pattern": "^[0-9]{1,19}$", "example": "912878538340905458"}


def parse_id(value) -> int | None:
    """The id a client sent (a string of digits, or an integer), or None when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class StrictCharField(serializers.CharField):
    """A CharField that accepts only JSON strings (DRF's own also turns numbers into text)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OptionalBooleanField(serializers.BooleanField):
    """A flag that is None when left out, of a form as of JSON (DRF's own reads a form without
    it as False, as an unticked box): for an edit that leaves what it is not given as it is. A
    form's box can set it, not clear it (an unticked box sends nothing): JSON can."""

    default_empty_html = empty

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, default=None, **kwargs)


class OptionalCharField(StrictCharField):
    """Text an edit may leave out: None when not given, and a box left empty in an HTML form (a
    form always sends its boxes) counts as not given."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, allow_blank=True, default=None, **kwargs)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        return empty if html.is_html_input(dictionary) and value == "" else value


@extend_schema_field(ID_SCHEMA)
class IdField(serializers.CharField):
    """Ids are strings in JSON: 64-bit integers do not survive JavaScript numbers."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value)


@extend_schema_field({**ID_SCHEMA, "nullable": True})
class IdReferenceField(serializers.Field):
    """An id given as a JSON string of digits (as the API returns them) or as an integer."""

    default_error_messages = {"invalid": "Must be an id: a string of digits."}

    def to_internal_value(self, data):
        number = parse_id(data)
        if number is None:
            self.fail("invalid")
        return number


class IdListField(serializers.ListField):
    """A list of ids (strings of digits or integers). In an HTML form, where a list cannot be
    typed, the ids may be given in one text box: ``12, 34``; a box left empty is the field left
    out (its default), as a form cannot tell "none" from "not given"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", IdReferenceField(allow_null=False))
        kwargs.setdefault("style", {"template": "core/id_list_input.html", "placeholder": "12, 34"})
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            ids = [
                part
                for value in dictionary.getlist(self.field_name)
                for part in value.replace(",", " ").split()
            ]
            return ids or empty
        return super().get_value(dictionary)
