"""The WebSocket frame protocol of the API reference, apart from any socket.

`FrameProtocol` turns the frames one client sends into calls on the services and frames back,
through a `Peer` (handlers/ws.py's socket, or a fake one in tests). Frames of one socket are
handled one at a time, in order. The first frame must be `auth`; then `message`, `resume`,
`typing`, `read` and `ping`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bson import ObjectId
from marshmallow import EXCLUDE, Schema, fields, validate

from handlers.common import known_error, load
from hypee.auth import Identity
from hypee.errors import ApiError, field_error, not_found, unauthorized
from hypee.fields import ObjectIdField, StrictInteger
from hypee.ids import parse_object_id
from hypee.jsonio import loads
from hypee.ratelimit import RateLimiter
from hypee.realtime.hub import CLOSE_UNAUTHORIZED
from models import conversations, messages, sessions, users
from models.message_schemas import NewMessageSchema
from services.container import Services

log = logging.getLogger("hypee.ws")

RESUME_LIMIT = 500
MAX_RESUME_CONVERSATIONS = 1000
TYPING_INTERVAL_SECONDS = 2.0
CLOSE_NOT_PARTICIPANT = 4404
CLOSE_RATE_LIMITED = 4429


class ConversationFrameSchema(Schema):
    conversation_id = ObjectIdField(required=True)


class MessageFrameSchema(NewMessageSchema, ConversationFrameSchema):
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


class Peer(Protocol):
    """What the protocol needs of its connection."""

    def send_frame(self, frame: dict[str, Any]) -> None:
        """Queue a frame without waiting (subject to the socket's backpressure)."""

    async def write_frame(self, frame: dict[str, Any]) -> None:
        """Write a frame and wait until the client has taken it."""

    def close_with(self, code: int, reason: str) -> None: ...

    @property
    def closing(self) -> bool: ...


class FrameProtocol:
    """One client's side of the protocol: who it is, and what each of its frames does.

    `scope` is the conversation of `/ws/chat/{id}/` (None on `/ws`): such a socket gets and
    may act on that conversation only.
    """

    def __init__(self, services: Services, peer: Peer, scope_text: str | None = None) -> None:
        self.services = services
        self.peer = peer
        self.scope_text = scope_text
        self.scope: ObjectId | None = None
        self.identity: Identity | None = None
        self.joined = False
        self._participants: dict[ObjectId, list[ObjectId]] = {}
        self._typing_sent: dict[ObjectId, float] = {}
        self._rejections: RateLimiter | None = None

    @property
    def user_id(self) -> ObjectId | None:
        return self.identity.user_id if self.identity else None

    @property
    def session_id(self) -> ObjectId | None:
        return self.identity.session_id if self.identity else None

    # -- receiving ---------------------------------------------------------------------------

    async def receive(self, message: str | bytes) -> None:
        """Handle one frame from the client."""
        if self.peer.closing:
            return
        frame = self._parse(message)
        if frame is None:
            return
        kind = frame["type"]
        if self.identity is None:
            if kind != "auth":
                self.peer.close_with(CLOSE_UNAUTHORIZED, "send an auth frame first")
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
        except Exception as exc:
            error = known_error(exc)
            if error is None:
                log.exception(
                    "frame failed", extra={"frame_type": kind, "user_id": str(self.user_id)}
                )
                error = ApiError("internal", "Something went wrong on our side.")
            self.send_error(error, ref)
            if error.code == "rate_limited":
                await self._count_rejection()

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "message": self._message,
            "resume": self._resume,
            "typing": self._typing,
            "read": self._read,
            "ping": self._ping,
        }

    def send_error(self, error: ApiError, ref: Any = None) -> None:
        frame = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
        if error.fields is not None:
            frame["fields"] = error.fields
        self.peer.send_frame(frame)

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
            given = frame.get("conversation_id", self.scope_text)
            if given != self.scope_text:
                raise not_found("conversation")
            frame = {**frame, "conversation_id": given}
        return load(schema, {k: v for k, v in frame.items() if k != "type"}, unknown=EXCLUDE)

    # -- auth and presence -------------------------------------------------------------------

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
            self.peer.close_with(CLOSE_UNAUTHORIZED, "invalid token")
            return
        if self.scope_text is not None and not await self._enter_scope(identity.user_id):
            return
        if self.peer.closing:
            return
        self.identity = identity
        self._rejections = RateLimiter(max(10, services.settings.send_rate_per_10s), 10)
        await services.hub.join(self.peer)
        self.joined = True
        if self.peer.closing:  # the client left while we were joining
            await self.leave()
            return
        self.peer.send_frame({"type": "ready", "user": users.private_view(user)})
        await self._initial_presence()

    async def _enter_scope(self, user_id: ObjectId) -> bool:
        """Check the user takes part in the socket's conversation; closes with 4404 if not."""
        scope = parse_object_id(self.scope_text)
        try:
            if scope is None:
                raise not_found("conversation")
            self._participants[scope] = await conversations.participants_of(
                self.services.db, scope, user_id
            )
        except ApiError:
            self.peer.close_with(CLOSE_NOT_PARTICIPANT, "not a participant")
            return False
        self.scope = scope
        return True

    async def leave(self) -> None:
        """The socket closed: the hub forgets it."""
        if self.joined:
            self.joined = False
            await self.services.hub.leave(self.peer)

    async def _initial_presence(self) -> None:
        services = self.services
        if self.scope is not None:
            peers = [p for p in self._participants[self.scope] if p != self.user_id]
        else:
            peers = await conversations.peers(services.db, self.user_id)
        for peer in await services.hub.online(peers):
            self.peer.send_frame({"type": "presence", "user_id": str(peer), "online": True})

    async def _count_rejection(self) -> None:
        # Rejected sends answer with error frames; a client that keeps going is disconnected.
        if self._rejections is not None and await self._rejections.hit("sends") is not None:
            self.peer.close_with(CLOSE_RATE_LIMITED, "rate limited")

    async def _participants_of(self, conversation_id: ObjectId) -> list[ObjectId]:
        # Membership never changes once a conversation exists, so a socket may remember it.
        if conversation_id not in self._participants:
            self._participants[conversation_id] = await conversations.participants_of(
                self.services.db, conversation_id, self.user_id
            )
        return self._participants[conversation_id]

    # -- frames ------------------------------------------------------------------------------

    async def _message(self, frame: dict[str, Any]) -> None:
        data = self._load(MessageFrameSchema(), frame)
        client_id = data["client_id"]
        await self.services.messages.send(
            data["conversation_id"],
            self.user_id,
            data,
            ack=lambda view: self.peer.send_frame(
                {"type": "ack", "client_id": client_id, "message": view}
            ),
            origin=self.peer,
        )

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
                await self.peer.write_frame({"type": "message", "message": view})
            if gap_after is not None:
                await self.peer.write_frame(
                    {"type": "gap", "conversation_id": key, "after": gap_after}
                )
        await self.peer.write_frame({"type": "resumed"})

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
        await self.services.conversations.mark_read(
            data["conversation_id"], self.user_id, data["seq"]
        )

    async def _ping(self, frame: dict[str, Any]) -> None:
        self.peer.send_frame({"type": "pong"})
