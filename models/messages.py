"""Messages: stored in buckets of at most 200 per document, numbered by the conversation's `seq`.

Sending is one conditional `$inc` on the conversation (which assigns the seq, registers the
client id and sets the inbox summary atomically) and one `$push` into the message's bucket.
A client id already registered by the same sender makes the send a replay that returns the
stored message. Neither cost nor document size grows with the conversation's history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.errors import conflict, forbidden, not_found, validation_error
from hypee.jsonio import utcnow
from hypee.pagination import Page, decode_cursor, encode_cursor
from hypee.realtime.hub import Hub
from hypee.storage import Storage
from models import notifications, uploads
from models.fields import ObjectIdField, Text, UtcDateTime
from models.paging import PageQuerySchema

COLLECTION = "message_buckets"
CONVERSATIONS = "conversations"
BUCKET_SIZE = 200
MAX_BODY = 4000
MAX_ATTACHMENTS = 10
# Idempotency window: the client ids of this many recent sends are remembered per conversation.
RECENT_CLIENT_IDS = 200
# How long a replayed send waits for the original to finish storing before giving up.
REPLAY_WAIT_SECONDS = 2.0

INDEXES = {
    COLLECTION: [
        IndexModel([("conversation_id", 1), ("bucket", 1)], unique=True, name="bucket_unique"),
    ]
}


class AttachmentSchema(Schema):
    id = ObjectIdField(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "/api/attachments/{id}"})


class MessageSchema(Schema):
    id = ObjectIdField(required=True)
    conversation_id = ObjectIdField(required=True)
    seq = fields.Integer(required=True)
    sender_id = ObjectIdField(required=True)
    body = fields.String(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    client_id = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    edited_at = UtcDateTime(required=True, allow_none=True)
    deleted = fields.Boolean(required=True)


class NewMessageSchema(Schema):
    """A message to send: POST .../messages/ and the WebSocket `message` frame."""

    client_id = Text(
        max_length=100,
        required=True,
        metadata={
            "description": "Chosen by the client; sending it again returns the same message."
        },
    )
    body = Text(min_length=0, max_length=MAX_BODY, multiline=True, load_default="")
    attachments = fields.List(
        ObjectIdField(),
        load_default=list,
        validate=validate.Length(max=MAX_ATTACHMENTS),
        metadata={"description": "Upload ids (POST /api/uploads/)."},
    )

    @validates_schema
    def _body_or_attachments(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("body") and not data.get("attachments"):
            raise ValidationError("Must not be empty (unless the message has attachments).", "body")


class FirstMessageSchema(Schema):
    """The optional first message of a new conversation."""

    client_id = Text(max_length=100, required=True)
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class EditMessageSchema(Schema):
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class HistoryQuerySchema(PageQuerySchema):
    before = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Messages with a lower seq (paging back through history)."},
    )
    after = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "Messages with a higher seq (catching up)."},
    )

    @validates_schema
    def _one_direction(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "before" in data and "after" in data:
            raise ValidationError("Give before or after, not both.", "before")


def message_view(conversation_id: ObjectId, message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the API shows it (MessageSchema)."""
    return {
        "id": str(message["id"]),
        "conversation_id": str(conversation_id),
        "seq": message["seq"],
        "sender_id": str(message["sender_id"]),
        "body": message["body"],
        "attachments": message.get("attachments", []),
        "client_id": message["client_id"],
        "created_at": message["created_at"],
        "edited_at": message.get("edited_at"),
        "deleted": message.get("deleted", False),
    }


@dataclass
class Sent:
    """The result of a send: the message's view, and whether this call stored it."""

    message: dict[str, Any]
    created: bool


