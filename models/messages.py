"""Messages: stored in buckets of at most 200 per document, numbered by the conversation's `seq`.

Storing is one conditional update of the conversation (models/conversations.py assigns the seq,
registers the client id and sets the inbox summary atomically) and one `$push` into the
message's bucket. A client id already registered by the same sender makes the send a replay
that returns the stored message. Neither cost nor document size grows with the history.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from hypee.errors import conflict, forbidden, not_found, validation_error
from hypee.jsonio import utcnow
from hypee.pagination import Page, decode_cursor, encode_cursor
from models import conversations
from models.message_schemas import message_view

COLLECTION = "message_buckets"
BUCKET_SIZE = 200
# How long a replayed send waits for the original to finish storing before giving up.
REPLAY_WAIT_SECONDS = 2.0

INDEXES = {
    COLLECTION: [
        IndexModel([("conversation_id", 1), ("bucket", 1)], unique=True, name="bucket_unique"),
    ]
}


@dataclass
class Stored:
    """The outcome of storing a message: its view, whether this call stored it (False for a
    replayed client id), and the conversation's participants (empty for a replay)."""

    message: dict[str, Any]
    created: bool
    participants: list[ObjectId]


def new_message(
    sender_id: ObjectId,
    data: dict[str, Any],
    attachments: list[dict[str, Any]],
    message_id: ObjectId | None = None,
) -> dict[str, Any]:
    """The document of a message to store from loaded NewMessageSchema `data` (no seq yet)."""
    return {
        "id": message_id or ObjectId(),
        "sender_id": sender_id,
        "body": data["body"],
        "attachments": attachments,
        "client_id": data["client_id"],
        "created_at": utcnow(),
        "edited_at": None,
        "deleted": False,
    }


async def store(db: Any, conversation_id: ObjectId, message: dict[str, Any]) -> Stored:
    """Store `message` (from `new_message`): a seq is assigned, the sender's read marker moves
    to it. A client id its sender already used here returns the stored message instead."""
    sender_id = message["sender_id"]
    conversation = await conversations.reserve_seq(db, conversation_id, sender_id, message)
    if conversation is None:
        replayed = await _replayed(db, conversation_id, sender_id, message["client_id"])
        return Stored(replayed, False, [])
    message = {**message, "seq": conversation["seq"]}
    await asyncio.gather(
        _append(db, conversation_id, message),
        conversations.sender_read(db, conversation_id, sender_id, message["seq"]),
    )
    return Stored(message_view(conversation_id, message), True, conversation["participants"])


async def replay_of(
    db: Any, conversation_id: ObjectId, sender_id: ObjectId, client_id: str
) -> dict[str, Any] | None:
    """The stored message if `sender_id` already sent `client_id` here, else None (404 if the
    caller is not a participant)."""
    message_id, _ = await conversations.sent_with(db, conversation_id, sender_id, client_id)
    if message_id is None:
        return None
    return await _replayed(db, conversation_id, sender_id, client_id)


async def _append(db: Any, conversation_id: ObjectId, message: dict[str, Any]) -> None:
    bucket = (message["seq"] - 1) // BUCKET_SIZE
    for _ in range(3):
        try:
            await db[COLLECTION].update_one(
                {"conversation_id": conversation_id, "bucket": bucket},
                {"$push": {"messages": message}},
                upsert=True,
            )
            return
        except DuplicateKeyError:
            continue  # a concurrent send created the bucket first: now the update matches it
    raise RuntimeError("could not append to message bucket")


async def _replayed(
    db: Any, conversation_id: ObjectId, sender_id: ObjectId, client_id: str
) -> dict[str, Any]:
    """The stored message of a replayed client id; 404 when the caller is not a participant."""
    deadline = asyncio.get_running_loop().time() + REPLAY_WAIT_SECONDS
    while True:
        message_id, last = await conversations.sent_with(db, conversation_id, sender_id, client_id)
        if message_id is not None:
            # The client id is among the last RECENT_CLIENT_IDS sends: in the last two buckets.
            for message in await _range(db, conversation_id, max(1, last - 2 * BUCKET_SIZE), last):
                if message["id"] == message_id:
                    return message_view(conversation_id, message)
        # The first send with this client id is still being stored.
        if asyncio.get_running_loop().time() > deadline:
            raise conflict("A message with this client_id is still being stored; retry shortly.")
        await asyncio.sleep(0.02)


