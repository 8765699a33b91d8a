"""Requests past the server's limits, answered in JSON before the application sees them.

Tornado closes the connection without a word on a header block over its read limit, and
answers a body it cannot frame (a negative or doubled Content-Length, an unknown
Transfer-Encoding) with a bare `400 Bad Request`. `RequestLimits` wraps the application: it
lets Tornado read header blocks up to `READ_LIMIT`, and answers
- a request target longer than `MAX_URL_BYTES` with 414 `uri_too_long`,
- a header block larger than `MAX_HEADER_BYTES` with 431 `headers_too_large`,
- a body it cannot frame with 400 `bad_request`, one over the server's largest with 413,
each with the API's JSON error body and `Connection: close` (what follows on the connection
cannot be trusted). Past `READ_LIMIT` Tornado still closes the connection unanswered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from http import HTTPStatus

from tornado import httputil

from hypee.errors import ApiError
from hypee.jsonio import dumps

log = logging.getLogger("hypee.access")

MAX_URL_BYTES = 32 * 1024
MAX_HEADER_BYTES = 64 * 1024
READ_LIMIT = 1024 * 1024  # Tornado's max_header_size: what it reads before giving up
_DIGITS = re.compile(r"[0-9]{1,18}")


def framing_problem(headers: httputil.HTTPHeaders) -> str | None:
    """Why the body of a request with these headers cannot be read (as Tornado would refuse
    it), or None."""
    lengths = headers.get_list("Content-Length")
    if "Transfer-Encoding" in headers:
        if lengths:
            return "A request cannot have both Content-Length and Transfer-Encoding."
        if headers["Transfer-Encoding"].strip().lower() != "chunked":
            return "Transfer-Encoding must be chunked (the only one the server reads)."
        return None
    values = {piece.strip() for value in lengths for piece in value.split(",")}
    if len(values) > 1:
        return "Content-Length is given more than once, with different values."
    if values and not _DIGITS.fullmatch(next(iter(values))):
        return "Content-Length must be a non-negative whole number of bytes."
    return None


def refusal(
    start_line: httputil.RequestStartLine, headers: httputil.HTTPHeaders, max_body_size: int
) -> ApiError | None:
    """The answer for a request past the limits, or None when it may go on."""
    if len(start_line.path) > MAX_URL_BYTES:
        return ApiError(
            "uri_too_long", f"The URL is longer than {MAX_URL_BYTES} bytes; send less in it."
        )
    header_bytes = sum(len(name) + len(value) + 4 for name, value in headers.get_all())
    if header_bytes > MAX_HEADER_BYTES:
        return ApiError(
            "headers_too_large",
            f"The request's headers are larger than {MAX_HEADER_BYTES} bytes in all.",
        )
    problem = framing_problem(headers)
    if problem:
        return ApiError("bad_request", problem)
    length = headers.get("Content-Length", "0").split(",")[0].strip()
    if int(length or 0) > max_body_size:
        return ApiError(
            "payload_too_large", f"The request body is larger than {max_body_size} bytes."
        )
    return None


class RequestLimits(httputil.HTTPServerConnectionDelegate):
    """The application behind the limits above (pass it to HTTPServer instead of the app)."""

    def __init__(
        self, application: httputil.HTTPServerConnectionDelegate, max_body_size: int
    ) -> None:
        self.application = application
        self.max_body_size = max_body_size

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        inner = self.application.start_request(server_conn, request_conn)
        return _Guard(inner, request_conn, self.max_body_size)

    def on_close(self, server_conn: object) -> None:
        self.application.on_close(server_conn)


class _Guard(httputil.HTTPMessageDelegate):
    """One request: refused here, or passed through to the application untouched."""

    def __init__(
        self,
        inner: httputil.HTTPMessageDelegate,
        connection: httputil.HTTPConnection,
        max_body_size: int,
    ) -> None:
        self.inner = inner
        self.connection = connection
        self.max_body_size = max_body_size
        self.refused = False

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, httputil.RequestStartLine)
        error = refusal(start_line, headers, self.max_body_size)
        if error is None:
            return self.inner.headers_received(start_line, headers)
        self.refused = True
        self._answer(error)
        # Tornado reads the body next: tell it there is none, so it neither fails on the
        # framing (and writes its own bare 400 after ours) nor reads what will be dropped.
        for name in ("Content-Length", "Transfer-Encoding"):
            if name in headers:
                del headers[name]
        headers["Content-Length"] = "0"
        log.info(
            "request refused",
            extra={"method": start_line.method, "status": error.status, "error": error.message},
        )
        return None

    def _answer(self, error: ApiError) -> None:
        body = dumps(error.to_json()).encode()
        answer_headers = httputil.HTTPHeaders(
            {
                "Content-Type": "application/json; charset=utf-8",
                "Content-Length": str(len(body)),
                "Cache-Control": "no-store",
                "Connection": "close",
            }
        )
        start = httputil.ResponseStartLine(
            "HTTP/1.1", error.status, HTTPStatus(error.status).phrase
        )
        self.connection.write_headers(start, answer_headers, body)
        self.connection.finish()

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return None if self.refused else self.inner.data_received(chunk)

    def finish(self) -> None:
        if not self.refused:
            self.inner.finish()

    def on_connection_close(self) -> None:
        if not self.refused:
            self.inner.on_connection_close()
