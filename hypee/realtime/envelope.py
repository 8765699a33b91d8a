"""What travels between processes over Redis: channels, and frames in envelopes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

log = logging.getLogger("hypee.bridge")

CONTROL_CHANNEL = "hypee:control"
_NONE = b"-"


def user_channel(user_id: ObjectId) -> str:
    """The channel of one user's events (a process subscribes while it holds their sockets)."""
    return f"hypee:user:{user_id}"


def seal(
    origin: bytes, frame: bytes, conversation_id: ObjectId | None, exclude_user: ObjectId | None
) -> bytes:
    """`<origin> <conversation or -> <excluded user or ->` newline, then the encoded frame."""
    conversation = str(conversation_id).encode() if conversation_id else _NONE
    excluded = str(exclude_user).encode() if exclude_user else _NONE
    return b" ".join([origin, conversation, excluded]) + b"\n" + frame


def open_envelope(data: bytes) -> tuple[bytes, bytes, ObjectId | None, ObjectId | None]:
    """(origin, frame, conversation id, excluded user); ValueError (or InvalidId) if malformed."""
    header, frame = data.split(b"\n", 1)
    origin, conversation, excluded = header.split(b" ")
    return (
        origin,
        frame,
        None if conversation == _NONE else ObjectId(conversation.decode()),
        None if excluded == _NONE else ObjectId(excluded.decode()),
    )


@dataclass
class Incoming:
    """A pub/sub message as the bridge acts on it: a control command, or a frame for a user."""

    command: dict[str, Any] | None = None
    user_id: ObjectId | None = None
    origin: bytes = b""
    frame: bytes = b""
    conversation_id: ObjectId | None = None
    exclude_user: ObjectId | None = None


def read(message: dict[str, Any]) -> Incoming | None:
    """What a pub/sub message says; None for subscription notices and malformed messages."""
    if message.get("type") != "message":
        return None
    channel = message["channel"]
    channel = channel.decode() if isinstance(channel, bytes) else channel
    try:
        if channel == CONTROL_CHANNEL:
            return Incoming(command=json.loads(message["data"]))
        origin, frame, conversation, exclude_user = open_envelope(message["data"])
        user_id = ObjectId(channel.rsplit(":", 1)[1])
    except (ValueError, KeyError, InvalidId):
        log.warning("malformed bridge message", extra={"channel": channel})
        return None
    return Incoming(None, user_id, origin, frame, conversation, exclude_user)