async def _range(db: Any, conversation_id: ObjectId, low: int, high: int) -> list[dict[str, Any]]:
    """Messages with low <= seq <= high, in seq order."""
    if low > high:
        return []
    buckets = (
        await db[COLLECTION]
        .find(
            {
                "conversation_id": conversation_id,
                "bucket": {"$gte": (low - 1) // BUCKET_SIZE, "$lte": (high - 1) // BUCKET_SIZE},
            }
        )
        .to_list(None)
    )
    messages = [
        message
        for bucket in buckets
        for message in bucket["messages"]
        if low <= message["seq"] <= high
    ]
    messages.sort(key=lambda message: message["seq"])
    return messages


async def _last_seq(db: Any, conversation_id: ObjectId, user_id: ObjectId) -> int:
    conversation = await conversations.for_member(db, conversation_id, user_id, {"seq": 1})
    return conversation["seq"]


async def history(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, params: dict[str, Any]
) -> Page:
    """A page of message views, in seq order, for a loaded HistoryQuerySchema.

    `after` pages forward (catching up); `before`, or neither, pages back from the newest.
    """
    last = await _last_seq(db, conversation_id, user_id)
    limit = params["limit"]
    listing = f"messages:{conversation_id}"
    direction, position = "before", params.get("before", last + 1)
    if "after" in params:
        direction, position = "after", params["after"]
    if params.get("cursor"):
        direction, position = decode_cursor(params["cursor"], listing, (str, int))
        if direction not in ("before", "after"):
            raise validation_error({"cursor": ["Invalid cursor."]})
    if direction == "after":
        low, high = position + 1, min(position + limit, last)
        more = high < last
        next_cursor = encode_cursor(listing, ["after", high]) if more else None
    else:
        low, high = max(1, position - limit), min(position - 1, last)
        more = low > 1
        next_cursor = encode_cursor(listing, ["before", low]) if more else None
    messages = await _range(db, conversation_id, low, high)
    return Page([message_view(conversation_id, m) for m in messages], next_cursor)


async def missed(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` messages after seq `after`: (views, the last seq sent when more remain)."""
    last = await _last_seq(db, conversation_id, user_id)
    high = min(after + limit, last)
    messages = await _range(db, conversation_id, after + 1, high)
    return [message_view(conversation_id, m) for m in messages], (high if high < last else None)


@dataclass
class Changed:
    """A message as it was before a change, its view after, and who takes part."""

    before: dict[str, Any]
    view: dict[str, Any]
    participants: list[ObjectId]


async def change_own(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, seq: int, changes: dict[str, Any]
) -> Changed:
    """Apply `changes` to the caller's message `seq`: 404 when there is none, 403 when it is
    someone else's, 409 when it was deleted."""
    conversation = await conversations.for_member(db, conversation_id, user_id, {"participants": 1})
    found = await _range(db, conversation_id, seq, seq)
    if not found:
        raise not_found("message")
    message = found[0]
    if message["sender_id"] != user_id:
        raise forbidden("Only the sender can change a message.")
    if message.get("deleted"):
        raise conflict("This message was deleted.")
    result = await db[COLLECTION].update_one(
        {
            "conversation_id": conversation_id,
            "bucket": (seq - 1) // BUCKET_SIZE,
            "messages": {"$elemMatch": {"seq": seq, "sender_id": user_id, "deleted": False}},
        },
        {"$set": {f"messages.$.{field}": value for field, value in changes.items()}},
    )
    if result.matched_count == 0:
        raise conflict("This message was deleted.")
    await conversations.summary_changed(db, conversation_id, message["id"], changes)
    view = message_view(conversation_id, {**message, **changes})
    return Changed(message, view, conversation["participants"])
