"""The HTTP layer every handler shares: JSON in and out, errors, auth, CORS, limits, logging."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable
from typing import Any

import tornado.web
from bson import ObjectId
from marshmallow import EXCLUDE, Schema, fields
from pymongo.errors import ConnectionFailure

from handlers.body import JSON_BODY_LIMIT, BodyBuffer
from handlers.common import error_answer, load, origin_allowed, schema_of, services_of
from hypee.auth import Identity, bearer_token
from hypee.embedded.documents import UndecodableDocument
from hypee.embedded.engine import StoreUnavailable
from hypee.errors import ApiError, not_found, unauthorized, validation_error
from hypee.ids import parse_object_id
from hypee.jsonio import dumps
from services.container import Services

log = logging.getLogger("hypee.http")
access_log = logging.getLogger("hypee.access")

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class EveryMethod(tuple[str, ...]):
    """Every method name. Tornado answers a method outside SUPPORTED_METHODS with a 405 before
    the request is read, which drops the connection; BaseHandler answers it itself (405 with
    `Allow`, once the request is read)."""

    def __contains__(self, method: object) -> bool:
        return True


def implemented_methods(handler_class: type[tornado.web.RequestHandler]) -> list[str]:
    """The HTTP methods a handler class answers (those it overrides)."""
    return [
        method
        for method in HTTP_METHODS
        if getattr(handler_class, method.lower())
        is not getattr(tornado.web.RequestHandler, method.lower())
    ]


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """JSON API handler. Subclasses implement get/post/...; everything else happens here.

    `public_methods` are answered without a token (a token, when sent, is still checked).
    Bodies are streamed into a BodyBuffer of `body_limit` bytes (handlers/body.py).
    """

    public_methods: frozenset[str] = frozenset()
    body_limit: int = JSON_BODY_LIMIT
    SUPPORTED_METHODS = EveryMethod()

    def initialize(self, route: str = "unmatched") -> None:
        self.route = route
        self.identity: Identity | None = None
        self.body = BodyBuffer(self.body_limit)
        self._counted = False
        incoming = self.request.headers.get("X-Request-ID", "")
        self.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        self._standard_headers()

    @property
    def services(self) -> Services:
        return services_of(self.application)

    @property
    def db(self) -> Any:
        return self.services.db

    @property
    def user_id(self) -> ObjectId:
        """The caller's user id (only on authenticated methods)."""
        assert self.identity is not None
        return self.identity.user_id

    # -- headers ---------------------------------------------------------------------------

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        if hasattr(self, "request_id"):
            self._standard_headers()

    def _standard_headers(self) -> None:
        """Request id and CORS headers; set again after Tornado clears headers for an error."""
        self.set_header("X-Request-ID", self.request_id)
        origin = self.request.headers.get("Origin")
        if origin is not None and origin_allowed(self.services, origin):
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Vary", "Origin")
            self.set_header("Access-Control-Expose-Headers", "Retry-After, X-Request-ID")

    # -- request lifecycle -----------------------------------------------------------------

    async def prepare(self) -> None:
        self.services.inflight.enter()
        self._counted = True
        self.body.refuse_undrainable(self.request.headers)
        try:
            self.body.check_length(self.request.headers)
            self._authorize(self.request.method or "GET")
        except (ApiError, tornado.web.HTTPError) as error:
            # Answer once the request is read, body or not: an answer written before Tornado has
            # read the whole request makes it close the connection, and a client that reuses it
            # (pooled, pipelined) sees a reset instead of its next answer.
            self._deferred_error = error
            setattr(self, (self.request.method or "get").lower(), self._raise_deferred_error)

    def _authorize(self, method: str) -> None:
        if method != "OPTIONS" and method not in implemented_methods(type(self)):
            raise tornado.web.HTTPError(405)
        if method != "OPTIONS":
            self.authorize_request(method)

    def authorize_request(self, method: str) -> None:
        """Check the caller may make this request: by default, a valid access token (optional
        on `public_methods`). Errors raised here are answered once the body has been read."""
        token = bearer_token(self.request.headers.get("Authorization"))
        if token is not None:
            self.identity = self.services.tokens.verify_access(token)
        elif method not in self.public_methods:
            raise unauthorized()

    def _raise_deferred_error(self, *args: Any, **kwargs: Any) -> None:
        raise self._deferred_error

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        self.body.add(chunk)
        return None

    def on_finish(self) -> None:
        self._leave()

    def on_connection_close(self) -> None:
        super().on_connection_close()  # fails the body's future, so the request ends
        self._leave()

    def _leave(self) -> None:
        if self._counted:
            self._counted = False
            self.services.inflight.leave()

    def options(self, *args: Any, **kwargs: Any) -> None:
        """CORS preflight."""
        if "Access-Control-Allow-Origin" in self._headers:
            self.set_header(
                "Access-Control-Allow-Methods", ", ".join(implemented_methods(type(self)))
            )
            self.set_header(
                "Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID"
            )
            self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    # -- input -----------------------------------------------------------------------------

    def compute_etag(self) -> None:
        """No ETag: API answers are `no-store`, and hashing every body costs time."""

    def load_body(self, schema: Schema | type[Schema]) -> dict[str, Any]:
        """The JSON object body validated by `schema`; `validation_error` names each bad field."""
        data = self.body.json()
        if not isinstance(data, dict):
            raise ApiError("invalid_json", "The request body must be a JSON object.")
        return load(schema, data)

    def load_query(self, schema: Schema | type[Schema]) -> dict[str, Any]:
        """The query string validated by `schema`; list fields take every repeated value."""
        schema = schema_of(schema)
        data: dict[str, Any] = {}
        try:
            for name, values in self.request.query_arguments.items():
                texts = [value.decode("utf-8") for value in values]
                is_list = isinstance(schema.fields.get(name), fields.List)
                data[name] = texts if is_list else texts[-1]
        except UnicodeDecodeError:
            raise validation_error({"_query": ["The query string is not valid UTF-8."]}) from None
        return load(schema, data, unknown=EXCLUDE)

    @staticmethod
    def path_id(value: str, what: str) -> ObjectId:
        """An id taken from the URL; an id that cannot exist is a 404 like an unknown one."""
        parsed = parse_object_id(value)
        if parsed is None:
            raise not_found(what)
        return parsed

    def base_url(self) -> str:
        """This server's address as the client reached it (for links it hands out)."""
        return f"{self.request.protocol}://{self.request.host}"

    def client_ip(self) -> str:
        return self.request.remote_ip or "unknown"

    # -- output ----------------------------------------------------------------------------

    def write_json(self, data: Any, status: int = 200) -> None:
        """Answer with `data` as JSON."""
        self.set_status(status)
        self.finish(dumps(data))

    def write_page(self, results: list[Any], next_cursor: str | None, **extra: Any) -> None:
        """Answer with one page of a list: {"results", "next_cursor", ...extra}."""
        self.write_json({"results": results, "next_cursor": next_cursor, **extra})

    def no_content(self, status: int = 204) -> None:
        """Answer 204 (or `status`: 202 accepted) with no body."""
        self.set_status(status)
        self.clear_header("Content-Type")
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = error_answer(
            status_code, exc_info[1] if exc_info else None, self.request.method, self.request_id
        )
        self._standard_headers()
        if error.retry_after is not None:
            self.set_header("Retry-After", str(error.retry_after))
        if error.code == "method_not_allowed":
            self.set_header("Allow", ", ".join([*implemented_methods(type(self)), "OPTIONS"]))
        self.set_status(error.status)
        self.finish(dumps(error.to_json()))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError | tornado.web.HTTPError):
            return
        if isinstance(value, StoreUnavailable | UndecodableDocument):
            return  # the engine logs the fault once (and when it is over)
        if isinstance(value, ConnectionFailure):
            log.warning(
                "database unavailable", extra={"request_id": self.request_id, "error": repr(value)}
            )
            return
        log.error(
            "unhandled error",
            exc_info=(typ, value, tb),
            extra={"request_id": self.request_id, "route": self.route},
        )


class NotFoundHandler(BaseHandler):
    """Every path no route matches: a JSON 404 (after the body, so the connection stays)."""

    def _authorize(self, method: str) -> None:
        raise ApiError("not_found", "No route matches this path.")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Application `log_function`: one structured access-log line and the request metrics."""
    services = services_of(handler.application)
    route = getattr(handler, "route", "unmatched")
    status = handler.get_status()
    seconds = handler.request.request_time()
    method = handler.request.method or "?"
    services.metrics.observe_request(route, method, status, seconds)
    identity = getattr(handler, "identity", None)
    access_log.info(
        "request",
        extra={
            "request_id": getattr(handler, "request_id", None),
            "method": method,
            "path": handler.request.path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "ip": handler.request.remote_ip,
            "user_id": str(identity.user_id) if identity else None,
        },
    )
