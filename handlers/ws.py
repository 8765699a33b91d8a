"""The WebSocket connection: `/ws` (every conversation) and `/ws/chat/{id}/` (one).

This class is the transport: it opens and closes the socket, applies backpressure to what
it sends, and hands every frame it receives to the frame protocol (handlers/frames.py).
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from typing import Any, cast

import tornado.httputil
import tornado.ioloop
import tornado.websocket
from bson import ObjectId

from handlers.common import error_answer, origin_allowed, services_of
from handlers.frames import FrameProtocol
from handlers.keepalive import Keepalive
from hypee.errors import ApiError, field_error
from hypee.jsonio import dumps
from hypee.openapi import Operation
from hypee.realtime.hub import CLOSE_TOO_SLOW
from services.container import Services

KERNEL_SEND_BUFFER = 128 * 1024
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_PING_TIMEOUT = 1001  # going away: the client stopped answering pings


class SocketHandler(tornado.websocket.WebSocketHandler):
    """One client device's socket; the hub delivers to it (hypee.realtime.hub.Connection)."""

    # The upgrade itself needs no token: the first frame authenticates.
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "WebSocket (upgrade)",
            response={"type": "string"},
            status=101,
            content_type="text/plain",
            errors=(400, 405),
            description="The real-time protocol of the API reference's WebSocket section: send "
            '`{"type": "auth", "token": ...}` within 10 s, then JSON frames. `/ws` carries every '
            "conversation and notifications; `/ws/chat/{conversation_id}/` one conversation.",
        )
    }

    def initialize(self, route: str) -> None:
        self.route = route
        self.request_id = uuid.uuid4().hex
        self.protocol: FrameProtocol | None = None
        self._pending_bytes = 0
        self._closing = False
        self._auth_timer: object = None

    @property
    def services(self) -> Services:
        return services_of(self.application)

    @property
    def keepalive(self) -> Keepalive:
        return cast(Keepalive, self.application.settings["keepalive"])

    def check_origin(self, origin: str) -> bool:
        # The token travels in the first frame, never in a cookie, so a page on another origin
        # cannot borrow a user's session; configured origins and same-host pages may connect.
        return origin_allowed(self.services, origin) or super().check_origin(origin)

    # -- plain HTTP requests on the route: JSON answers, as everywhere ------------------------

    async def get(self, *args: Any, **kwargs: Any) -> None:
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            self._answer(
                field_error("Upgrade", "This route speaks WebSocket: ask to upgrade to it.")
            )
            return
        await super().get(*args, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exception = exc_info[1] if exc_info else None
        self._answer(error_answer(status_code, exception, self.request.method, self.request_id))

    def _answer(self, error: ApiError) -> None:
        self.clear()
        self.set_status(error.status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if error.code == "method_not_allowed":
            self.set_header("Allow", "GET")
        self.finish(dumps(error.to_json()))

    # -- what the hub and the protocol see ---------------------------------------------------

    @property
    def user_id(self) -> ObjectId | None:
        identity = self.protocol.identity if self.protocol else None
        return identity.user_id if identity else None

    @property
    def session_id(self) -> ObjectId | None:
        identity = self.protocol.identity if self.protocol else None
        return identity.session_id if identity else None

    @property
    def scope(self) -> ObjectId | None:
        return self.protocol.scope if self.protocol else None

    @property
    def closing(self) -> bool:
        return self._closing

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self, conversation_id: str | None = None) -> None:
        self.protocol = FrameProtocol(self.services, self, conversation_id)
        self.keepalive.watch(self)
        # Frames are small and each one matters at once: no Nagle delay (up to 40 ms with the
        # peer's delayed ACKs).
        self.set_nodelay(True)
        # A bounded kernel send buffer keeps most unsent bytes in our own, counted buffer,
        # so a client that stops reading is noticed (and closed with 1013) early.
        stream = self.ws_connection.stream if self.ws_connection else None
        if stream is not None and stream.socket is not None:
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
        self._auth_timer = tornado.ioloop.IOLoop.current().call_later(
            self.services.settings.ws_auth_seconds,
            self._auth_timed_out,
        )
        # The upgrade's headers, both ways, are read no more: kept for the socket's life they
        # would cost a few KB per socket (emptied in place: Tornado's reader holds them too).
        for name in list(self.request.headers):
            del self.request.headers[name]
        self._headers = tornado.httputil.HTTPHeaders()

    def _auth_timed_out(self) -> None:
        if self.protocol is None or self.protocol.identity is None:
            self.close_with(CLOSE_AUTH_TIMEOUT, "no auth frame in time")

    async def on_message(self, message: str | bytes) -> None:
        if self.protocol is not None:
            await self.protocol.receive(message)
            if self.protocol.identity is not None:
                self._cancel_auth_timer()

    def on_close(self) -> None:
        self._closing = True
        self.keepalive.forget(self)
        self._cancel_auth_timer()
        if self.protocol is not None:
            tornado.ioloop.IOLoop.current().add_callback(self.protocol.leave)

    def on_pong(self, data: bytes) -> None:
        self.keepalive.pong(self)

    def send_ping(self) -> None:
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            self.ping()

    def ping_timed_out(self) -> None:
        self.close_with(CLOSE_PING_TIMEOUT, "ping timed out")

    def _cancel_auth_timer(self) -> None:
        if self._auth_timer is not None:
            tornado.ioloop.IOLoop.current().remove_timeout(self._auth_timer)
            self._auth_timer = None

    def close_with(self, code: int, reason: str) -> None:
        self._closing = True
        self._cancel_auth_timer()
        self.close(code, reason)

    # -- sending -----------------------------------------------------------------------------

    def deliver(self, data: bytes) -> None:
        """Queue a frame; a socket whose unsent frames exceed the buffer is closed with 1013."""
        if self._closing:
            return
        size = len(data)
        if self._pending_bytes + size > self.services.settings.ws_buffer_bytes:
            self.services.metrics.slow_socket_closes.inc()
            self.close_with(CLOSE_TOO_SLOW, "reading too slowly; reconnect and resume")
            return
        try:
            future = self.write_message(data)
        except tornado.websocket.WebSocketClosedError:
            return
        self._pending_bytes += size

        def written(done: Any) -> None:
            self._pending_bytes -= size
            done.exception()  # retrieved, so a closed socket does not log "never retrieved"

        future.add_done_callback(written)

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.deliver(dumps(frame).encode())

    async def write_frame(self, frame: dict[str, Any]) -> None:
        """Write a frame and wait for it to be sent; a socket that closed meanwhile (the
        client left mid-resume) gets nothing more, and that is not an error."""
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            await self.write_message(dumps(frame).encode())
