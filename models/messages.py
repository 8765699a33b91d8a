"""Messages: one document each, numbered by their conversation's `seq`.

Storing a message takes the next seq of its conversation (models/conversations.py, one
conditional update that also checks membership and sets the inbox summary), then inserts the
message under two unique indexes: (conversation, seq), and (conversation, sender, client id),
which makes a retried send with the same client id a replay of the stored message.

On the embedded engine a send is one transaction. On MongoDB the two writes can be separated
by a crash, which leaves a seq with no message: nothing else is stranded (the client id was
never registered, so a retry stores the message anew), the hole is skipped by history and
resume, and `run.py --repair` records it so unread counts stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from hypee.errors import conflict, forbidden, not_found, validation_error
from hypee.jsonio import utcnow
from hypee.pagination import Page, decode_cursor, encode_cursor
from models import conversations
from models.message_schemas import message_view

COLLECTION = "messages"

INDEXES = {
    COLLECTION: [
        IndexModel([("conversation_id", 1), ("seq", 1)], unique=True, name="by_seq"),
        IndexModel(
            [("conversation_id", 1), ("sender_id", 1), ("client_id", 1)],
            unique=True,
            name="one_per_client_id",
        ),
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
        "_id": message_id or ObjectId(),
        "sender_id": sender_id,
        "body": data["body"],
        "attachments": attachments,
        "client_id": data["client_id"],
        "created_at": utcnow(),
        "edited_at": None,
        "deleted": False,
    }


async def sent_before(
    db: Any, conversation_id: ObjectId, sender_id: ObjectId, client_id: str
) -> dict[str, Any] | None:
    """The view of the message `sender_id` stored here with `client_id`, if any (404 if the
    sender is not a participant)."""
    stored = await db[COLLECTION].find_one(
        {"conversation_id": conversation_id, "sender_id": sender_id, "client_id": client_id}
    )
    if stored is None:
        return None
    await conversations.for_member(db, conversation_id, sender_id, {"_id": 1})
    return message_view(conversation_id, stored)


async def store(
    db: Any, conversation_id: ObjectId, message: dict[str, Any], *, checked: bool = False
) -> Stored:
    """Store `message` (from `new_message`): a seq is assigned and the sender has read up to
    it (one update of the conversation), then the message is inserted. A client id its sender
    already used here returns the stored message instead; `checked` says the caller looked for
    one just before (a concurrent send of it is still caught by the unique index)."""
    sender_id = message["sender_id"]
    if not checked:
        replayed = await sent_before(db, conversation_id, sender_id, message["client_id"])
        if replayed is not None:
            return Stored(replayed, False, [])
    conversation = await conversations.reserve_seq(db, conversation_id, sender_id, message)
    document = {**message, "conversation_id": conversation_id, "seq": conversation["seq"]}
    try:
        await db[COLLECTION].insert_one(document)
    except DuplicateKeyError:
        # A concurrent send with the same client id stored it first: this seq stays unused.
        stored = await db[COLLECTION].find_one(
            {
                "conversation_id": conversation_id,
                "sender_id": sender_id,
                "client_id": document["client_id"],
            }
        )
        if stored is None:
            raise conflict("This message could not be stored; send it again.") from None
        await conversations.skip_seq(db, conversation_id, document, stored)
        return Stored(message_view(conversation_id, stored), False, [])
    return Stored(message_view(conversation_id, document), True, conversation["participants"])


async def _between(
    db: Any, conversation_id: ObjectId, seq_filter: dict[str, int], newest_first: bool, limit: int
) -> list[dict[str, Any]]:
    return (
        await db[COLLECTION]
        .find({"conversation_id": conversation_id, "seq": seq_filter})
        .sort([("seq", DESCENDING if newest_first else ASCENDING)])
        .limit(limit)
        .to_list(None)
    )


async def history(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, params: dict[str, Any]
) -> Page:
    """A page of message views, in seq order, for a loaded HistoryQuerySchema.

    `after` pages forward (catching up); `before`, or neither, pages back from the newest.
    """
    await conversations.for_member(db, conversation_id, user_id, {"_id": 1})
    limit = params["limit"]
    listing = f"messages:{conversation_id}"
    direction, position = "before", params.get("before")
    if "after" in params:
        direction, position = "after", params["after"]
    if params.get("cursor"):
        direction, position = decode_cursor(params["cursor"], listing, (str, int))
        if direction not in ("before", "after"):
            raise validation_error({"cursor": ["Invalid cursor."]})
    if direction == "after":
        found = await _between(db, conversation_id, {"$gt": position}, False, limit + 1)
    else:
        bound = {"$lt": position} if position is not None else {"$gte": 0}
        found = list(reversed(await _between(db, conversation_id, bound, True, limit + 1)))
    more = len(found) > limit
    if direction == "after":
        found = found[:limit]
        next_cursor = encode_cursor(listing, ["after", found[-1]["seq"]]) if more else None
    else:
        found = found[-limit:] if more else found
        next_cursor = encode_cursor(listing, ["before", found[0]["seq"]]) if more else None
    return Page([message_view(conversation_id, m) for m in found], next_cursor)


async def missed(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` messages after seq `after`: (views, the last seq sent when more remain)."""
    await conversations.for_member(db, conversation_id, user_id, {"_id": 1})
    found = await _between(db, conversation_id, {"$gt": after}, False, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    views = [message_view(conversation_id, m) for m in found]
    return views, (found[-1]["seq"] if more else None)


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
    message = await db[COLLECTION].find_one({"conversation_id": conversation_id, "seq": seq})
    if message is None:
        raise not_found("message")
    if message["sender_id"] != user_id:
        raise forbidden("Only the sender can change a message.")
    if message.get("deleted"):
        raise conflict("This message was deleted.")
    result = await db[COLLECTION].update_one(
        {"_id": message["_id"], "deleted": False}, {"$set": changes}
    )
    if result.matched_count == 0:
        raise conflict("This message was deleted.")
    await conversations.summary_changed(db, conversation_id, message["_id"], changes)
    view = message_view(conversation_id, {**message, **changes})
    return Changed(message, view, conversation["participants"])


async def exists(db: Any, message_id: ObjectId) -> bool:
    return await db[COLLECTION].count_documents({"_id": message_id}, limit=1) > 0


async def seqs(db: Any, conversation_id: ObjectId) -> list[int]:
    """The seqs of a conversation's stored messages, ascending (the integrity check)."""
    found = (
        await db[COLLECTION]
        .find({"conversation_id": conversation_id}, {"seq": 1})
        .sort([("seq", ASCENDING)])
        .to_list(None)
    )
    return [message["seq"] for message in found]


async def last(db: Any, conversation_id: ObjectId) -> dict[str, Any] | None:
    """A conversation's stored message with the highest seq."""
    found = await _between(db, conversation_id, {"$gte": 0}, True, 1)
    return found[0] if found else None
