"""Conversations: direct (one per pair of users) and group, their members and read markers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.errors import field_error, not_found, validation_error
from hypee.jsonio import utcnow
from hypee.pagination import Page, find_page
from hypee.realtime.hub import Hub
from models import notifications, users
from models.fields import ObjectIdField, StrictInteger, Text, UtcDateTime
from models.messages import FirstMessageSchema, MessageSchema, message_view

COLLECTION = "conversations"
MAX_PARTICIPANTS = 50

INDEXES = {
    COLLECTION: [
        IndexModel("direct_key", unique=True, sparse=True, name="one_direct_per_pair"),
        IndexModel(
            [("participants", 1), ("updated_at", -1), ("_id", -1)], name="inbox_by_activity"
        ),
    ]
}
INBOX_SORT = [("updated_at", -1), ("_id", -1)]


class NewConversationSchema(Schema):
    participant_ids = fields.List(
        ObjectIdField(),
        required=True,
        validate=validate.Length(1, MAX_PARTICIPANTS),
        metadata={"description": "The other participants; the caller is always one."},
    )
    title = Text(max_length=100, metadata={"description": "Group conversations only."})
    message = fields.Nested(
        FirstMessageSchema,
        metadata={"description": "An optional first message."},
    )


class ReadMarkerSchema(Schema):
    seq = StrictInteger(required=True, validate=validate.Range(min=0))


class ConversationSchema(Schema):
    id = ObjectIdField(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["direct", "group"]))
    title = fields.String(required=True, allow_none=True)
    participants = fields.List(fields.Nested(users.PublicUserSchema), required=True)
    last_message = fields.Nested(MessageSchema, required=True, allow_none=True)
    unread_count = fields.Integer(required=True)
    last_read_seq = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


def view(
    conversation: dict[str, Any], viewer_id: ObjectId, people: dict[ObjectId, dict]
) -> dict[str, Any]:
    """`conversation` as `viewer_id` sees it; `people` maps participant ids to user documents."""
    last_read = conversation["members"].get(str(viewer_id), {}).get("last_read_seq", 0)
    last = conversation.get("last_message")
    return {
        "id": str(conversation["_id"]),
        "kind": conversation["kind"],
        "title": conversation.get("title"),
        "participants": [
            users.public_view(people[p]) for p in conversation["participants"] if p in people
        ],
        # The summary is set in the same update that assigns the seq, so its seq is `seq`.
        "last_message": message_view(conversation["_id"], {**last, "seq": conversation["seq"]})
        if last
        else None,
        "unread_count": max(0, conversation["seq"] - last_read),
        "last_read_seq": last_read,
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
    }


async def people_of(db: Any, conversations: list[dict[str, Any]]) -> dict[ObjectId, dict]:
    """The user documents of every participant of `conversations`, in one query."""
    return await users.public_users(
        db, (p for conversation in conversations for p in conversation["participants"])
    )


async def create(
    db: Any, hub: Hub, creator_id: ObjectId, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Open a conversation from loaded NewConversationSchema `data`: (document, created).

    With exactly one other participant it is the pair's direct conversation: asking again, or
    both sides asking at once, returns the same one (the unique `direct_key` decides).
    """
    others = list(dict.fromkeys(p for p in data["participant_ids"] if p != creator_id))
    if not others:
        raise field_error("participant_ids", "Name at least one other user.")
    known = set(await db[users.COLLECTION].distinct("_id", {"_id": {"$in": others}}))
    unknown = [str(p) for p in others if p not in known]
    if unknown:
        raise validation_error({"participant_ids": [f"Unknown user id: {p}" for p in unknown]})
    participants = [creator_id, *others]
    now = utcnow()
    document: dict[str, Any] = {
        "_id": ObjectId(),
        "kind": "group",
        "title": data.get("title"),
        "participants": participants,
        "members": {str(p): {"last_read_seq": 0, "joined_at": now} for p in participants},
        "seq": 0,
        "last_message": None,
        "recent_client_ids": [],
        "created_by": creator_id,
        "created_at": now,
        "updated_at": now,
    }
    if len(others) > 1:
        await db[COLLECTION].insert_one(document)
        created, conversation = True, document
    else:
        conversation, created = await _direct(db, document)
    if created:
        people = await people_of(db, [conversation])
        await hub.publish(
            participants,
            {"type": "conversation", "conversation": view(conversation, creator_id, people)},
        )
        for other in others:
            await notifications.notify(
                db,
                hub,
                other,
                "new_conversation",
                {
                    "conversation_id": str(conversation["_id"]),
                    "kind": conversation["kind"],
                    "title": conversation.get("title"),
                    "created_by": str(creator_id),
                },
            )
    return conversation, created


