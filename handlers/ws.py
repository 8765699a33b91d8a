"""The WebSocket protocol of API.md: `/ws` (every conversation) and `/ws/chat/{id}/` (one)."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.ioloop
import tornado.websocket
from bson import ObjectId
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from pymongo.errors import ConnectionFailure

from hypee.errors import (
    ApiError,
    field_error,
    not_found,
    unauthorized,
    unavailable,
    validation_error,
)
from hypee.ids import parse_object_id
from hypee.jsonio import dumps, loads
from hypee.openapi import Operation
from hypee.ratelimit import RateLimiter
from hypee.realtime.hub import CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED
from hypee.services import Services
from models import conversations, messages, sessions, users
from models.fields import ObjectIdField, StrictInteger

log = logging.getLogger("hypee.ws")

RESUME_LIMIT = 500
KERNEL_SEND_BUFFER = 128 * 1024
MAX_RESUME_CONVERSATIONS = 1000
TYPING_INTERVAL_SECONDS = 2.0
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_NOT_PARTICIPANT = 4404
CLOSE_RATE_LIMITED = 4429


class ConversationFrameSchema(Schema):
    conversation_id = ObjectIdField(required=True)


class MessageFrameSchema(messages.NewMessageSchema, ConversationFrameSchema):
    pass


class ReadFrameSchema(ConversationFrameSchema):
    seq = StrictInteger(required=True, validate=validate.Range(min=0))


class ResumeFrameSchema(Schema):
    cursors = fields.Dict(
        keys=fields.String(),
        values=StrictInteger(validate=validate.Range(min=0)),
        required=True,
        validate=validate.Length(max=MAX_RESUME_CONVERSATIONS),
    )


class SocketHandler(tornado.websocket.WebSocketHandler):
    """One client device's socket. Frames of one socket are handled one at a time, in order."""

    # The upgrade itself needs no token: the first frame authenticates.
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "WebSocket (upgrade)",
            response={"type": "string"},
            status=101,
            content_type="text/plain",
            description="The real-time protocol of API.md's WebSocket section: send "
            '`{"type": "auth", "token": ...}` within 10 s, then JSON frames. `/ws` carries every '
            "conversation and notifications; `/ws/chat/{conversation_id}/` one conversation.",
        )
    }

    def initialize(self, route: str) -> None:
        self.route = route
        self.request_id = uuid.uuid4().hex
        self.identity = None
        self.user_id: ObjectId | None = None
        self.session_id: ObjectId | None = None
        self.scope: ObjectId | None = None
        self._scope_text: str | None = None
        self._pending_bytes = 0
        self._closing = False
        self._joined = False
        self._auth_timer: object = None
        self._participants: dict[ObjectId, list[ObjectId]] = {}
        self._typing_sent: dict[ObjectId, float] = {}
        self._rejections: RateLimiter | None = None

    @property
    def services(self) -> Services:
        return self.application.settings["services"]

    def check_origin(self, origin: str) -> bool:
        # The token travels in the first frame, never in a cookie, so a page on another origin
        # cannot borrow a user's session; configured origins and same-host pages may connect.
        allowed = self.services.settings.cors_origins
        return "*" in allowed or origin in allowed or super().check_origin(origin)

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, conversation_id: str | None = None) -> None:
        self._scope_text = conversation_id
        # A bounded kernel send buffer keeps most unsent bytes in our own, counted buffer,
        # so a client that stops reading is noticed (and closed with 1013) early.
        stream = self.ws_connection.stream if self.ws_connection else None
        if stream is not None and stream.socket is not None:
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
        self._auth_timer = tornado.ioloop.IOLoop.current().call_later(
            self.services.settings.ws_auth_seconds,
            self.close_with,
            CLOSE_AUTH_TIMEOUT,
            "no auth frame in time",
        )

    def on_close(self) -> None:
        self._closing = True
        self._cancel_auth_timer()
        if self._joined:
            self._joined = False
            tornado.ioloop.IOLoop.current().add_callback(self.services.hub.leave, self)

    def _cancel_auth_timer(self) -> None:
        if self._auth_timer is not None:
            tornado.ioloop.IOLoop.current().remove_timeout(self._auth_timer)
            self._auth_timer = None

    # -- the hub's side (hypee.realtime.hub.Connection) ------------------------------------

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

    def close_with(self, code: int, reason: str) -> None:
        self._closing = True
        self._cancel_auth_timer()
        self.close(code, reason)

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.deliver(dumps(frame).encode())

    def send_error(self, error: ApiError, ref: Any = None) -> None:
        frame = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
        if error.fields is not None:
            frame["fields"] = error.fields
        self.send_frame(frame)

    # -- frames ----------------------------------------------------------------------------

    async def on_message(self, message: str | bytes) -> None:
        if self._closing:
            return
        frame = self._parse(message)
        if frame is None:
            return
        kind = frame.get("type")
        if self.user_id is None:
            if kind != "auth":
                self.close_with(CLOSE_UNAUTHORIZED, "send an auth frame first")
                return
            await self._authenticate(frame)
            return
        handler = self._handlers().get(kind)
        ref = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
        if handler is None:
            self.send_error(field_error("type", f"Unknown frame type {kind!r}."), ref)
            return
        try:
            await handler(frame)
        except ApiError as error:
            self.send_error(error, ref)
            if error.code == "rate_limited":
                await self._count_rejection()
        except ConnectionFailure:
            self.send_error(unavailable(), ref)
        except Exception:
            log.exception("frame failed", extra={"frame_type": kind, "user_id": str(self.user_id)})
            self.send_error(ApiError("internal", "Something went wrong on our side."), ref)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "message": self._message,
            "resume": self._resume,
            "typing": self._typing,
            "read": self._read,
            "ping": self._ping,
        }

    def _parse(self, message: str | bytes) -> dict[str, Any] | None:
        if isinstance(message, bytes):
            self.send_error(ApiError("invalid_json", "Send JSON text frames, not binary ones."))
            return None
        try:
            frame = loads(message)
        except ValueError:
            self.send_error(ApiError("invalid_json", "The frame is not valid JSON."))
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self.send_error(field_error("type", "A frame is a JSON object with a string type."))
            return None
        return frame

    def _load(self, schema: Schema, frame: dict[str, Any]) -> dict[str, Any]:
        if self.scope is not None and "conversation_id" in schema.fields:
            given = frame.get("conversation_id", self._scope_text)
            if given != self._scope_text:
                raise not_found("conversation")
            frame = {**frame, "conversation_id": given}
        try:
            return schema.load({k: v for k, v in frame.items() if k != "type"}, unknown=EXCLUDE)
        except ValidationError as exc:
            raise validation_error(exc.messages) from None

    async def _authenticate(self, frame: dict[str, Any]) -> None:
        services = self.services
        token = frame.get("token")
        try:
            if not isinstance(token, str):
                raise unauthorized("The auth frame needs a token.")
            identity = services.tokens.verify_access(token)
            if not await sessions.is_active(services.db, identity.session_id):
                raise unauthorized("This login has ended.")
            user = await users.get_user(services.db, identity.user_id)
            if user is None:
                raise unauthorized("This account no longer exists.")
        except ApiError:
            self.close_with(CLOSE_UNAUTHORIZED, "invalid token")
            return
        if self._scope_text is not None:
            scope = parse_object_id(self._scope_text)
            try:
                if scope is None:
                    raise not_found("conversation")
                self._participants[scope] = await conversations.participants_of(
                    services.db, scope, identity.user_id
                )
            except ApiError:
                self.close_with(CLOSE_NOT_PARTICIPANT, "not a participant")
                return
            self.scope = scope
        if self._closing:
            return
        self._cancel_auth_timer()
        self.identity = identity
        self.user_id, self.session_id = identity.user_id, identity.session_id
        self._rejections = RateLimiter(max(10, services.settings.send_rate_per_10s), 10)
        await services.hub.join(self)
        self._joined = True
        if self._closing:  # the client left while we were joining
            self._joined = False
            await services.hub.leave(self)
            return
        self.send_frame({"type": "ready", "user": users.private_view(user)})
        await self._initial_presence()

    async def _initial_presence(self) -> None:
        services = self.services
        if self.scope is not None:
            peers = [p for p in self._participants[self.scope] if p != self.user_id]
        else:
            peers = await conversations.peers(services.db, self.user_id)
        for peer in await services.hub.online(peers):
            self.send_frame({"type": "presence", "user_id": str(peer), "online": True})

    async def _count_rejection(self) -> None:
        # Rejected sends answer with error frames; a client that keeps going is disconnected.
        if self._rejections is not None and await self._rejections.hit("sends") is not None:
            self.close_with(CLOSE_RATE_LIMITED, "rate limited")

    async def _participants_of(self, conversation_id: ObjectId) -> list[ObjectId]:
        # Membership never changes once a conversation exists, so a socket may remember it.
        if conversation_id not in self._participants:
            self._participants[conversation_id] = await conversations.participants_of(
                self.services.db, conversation_id, self.user_id
            )
        return self._participants[conversation_id]

    async def _message(self, frame: dict[str, Any]) -> None:
        services = self.services
        data = self._load(MessageFrameSchema(), frame)
        await services.check_send_rate(self.user_id)
        client_id = data["client_id"]
        sent = await messages.post(
            services.db,
            services.hub,
            services.storage,
            data["conversation_id"],
            self.user_id,
            data,
            ack=lambda view: self.send_frame(
                {"type": "ack", "client_id": client_id, "message": view}
            ),
            origin=self,
        )
        if sent.created:
            services.metrics.messages_stored.inc()

    async def _resume(self, frame: dict[str, Any]) -> None:
        cursors = self._load(ResumeFrameSchema(), frame)["cursors"]
        for key, after in cursors.items():
            conversation_id = parse_object_id(key)
            try:
                if conversation_id is None or (self.scope and conversation_id != self.scope):
                    raise not_found("conversation")
                views, gap_after = await messages.missed(
                    self.services.db, conversation_id, self.user_id, after, RESUME_LIMIT
                )
            except ApiError as error:
                self.send_error(error, key)
                continue
            # Awaited writes: a large catch-up waits for the client instead of overflowing.
            for view in views:
                await self._write({"type": "message", "message": view})
            if gap_after is not None:
                await self._write({"type": "gap", "conversation_id": key, "after": gap_after})
        await self._write({"type": "resumed"})

    async def _write(self, frame: dict[str, Any]) -> None:
        await self.write_message(dumps(frame).encode())

    async def _typing(self, frame: dict[str, Any]) -> None:
        conversation_id = self._load(ConversationFrameSchema(), frame)["conversation_id"]
        participants = await self._participants_of(conversation_id)
        now = time.monotonic()
        if now - self._typing_sent.get(conversation_id, 0.0) < TYPING_INTERVAL_SECONDS:
            return  # coalesced: the others were told a moment ago
        self._typing_sent[conversation_id] = now
        await self.services.hub.publish(
            participants,
            {
                "type": "typing",
                "conversation_id": str(conversation_id),
                "user_id": str(self.user_id),
            },
            conversation_id=conversation_id,
            exclude_user=self.user_id,
        )

    async def _read(self, frame: dict[str, Any]) -> None:
        data = self._load(ReadFrameSchema(), frame)
        services = self.services
        await conversations.mark_read(
            services.db, services.hub, data["conversation_id"], self.user_id, data["seq"]
        )

    async def _ping(self, frame: dict[str, Any]) -> None:
        self.send_frame({"type": "pong"})
