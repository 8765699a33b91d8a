"""What travels between processes over Redis: channels, and frames in envelopes."""

from __future__ import annotations

from bson import ObjectId

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
