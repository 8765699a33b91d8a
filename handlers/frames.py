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
from typing import Any

from bson import ObjectId
from marshmallow import EXCLUDE, Schema

from handlers.body import surrogate_error
from handlers.common import known_error, load, schema_of
from handlers.socket_user import Peer, SocketUser
from hypee.auth import Identity
from hypee.errors import ApiError, field_error, not_found
from hypee.ids import parse_object_id
from hypee.jsonio import LoneSurrogate, loads
from hypee.realtime.hub import CLOSE_UNAUTHORIZED
from models import messages, questions
from models.frames import (
    ConversationFrameSchema,
    MessageFrameSchema,
    ReadFrameSchema,
    ResumeFrameSchema,
    WatchFrameSchema,
)
from services.container import Services
from services.forum_live import question_topic

log = logging.getLogger("hypee.ws")

RESUME_LIMIT = 500
TYPING_INTERVAL_SECONDS = 2.0
MAX_WATCHES = 50


class FrameProtocol:
    """One client's side of the protocol: what each of its frames does, through its `Peer`."""

    def __init__(self, services: Services, peer: Peer, scope_text: str | None = None) -> None:
        self.services = services
        self.peer = peer
        self.user = SocketUser(services, peer, scope_text)
        self._typing_sent: dict[ObjectId, float] = {}

    @property
    def identity(self) -> Identity | None:
        return self.user.identity

    @property
    def scope(self) -> ObjectId | None:
        return self.user.scope

    async def leave(self) -> None:
        """The socket closed."""
        await self.user.leave()

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
            await self.user.authenticate(frame)
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
                where = {"frame_type": kind, "user_id": str(self.user.user_id)}
                log.exception("frame failed", extra=where)
                error = ApiError("internal", "Something went wrong on our side.")
            self.send_error(error, ref)
            if error.code == "rate_limited":
                await self.user.count_rejection()

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "message": self._message,
            "resume": self._resume,
            "typing": self._typing,
            "read": self._read,
            "watch": self._watch,
            "unwatch": self._unwatch,
            "ping": self._ping,
        }

    def send_error(self, error: ApiError, ref: Any = None) -> None:
        frame = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
        if error.fields is not None:
            frame["fields"] = error.fields
        if error.retry_after is not None:
            frame["retry_after"] = error.retry_after
        self.peer.send_frame(frame)

    def _parse(self, message: str | bytes) -> dict[str, Any] | None:
        if isinstance(message, bytes):
            self.send_error(ApiError("invalid_json", "Send JSON text frames, not binary ones."))
            return None
        try:
            frame = loads(message)
        except LoneSurrogate as error:
            self.send_error(surrogate_error(error))
            return None
        except ValueError:
            self.send_error(ApiError("invalid_json", "The frame is not valid JSON."))
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self.send_error(field_error("type", "A frame is a JSON object with a string type."))
            return None
        return frame

    def _load(self, schema_class: type[Schema], frame: dict[str, Any]) -> dict[str, Any]:
        schema = schema_of(schema_class)
        scope_text = self.user.scope_text
        if self.scope is not None and "conversation_id" in schema.fields:
            given = frame.get("conversation_id", scope_text)
            if given != scope_text:
                raise not_found("conversation")
            frame = {**frame, "conversation_id": given}
        return load(schema, {k: v for k, v in frame.items() if k != "type"}, unknown=EXCLUDE)

    # -- frames ------------------------------------------------------------------------------

    async def _message(self, frame: dict[str, Any]) -> None:
        self.services.messages.admission.check_room()  # before any work, under overload
        data = self._load(MessageFrameSchema, frame)
        client_id = data["client_id"]
        await self.services.messages.send(
            data["conversation_id"],
            self.user.user_id,
            data,
            ack=lambda view: self.peer.send_frame(
                {"type": "ack", "client_id": client_id, "message": view}
            ),
            origin=self.peer,
        )

    async def _resume(self, frame: dict[str, Any]) -> None:
        data = self._load(ResumeFrameSchema, frame)
        for key, after in data["cursors"].items():
            try:
                conversation_id = self.user.check_scope(parse_object_id(key))
                missed = await messages.catch_up(
                    self.services.db,
                    conversation_id,
                    self.user.user_id,
                    (after, data["revs"].get(key)),
                    RESUME_LIMIT,
                )
            except ApiError as error:
                self.send_error(error, key)
                continue
            await self._send_catch_up(key, missed)
        await self.peer.write_frame({"type": "resumed"})

    async def _send_catch_up(self, key: str, missed: messages.CatchUp) -> None:
        # Awaited writes: a large catch-up waits for the client instead of overflowing.
        write = self.peer.write_frame
        for view in missed.new:
            await write({"type": "message", "message": view})
        if missed.gap_after is not None:
            await write({"type": "gap", "conversation_id": key, "after": missed.gap_after})
        if missed.stale:
            await write({"type": "stale", "conversation_id": key})
        for view in missed.updated:
            await write({"type": "message_updated", "message": view})
        for user_id, seq in missed.read_marks.items():
            await write({"type": "read", "conversation_id": key, "user_id": user_id, "seq": seq})

    async def _typing(self, frame: dict[str, Any]) -> None:
        conversation_id = self._load(ConversationFrameSchema, frame)["conversation_id"]
        participants = await self.user.participants_of(conversation_id)
        now = time.monotonic()
        if now - self._typing_sent.get(conversation_id, 0.0) < TYPING_INTERVAL_SECONDS:
            return  # coalesced: the others were told a moment ago
        self._typing_sent[conversation_id] = now
        await self.services.conversations.typing(conversation_id, self.user.user_id, participants)

    async def _read(self, frame: dict[str, Any]) -> None:
        data = self._load(ReadFrameSchema, frame)
        await self.services.conversations.mark_read(
            data["conversation_id"], self.user.user_id, data["seq"]
        )

    async def _watch(self, frame: dict[str, Any]) -> None:
        question_id = self._load(WatchFrameSchema, frame)["question_id"]
        await questions.get_live(self.services.db, question_id)
        if not self.services.hub.topics.watch(self.peer, question_topic(question_id), MAX_WATCHES):
            raise field_error("question_id", f"A socket watches at most {MAX_WATCHES} questions.")
        self.peer.send_frame({"type": "watching", "question_id": str(question_id)})

    async def _unwatch(self, frame: dict[str, Any]) -> None:
        question_id = self._load(WatchFrameSchema, frame)["question_id"]
        self.services.hub.topics.unwatch(self.peer, question_topic(question_id))

    async def _ping(self, frame: dict[str, Any]) -> None:
        self.peer.send_frame({"type": "pong"})
