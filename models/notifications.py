"""Notifications: stored per user (services push them to the user's sockets), listed later.

`new_message` notifications are coalesced: a conversation has at most one unread one per
user, which later messages update (count, latest message) instead of adding more. The unread
one carries an `unread_key` (user and conversation) under a unique sparse index; reading it
removes the key. Nobody is notified of their own actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo import IndexModel, UpdateOne
from pymongo.errors import BulkWriteError

from hypee.fields import ObjectIdField, StrictBoolean, UtcDateTime
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema

COLLECTION = "notifications"
KINDS = ("new_message", "new_answer", "answer_accepted", "new_conversation")
PREVIEW_CHARACTERS = 140
NEWEST_FIRST = Listing("notifications", [("created_at", -1), ("_id", -1)], (datetime, ObjectId))

INDEXES = {
    COLLECTION: [
        IndexModel("unread_key", unique=True, sparse=True, name="one_unread_per_conversation"),
        IndexModel([("user_id", 1), ("created_at", -1), ("_id", -1)], name="newest"),
        IndexModel(
            [("user_id", 1), ("read", 1), ("created_at", -1), ("_id", -1)], name="unread_newest"
        ),
    ]
}


class NotificationSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    data = fields.Dict(required=True, metadata={"description": "Depends on the kind."})
    read = fields.Boolean(required=True)
    created_at = UtcDateTime(
        required=True, metadata={"description": "Of the latest event it covers."}
    )


class NotificationQuerySchema(PageQuerySchema):
    unread = fields.Boolean(metadata={"description": "true: unread ones only."})


class MarkReadSchema(Schema):
    ids = fields.List(ObjectIdField(), validate=validate.Length(1, 500))
    all = StrictBoolean()

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("ids" in data) == bool(data.get("all")):
            raise ValidationError("Give either ids or all: true.", "ids")


_schema = NotificationSchema()


def view(notification: dict[str, Any]) -> dict[str, Any]:
    return _schema.dump(notification)


async def create(db: Any, user_id: ObjectId, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store a notification for `user_id`; returns it (the caller pushes it)."""
    notification = {
        "_id": ObjectId(),
        "user_id": user_id,
        "kind": kind,
        "data": data,
        "read": False,
        "created_at": utcnow(),
    }
    await db[COLLECTION].insert_one(notification)
    return notification


def _unread_key(user_id: ObjectId, conversation_id: ObjectId) -> str:
    return f"{user_id}:{conversation_id}"


async def message_stored(
    db: Any, recipients: list[ObjectId], message: dict[str, Any]
) -> list[dict[str, Any]]:
    """A message was stored: each recipient's unread `new_message` notification for that
    conversation is brought up to date, or created, in one bulk write. Returns the ones created
    (to push)."""
    conversation_id = ObjectId(message["conversation_id"])
    latest = {
        "id": message["id"],
        "seq": message["seq"],
        "sender_id": message["sender_id"],
        "body": message["body"][:PREVIEW_CHARACTERS],
    }
    now = utcnow()
    recipients = list(dict.fromkeys(recipients))
    requests = [
        UpdateOne(
            {"unread_key": _unread_key(user_id, conversation_id)},
            {
                "$set": {"data.last_message": latest, "created_at": now},
                "$inc": {"data.count": 1},
                "$setOnInsert": {
                    "user_id": user_id,
                    "kind": "new_message",
                    "data.conversation_id": str(conversation_id),
                    "read": False,
                },
            },
            upsert=True,
        )
        for user_id in recipients
    ]
    if not requests:
        return []
    try:
        upserted = (await db[COLLECTION].bulk_write(requests, ordered=False)).upserted_ids
    except BulkWriteError as error:
        # Two messages created the same notification at once: the loser updates it instead.
        upserted = {item["index"]: item["_id"] for item in error.details.get("upserted", [])}
        for failed in error.details.get("writeErrors", []):
            request = requests[failed["index"]]
            await db[COLLECTION].update_one(request._filter, request._doc)
    return [
        {
            "_id": notification_id,
            "user_id": recipients[index],
            "kind": "new_message",
            "data": {"conversation_id": str(conversation_id), "count": 1, "last_message": latest},
            "read": False,
            "unread_key": _unread_key(recipients[index], conversation_id),
            "created_at": now,
        }
        for index, notification_id in sorted(upserted.items())
    ]


async def conversation_read(db: Any, user_id: ObjectId, conversation_id: ObjectId) -> None:
    """The user read a conversation to its end: its `new_message` notification is read."""
    await db[COLLECTION].update_one(
        {"unread_key": _unread_key(user_id, conversation_id)},
        {"$set": {"read": True}, "$unset": {"unread_key": ""}},
    )


async def listing(db: Any, user_id: ObjectId, params: dict[str, Any]) -> tuple[Page, int]:
    """A page of the user's notifications, newest first, and the number unread."""
    query: dict[str, Any] = {"user_id": user_id}
    if params.get("unread"):
        query["read"] = False
    page = await find_page(
        db[COLLECTION],
        query,
        NEWEST_FIRST.scoped(str(bool(params.get("unread")))),
        limit=params["limit"],
        cursor=params.get("cursor"),
    )
    unread = await db[COLLECTION].count_documents({"user_id": user_id, "read": False})
    return page, unread


async def mark_read(db: Any, user_id: ObjectId, data: dict[str, Any]) -> None:
    """Mark the user's notifications read: loaded MarkReadSchema `data` (ids, or all)."""
    query: dict[str, Any] = {"user_id": user_id, "read": False}
    if not data.get("all"):
        query["_id"] = {"$in": data["ids"]}
    await db[COLLECTION].update_many(query, {"$set": {"read": True}, "$unset": {"unread_key": ""}})
