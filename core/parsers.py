"""Request body parsers that refuse what the database or the password hasher cannot take.

DRF's parsers accept JSON nested thousands of levels deep (Python's decoder then raises
``RecursionError``: a 500), lone UTF-16 surrogates (``"\\ud800"``: valid JSON, but no UTF-8 text,
so PostgreSQL and Argon2 fail on it) and NUL characters (PostgreSQL text cannot hold them), and
Django reads a form whose %-escapes are no UTF-8 (``text=a%ff``) as U+FFFD in their place, saving
something else than was sent. These parsers turn each into a 400 before any view sees the data.
"""

import codecs
from urllib.parse import parse_qsl

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

MAX_JSON_DEPTH = 32


def text_problem(text: str) -> tuple[str, str] | None:
    """Why ``text`` cannot be stored (code, message), or None when it can."""
    if "\x00" in text:
        return "null_characters_not_allowed", "Null characters are not allowed."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate_characters_not_allowed", "Unpaired surrogate characters are not allowed."
    return None


def form_encoding_problem(raw: bytes) -> tuple[str, str] | None:
    """Why form-encoded text (a body, a query string) is not UTF-8 once its %-escapes are
    decoded (code, message), or None when it is."""
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return "invalid_utf8", "Text must be UTF-8: a %-escape or byte here is not."
    return None


def check_data(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise a 400 when parsed data nests deeper than ``max_depth`` or holds text that cannot be
    stored; the error names the field (``media_ids.0``)."""
    stack = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            raise ParseError(f"JSON nested deeper than {max_depth} levels.")
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                code, message = problem
                raise ValidationError({path or "non_field_errors": [message]}, code=code)
        elif isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                problem = text_problem(key)
                if problem:
                    raise ValidationError({"non_field_errors": [problem[1]]}, code=problem[0])
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{path}.{index}" if path else str(index), depth + 1))


def form_values(query_dict) -> dict:
    """A QueryDict as plain data: one value as itself, repeated ones as a list."""
    return {key: values[0] if len(values) == 1 else values for key, values in query_dict.lists()}


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        check_data(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        body = stream.read()
        if codecs.lookup(encoding).name == "utf-8":
            problem = form_encoding_problem(body)
            if problem:
                raise ValidationError({"non_field_errors": [problem[1]]}, code=problem[0])
        data = QueryDict(body, encoding=encoding)
        check_data(form_values(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_data(form_values(result.data))
        return result
