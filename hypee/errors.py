"""The API error type: one exception that every layer raises and handlers render as JSON."""

from __future__ import annotations

from typing import Any

STATUS_CODES = {
    "validation_error": 400,
    "invalid_json": 400,
    "bad_request": 400,
    "unauthorized": 401,
    "token_expired": 401,
    "forbidden": 403,
    "email_unverified": 403,
    "blocked": 403,
    "suspended": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "at_capacity": 409,
    "pending_limit": 409,
    "slot_taken": 409,
    "too_late": 409,
    "stale": 410,
    "payload_too_large": 413,
    "uri_too_long": 414,
    "rate_limited": 429,
    "headers_too_large": 431,
    "internal": 500,
    "unavailable": 503,
    "busy": 503,
    "insufficient_storage": 507,
}

# The code a bare HTTP status maps to when the error did not come from our own code.
CODE_FOR_STATUS = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "stale",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
    507: "insufficient_storage",
}


class ApiError(Exception):
    """An error with an API code (docs/api.md, "Errors"), a message and optional field errors."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = STATUS_CODES[code]
        self.message = message
        self.fields = fields
        self.retry_after = retry_after
        self.extra = extra or {}

    def to_json(self) -> dict[str, Any]:
        """The error body of docs/api.md: {"error": {"code", "message", "fields"?, ...}}
        (`extra` adds what one code documents, e.g. `until` of `suspended`)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.fields is not None:
            body["fields"] = self.fields
        return {"error": body}


def validation_error(
    fields: dict[str, Any], message: str = "The request is not valid."
) -> ApiError:
    """A 400 naming what is wrong with each field."""
    return ApiError("validation_error", message, fields=fields)


def field_error(name: str, problem: str) -> ApiError:
    """A 400 with a single field error."""
    return validation_error({name: [problem]})


def not_found(what: str = "resource") -> ApiError:
    """A 404; also the answer for resources the caller may not see."""
    return ApiError("not_found", f"No such {what}.")


def unauthorized(message: str = "Authentication required.") -> ApiError:
    return ApiError("unauthorized", message)


def forbidden(message: str) -> ApiError:
    return ApiError("forbidden", message)


def conflict(message: str) -> ApiError:
    return ApiError("conflict", message)


def rate_limited(
    retry_after: int, message: str = "Too many attempts; try again later."
) -> ApiError:
    return ApiError("rate_limited", message, retry_after=max(1, retry_after))


def stale(message: str = "These changes are no longer known here; fetch it anew.") -> ApiError:
    """A 410: what the client holds cannot be brought up to date by changes; refetch."""
    return ApiError("stale", message)


def unavailable(message: str = "The database is unavailable; try again shortly.") -> ApiError:
    """A 503: a backing service does not answer."""
    return ApiError("unavailable", message)


def insufficient_storage(message: str) -> ApiError:
    """A 507: there is no room left to keep what the client sent."""
    return ApiError("insufficient_storage", message)
