"""Request bodies streamed in with a size limit that still lets the client read the answer."""

from __future__ import annotations

from typing import Any

from tornado.httputil import HTTPHeaders

from hypee.errors import ApiError, validation_error
from hypee.jsonio import LoneSurrogate, loads

JSON_BODY_LIMIT = 1024 * 1024
# Bodies over a handler's limit but under this one are read and discarded before the 413.
DRAIN_LIMIT = 32 * 1024 * 1024


def surrogate_error(error: LoneSurrogate) -> ApiError:
    """The answer for a lone surrogate: a validation error naming where it was."""
    return validation_error({error.path: ["Contains a lone surrogate: not valid Unicode text."]})


def _declared_length(headers: HTTPHeaders) -> int | None:
    """The Content-Length header as a number, or None when absent or not a number."""
    try:
        return int(headers.get("Content-Length", ""))
    except ValueError:
        return None


class BodyBuffer:
    """Keeps up to `limit` bytes of a body; past that it drops what it has and stays too large.

    A body over the limit is read to its end and discarded (up to DRAIN_LIMIT), so the client
    reliably gets the 413 answer instead of a reset connection.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.too_large = False

    def refuse_undrainable(self, headers: HTTPHeaders) -> None:
        """413 at once for a body too large even to drain (the connection closes after it)."""
        length = _declared_length(headers)
        if length is not None and length > max(self.limit, DRAIN_LIMIT):
            raise self.too_large_error()

    def check_length(self, headers: HTTPHeaders) -> None:
        """Look at Content-Length before any byte arrives: remember a body over the limit (its
        413 comes once it is drained), `invalid_json` when the header is not a number."""
        if not headers.get("Content-Length"):
            return
        length = _declared_length(headers)
        if length is None:
            raise ApiError("invalid_json", "Content-Length is not a number.")
        if length > self.limit:
            self.too_large = True

    def add(self, chunk: bytes) -> None:
        if self.too_large:
            return None
        if len(self.data) + len(chunk) > self.limit:
            self.too_large = True
            self.data = bytearray()
            return
        self.data.extend(chunk)

    def too_large_error(self) -> ApiError:
        return ApiError("payload_too_large", f"The request body is larger than {self.limit} bytes.")

    def json(self) -> Any:
        """The parsed JSON body; 413 when over the limit, `invalid_json` when not JSON."""
        if self.too_large:
            raise self.too_large_error()
        if not self.data:
            raise ApiError("invalid_json", "The request body is empty; send a JSON object.")
        try:
            return loads(bytes(self.data))
        except LoneSurrogate as error:
            raise surrogate_error(error) from None
        except ValueError:
            raise ApiError("invalid_json", "The request body is not valid JSON.") from None