async def _direct(db: Any, document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    key = ":".join(sorted(str(p) for p in document["participants"]))
    document = {**document, "kind": "direct", "title": None, "direct_key": key}
    try:
        conversation = await db[COLLECTION].find_one_and_update(
            {"direct_key": key},
            {"$setOnInsert": {k: v for k, v in document.items() if k != "direct_key"}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:
        # Both sides created it at the same moment; the other insert won.
        conversation = await db[COLLECTION].find_one({"direct_key": key})
    return conversation, conversation["_id"] == document["_id"]


async def get_for_member(db: Any, conversation_id: ObjectId, user_id: ObjectId) -> dict[str, Any]:
    """The conversation if `user_id` takes part in it; 404 otherwise (never 403)."""
    conversation = await db[COLLECTION].find_one(
        {"_id": conversation_id, "participants": user_id}, {"recent_client_ids": 0}
    )
    if conversation is None:
        raise not_found("conversation")
    return conversation


async def participants_of(db: Any, conversation_id: ObjectId, user_id: ObjectId) -> list[ObjectId]:
    """The participants of a conversation `user_id` takes part in; 404 otherwise."""
    conversation = await db[COLLECTION].find_one(
        {"_id": conversation_id, "participants": user_id}, {"participants": 1}
    )
    if conversation is None:
        raise not_found("conversation")
    return conversation["participants"]


async def inbox(db: Any, user_id: ObjectId, limit: int, cursor: str | None) -> Page:
    """The caller's conversations, most recent activity first."""
    return await find_page(
        db[COLLECTION],
        {"participants": user_id},
        INBOX_SORT,
        listing="inbox",
        types=(datetime, ObjectId),
        limit=limit,
        cursor=cursor,
        projection={"recent_client_ids": 0},
    )


async def mark_read(
    db: Any, hub: Hub, conversation_id: ObjectId, user_id: ObjectId, seq: int
) -> int:
    """Move the caller's read marker forward to `seq` (never back, never past the last message).

    The other participants get a `read` event when it moved. Returns the marker.
    """
    conversation = await db[COLLECTION].find_one(
        {"_id": conversation_id, "participants": user_id},
        {"participants": 1, "seq": 1, "members": 1},
    )
    if conversation is None:
        raise not_found("conversation")
    seq = min(seq, conversation["seq"])
    if seq == conversation["seq"]:
        await notifications.conversation_read(db, user_id, conversation_id)
    field = f"members.{user_id}.last_read_seq"
    result = await db[COLLECTION].update_one(
        {"_id": conversation_id, field: {"$lt": seq}}, {"$max": {field: seq}}
    )
    if result.modified_count:
        await hub.publish(
            conversation["participants"],
            {
                "type": "read",
                "conversation_id": str(conversation_id),
                "user_id": str(user_id),
                "seq": seq,
            },
            conversation_id=conversation_id,
            exclude_user=user_id,
        )
        return seq
    return max(seq, conversation["members"].get(str(user_id), {}).get("last_read_seq", 0))


async def peers(db: Any, user_id: ObjectId) -> list[ObjectId]:
    """Everyone who shares a conversation with `user_id`."""
    found = await db[COLLECTION].distinct("participants", {"participants": user_id})
    return [p for p in found if p != user_id]


async def announce_presence(db: Any, hub: Hub, user_id: ObjectId, online: bool) -> None:
    """Tell the people who share a conversation with `user_id` that it came online or left."""
    await hub.publish(
        await peers(db, user_id),
        {"type": "presence", "user_id": str(user_id), "online": online},
    )
