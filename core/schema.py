"""OpenAPI generation: every operation lists the errors it can answer, in the one error shape.

drf-spectacular documents success responses; this schema class adds each operation's 4xx (and the
503 of an unavailable dependency) with the ``Error`` component of ``core.exceptions`` and a
realistic example, so clients and schema-driven tests know every status they may receive.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from core import idempotency
from core.exceptions import VALIDATION_CODE
from core.fields import ID_SCHEMA

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error has this shape; `code` is stable and machine-readable.",
    "required": ["code", "detail"],
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "detail": {"type": "string", "example": "text: This field is required."},
        "fields": {
            "type": "object",
            "description": "Validation errors only: each invalid field (nested ones as "
            "`media_ids.0`) with its errors.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "detail"],
                    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    },
}

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}

# status -> (description, code, detail, headers)
ERRORS = {
    "401": (
        "Missing, expired, forged or revoked credentials.",
        "not_authenticated",
        "Authentication credentials were not provided.",
        None,
    ),
    "403": (
        "Not allowed to do this (e.g. someone else's tweet).",
        "permission_denied",
        "You do not have permission to perform this action.",
        None,
    ),
    "404": ("No such object (or not visible to the caller).", "not_found", "Not found.", None),
    "409": (
        "This `Idempotency-Key` was used with another request.",
        "idempotency_key_reused",
        "This Idempotency-Key was used with another request.",
        None,
    ),
    "413": (
        "Request body too large.",
        "request_too_large",
        "Request body too large: at most 65536 bytes are accepted.",
        None,
    ),
    "414": (
        "Request line too long (refused by the server before the API sees it).",
        "uri_too_long",
        "Request line too long.",
        None,
    ),
    "415": (
        "Unsupported content type.",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
        None,
    ),
    "429": (
        "Too many requests; wait `Retry-After` seconds.",
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
        _RETRY_AFTER,
    ),
    "503": (
        "A dependency (database, media store) is unavailable; nothing was changed.",
        "service_unavailable",
        "Service unavailable; nothing was saved. Try again later.",
        _RETRY_AFTER,
    ),
}


PATH_PARAMETERS = {
    "id": ID_SCHEMA,
    "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,30}$", "example": "minji"},
}


class AutoSchema(SpectacularAutoSchema):
    def _is_idempotent(self) -> bool:
        """Whether the operation's handler honours ``Idempotency-Key`` (``core.idempotency``)."""
        action = getattr(self.view, "action", None)
        handler = getattr(self.view, action or self.method.lower(), None)
        return getattr(handler, "idempotent", False)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters = [*parameters, idempotency.SCHEMA_PARAMETER]
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] in PATH_PARAMETERS:
                parameter["schema"] = dict(PATH_PARAMETERS[parameter["name"]])
        return parameters

    def _error_ref(self):
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, schema=ERROR_SCHEMA, object="Error"
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _has_request_body(self) -> bool:
        return self.method in UNSAFE_METHODS and self.get_request_serializer() is not None

    def _error_statuses(self) -> list[str]:
        statuses = ["400", "401"]
        if self.method in UNSAFE_METHODS:
            statuses.append("403")
        if "{" in self.path:
            statuses.append("404")
        if self._is_idempotent():
            statuses.append("409")
        if self._has_request_body():
            statuses += ["413", "415"]
        if self.method in UNSAFE_METHODS:
            statuses.append("429")
        statuses.append("414")  # any address can be longer than the server reads
        statuses.append("503")
        return sorted(statuses)

    def _validation_example(self) -> dict:
        field, code, message = "limit", "invalid", "Must be a positive integer."
        serializer = self.get_request_serializer() if self._has_request_body() else None
        if isinstance(serializer, serializers.Serializer):
            writable = [
                (name, item) for name, item in serializer.fields.items() if not item.read_only
            ]
            required = [(name, item) for name, item in writable if item.required]
            if required or writable:
                field = (required or writable)[0][0]
                code, message = "required", "This field is required."
        elif self.method in UNSAFE_METHODS:
            return {"code": VALIDATION_CODE, "detail": "Invalid input.", "fields": {}}
        return {
            "code": VALIDATION_CODE,
            "detail": f"{field}: {message}",
            "fields": {field: [{"code": code, "detail": message}]},
        }

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self._error_statuses():
            if status_code in responses and responses[status_code].get("content"):
                continue
            if status_code == "400":
                description, example = "Invalid input or parameters.", self._validation_example()
                headers = None
            else:
                description, code, detail, headers = ERRORS[status_code]
                example = {"code": code, "detail": detail}
            response = {
                "description": responses.get(status_code, {}).get("description") or description,
                "content": {"application/json": {"schema": self._error_ref(), "example": example}},
            }
            if headers:
                response["headers"] = headers
            responses[status_code] = response
        return responses
