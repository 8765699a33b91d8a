"""What HTTP handlers and the WebSocket share: the services, origins, input and error mapping."""

from __future__ import annotations

import functools
from typing import Any, Literal

import tornado.web
from bson import ObjectId
from marshmallow import RAISE, Schema, ValidationError
from pymongo.errors import ConnectionFailure

from hypee.embedded.documents import UndecodableDocument
from hypee.embedded.engine import StoreUnavailable
from hypee.errors import CODE_FOR_STATUS, ApiError, unavailable, validation_error
from hypee.units import is_transient
from models import users
from services.container import Services


def services_of(application: tornado.web.Application) -> Services:
    """The process's services, as server/app.py put them into the application."""
    services: Services = application.settings["services"]
    return services


def origin_allowed(services: Services, origin: str | None) -> bool:
    """True when HYPEE_CORS_ORIGINS lets pages of `origin` call the API."""
    allowed = services.settings.cors_origins
    return bool(origin) and ("*" in allowed or origin in allowed)


@functools.cache
def _instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


def schema_of(schema: Schema | type[Schema]) -> Schema:
    """A schema instance; classes get one instance each, built once (building costs more than
    loading a small payload)."""
    return _instance(schema) if isinstance(schema, type) else schema


def load(
    schema: Schema | type[Schema],
    data: dict[str, Any],
    unknown: Literal["exclude", "include", "raise"] = RAISE,
) -> dict[str, Any]:
    """`data` validated by `schema`; a `validation_error` naming each bad field otherwise."""
    try:
        loaded: dict[str, Any] = schema_of(schema).load(data, unknown=unknown)
    except ValidationError as exc:
        messages = exc.messages
        fields = messages if isinstance(messages, dict) else {"_schema": messages}
        raise validation_error(fields) from None
    return loaded


def known_error(exc: BaseException | None) -> ApiError | None:
    """The API error an exception stands for (a database that does not answer is 503
    `unavailable`), or None for a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreUnavailable):
        doing = "read its data" if exc.reading else "save anything"
        return unavailable(
            f"The server cannot {doing} right now"
            f"{f' ({exc.reason})' if exc.reason else ''}; try again shortly."
        )
    if is_transient(exc):
        # Rolled back TRANSIENT_ATTEMPTS times (hypee/units.py): nothing of it was kept.
        return ApiError(
            "unavailable",
            "A change made at the same moment got in the way; try again.",
            retry_after=1,
        )
    if isinstance(exc, ConnectionFailure):
        return unavailable()
    if isinstance(exc, UndecodableDocument):
        return unavailable(
            "Part of the stored data this request needs is damaged; the operators have been told."
        )
    return None


def error_answer(
    status_code: int, exc: BaseException | None, method: str | None, request_id: str
) -> ApiError:
    """The JSON error to answer for a request that failed with `exc` (or Tornado's own
    `status_code`): ours as they are, Tornado's mapped to API codes, bugs as `internal`."""
    known = known_error(exc)
    if known is not None:
        return known
    if isinstance(exc, tornado.web.HTTPError) and status_code < 500:
        code = CODE_FOR_STATUS.get(status_code, "validation_error")
        message = {
            "method_not_allowed": f"{method} is not allowed on this route.",
            "not_found": "No route matches this path.",
        }.get(code, exc.reason or "The request is not valid.")
        return ApiError(code, message, fields={} if code == "validation_error" else None)
    return ApiError("internal", f"Something went wrong on our side (request id {request_id}).")


async def require_verified_email(services: Services, user_id: ObjectId) -> None:
    """403 `email_unverified` when this deployment requires a verified address to reach out
    (start a conversation, ask, answer) and the caller's is not."""
    if services.settings.verified_email_required and not await users.email_verified(
        services.db, user_id
    ):
        raise ApiError(
            "email_unverified",
            "Verify your email address first: open the link we sent you, or ask for a new one "
            "from the banner or in Settings.",
        )


async def require_may_reach_out(services: Services, user_id: ObjectId) -> None:
    """403 `suspended` for a suspended caller, then as `require_verified_email`: what
    reaching out to others (a conversation, a question, an answer, a report) needs."""
    await users.require_not_suspended(services.db, user_id)
    await require_verified_email(services, user_id)