async def send(
    db: Any,
    hub: Hub,
    conversation_id: ObjectId,
    sender_id: ObjectId,
    data: dict[str, Any],
    *,
    attachments: list[dict[str, Any]] | None = None,
    message_id: ObjectId | None = None,
    ack: Callable[[dict[str, Any]], object] | None = None,
    origin: object = None,
) -> Sent:
    """Store a loaded NewMessageSchema `data` from `sender_id`, then fan it out.

    Order: store (seq assigned) -> `ack(view)` -> publish to every socket of every participant
    except `origin` (the sending socket, which got the ack). `attachments` are verified
    attachment views (see `post`). A client id this sender already used returns the stored
    message.
    """
    key = f"{sender_id}:{data['client_id']}"
    now = utcnow()
    message: dict[str, Any] = {
        "id": message_id or ObjectId(),
        "sender_id": sender_id,
        "body": data["body"],
        "attachments": attachments or [],
        "client_id": data["client_id"],
        "created_at": now,
        "edited_at": None,
        "deleted": False,
    }
    conversation = await db[CONVERSATIONS].find_one_and_update(
        {"_id": conversation_id, "participants": sender_id, "recent_client_ids.k": {"$ne": key}},
        {
            "$inc": {"seq": 1},
            "$set": {"updated_at": now, "last_message": message},
            "$push": {
                "recent_client_ids": {
                    "$each": [{"k": key, "m": message["id"]}],
                    "$slice": -RECENT_CLIENT_IDS,
                }
            },
        },
        projection={"participants": 1, "seq": 1},
        return_document=ReturnDocument.AFTER,
    )
    if conversation is None:
        replayed = Sent(await _replayed(db, conversation_id, sender_id, key), created=False)
        if ack is not None:
            ack(replayed.message)
        return replayed
    message["seq"] = conversation["seq"]
    await asyncio.gather(
        _append(db, conversation_id, message),
        db[CONVERSATIONS].update_one(
            {"_id": conversation_id},
            {"$max": {f"members.{sender_id}.last_read_seq": message["seq"]}},
        ),
    )
    view = message_view(conversation_id, message)
    if ack is not None:
        ack(view)
    await hub.publish(
        conversation["participants"],
        {"type": "message", "message": view},
        conversation_id=conversation_id,
        exclude=origin,
    )
    others = [p for p in conversation["participants"] if p != sender_id]
    await notifications.message_stored(db, hub, others, view)
    return Sent(view, created=True)


async def post(
    db: Any,
    hub: Hub,
    storage: Storage,
    conversation_id: ObjectId,
    sender_id: ObjectId,
    data: dict[str, Any],
    *,
    ack: Callable[[dict[str, Any]], object] | None = None,
    origin: object = None,
) -> Sent:
    """Send a message and its attachments: the one path of REST and WebSocket sends.

    Uploads are verified and attached before the message is stored; if it is not stored
    (an error, or a replay of a client id), they are given back untouched.
    """
    if not data["attachments"]:
        return await send(db, hub, conversation_id, sender_id, data, ack=ack, origin=origin)
    replayed = await replay_of(db, conversation_id, sender_id, data["client_id"])
    if replayed is not None:
        if ack is not None:
            ack(replayed)
        return Sent(replayed, created=False)
    claimed = await uploads.claim(
        db, storage, sender_id, data["attachments"], conversation_id=conversation_id
    )
    ids = [upload["_id"] for upload in claimed]
    message_id = ObjectId()
    await uploads.mark_attached(db, ids, conversation_id=conversation_id, owner_id=message_id)
    try:
        sent = await send(
            db,
            hub,
            conversation_id,
            sender_id,
            data,
            attachments=[uploads.attachment_view(upload) for upload in claimed],
            message_id=message_id,
            ack=ack,
            origin=origin,
        )
    except BaseException:
        await uploads.release(db, ids, message_id)
        raise
    if not sent.created:
        await uploads.release(db, ids, message_id)
    return sent


async def replay_of(
    db: Any, conversation_id: ObjectId, sender_id: ObjectId, client_id: str
) -> dict[str, Any] | None:
    """The stored message if `sender_id` already sent `client_id` here, else None (404 if the
    caller is not a participant)."""
    key = f"{sender_id}:{client_id}"
    conversation = await db[CONVERSATIONS].find_one(
        {"_id": conversation_id, "participants": sender_id},
        {"recent_client_ids": {"$elemMatch": {"k": key}}},
    )
    if conversation is None:
        raise not_found("conversation")
    if not conversation.get("recent_client_ids"):
        return None
    return await _replayed(db, conversation_id, sender_id, key)


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


async def _replayed(db: Any, conversation_id: ObjectId, sender_id: ObjectId, key: str) -> dict:
    """The stored message of a replayed client id; 404 when the caller is not a participant."""
    deadline = asyncio.get_running_loop().time() + REPLAY_WAIT_SECONDS
    while True:
        conversation = await db[CONVERSATIONS].find_one(
            {"_id": conversation_id, "participants": sender_id},
            {"seq": 1, "recent_client_ids": {"$elemMatch": {"k": key}}},
        )
        if conversation is None:
            raise not_found("conversation")
        entries = conversation.get("recent_client_ids") or []
        if entries:
            message_id = entries[0]["m"]
            last = conversation["seq"]
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


async def _member_seq(db: Any, conversation_id: ObjectId, user_id: ObjectId) -> dict[str, Any]:
    conversation = await db[CONVERSATIONS].find_one(
        {"_id": conversation_id, "participants": user_id}, {"seq": 1, "participants": 1}
    )
    if conversation is None:
        raise not_found("conversation")
    return conversation


async def history(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, params: dict[str, Any]
) -> Page:
    """A page of message views, in seq order, for a loaded HistoryQuerySchema.

    `after` pages forward (catching up); `before`, or neither, pages back from the newest.
    """
    last = (await _member_seq(db, conversation_id, user_id))["seq"]
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
    last = (await _member_seq(db, conversation_id, user_id))["seq"]
    high = min(after + limit, last)
    messages = await _range(db, conversation_id, after + 1, high)
    return [message_view(conversation_id, m) for m in messages], (high if high < last else None)


async def _own_message(
    db: Any, conversation_id: ObjectId, user_id: ObjectId, seq: int
) -> tuple[dict[str, Any], list[ObjectId]]:
    conversation = await _member_seq(db, conversation_id, user_id)
    found = await _range(db, conversation_id, seq, seq)
    if not found:
        raise not_found("message")
    message = found[0]
    if message["sender_id"] != user_id:
        raise forbidden("Only the sender can change a message.")
    if message.get("deleted"):
        raise conflict("This message was deleted.")
    return message, conversation["participants"]


async def _change(
    db: Any,
    hub: Hub,
    conversation_id: ObjectId,
    user_id: ObjectId,
    seq: int,
    changes: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply `changes` to the caller's message `seq`: (the message before, its view after)."""
    message, participants = await _own_message(db, conversation_id, user_id, seq)
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
    await db[CONVERSATIONS].update_one(
        {"_id": conversation_id, "last_message.id": message["id"]},
        {"$set": {f"last_message.{field}": value for field, value in changes.items()}},
    )
    view = message_view(conversation_id, {**message, **changes})
    await hub.publish(
        participants,
        {"type": "message_updated", "message": view},
        conversation_id=conversation_id,
    )
    return message, view


async def edit(
    db: Any, hub: Hub, conversation_id: ObjectId, user_id: ObjectId, seq: int, body: str
) -> dict[str, Any]:
    """Replace the body of the caller's message `seq`; participants get `message_updated`."""
    changes = {"body": body, "edited_at": utcnow()}
    _, view = await _change(db, hub, conversation_id, user_id, seq, changes)
    return view


async def delete(
    db: Any, hub: Hub, storage: Storage, conversation_id: ObjectId, user_id: ObjectId, seq: int
) -> None:
    """Soft-delete the caller's message `seq`: it stays, with an empty body, no attachments and
    `deleted` set; its attachments are removed from storage."""
    changes = {"deleted": True, "body": "", "attachments": []}
    before, _ = await _change(db, hub, conversation_id, user_id, seq, changes)
    attached = [ObjectId(attachment["id"]) for attachment in before.get("attachments", [])]
    await uploads.discard(db, storage, attached)
