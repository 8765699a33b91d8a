"""Notifications: stored per user (services push them to the user's sockets), listed later.

`new_message` notifications are coalesced: a conversation has at most one unread one per
user, created by the first message of a run; its count and last message are the
conversation's, read when it is listed, and kept in it once it is read. The unread one
carries an `unread_key` (user and conversation) under a unique sparse index; reading it
removes the key. Nobody is notified of their own actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import ObjectIdField, StrictBoolean, UtcDateTime
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema
from models import conversations, users
from models.message_schemas import MessageView

COLLECTION = "notifications"
KINDS = (
    "new_message",
    "new_answer",
    "answer_accepted",
    "new_conversation",
    "mentorship",
    "session",
)
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
        required=True,
        metadata={
            "description": "When it was created (for new_message: the run's first message; "
            "data.last_message is the latest)."
        },
    )


class NotificationQuerySchema(PageQuerySchema):
    unread = fields.Boolean(metadata={"description": "true: unread ones only."})


_ALL_TRUE: dict[str, Any] = {"required": ["all"], "properties": {"all": {"const": True}}}


class MarkReadSchema(Schema):
    ids = fields.List(ObjectIdField(), validate=validate.Length(1, 500))
    all = StrictBoolean()
    question_id = ObjectIdField(
        metadata={"description": "Every notification about this question (the asker saw it)."}
    )

    json_schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {
                "required": ["ids"],
                "not": {"anyOf": [{"required": ["question_id"]}, _ALL_TRUE]},
            },
            {
                **_ALL_TRUE,
                "not": {"anyOf": [{"required": ["ids"]}, {"required": ["question_id"]}]},
            },
            {
                "required": ["question_id"],
                "not": {"anyOf": [{"required": ["ids"]}, _ALL_TRUE]},
            },
        ]
    }

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = ("ids" in data) + bool(data.get("all")) + ("question_id" in data)
        if given != 1:
            raise ValidationError("Give one of ids, all: true, or question_id.", "ids")


_schema = NotificationSchema()


class NotificationDocument(TypedDict, total=False):
    """A notification as stored in `notifications`."""

    _id: ObjectId
    user_id: ObjectId
    kind: str  # one of KINDS
    data: dict[str, Any]  # depends on the kind; every kind has `actor_name`
    read: bool
    unread_key: str  # "<user>:<conversation>" while a new_message one is unread (unique)
    created_at: datetime


class NotificationView(TypedDict):
    """A notification as the API shows it (NotificationSchema)."""

    id: str
    kind: str
    data: dict[str, Any]
    read: bool
    created_at: str


def view(notification: NotificationDocument | dict[str, Any]) -> NotificationView:
    return cast(NotificationView, _schema.dump(notification))


async def create(
    db: DocumentDatabase, user_id: ObjectId, kind: str, data: dict[str, Any]
) -> NotificationDocument:
    """Store a notification for `user_id`; returns it (the caller pushes it)."""
    notification = _new(user_id, kind, data, utcnow())
    await _notifications(db).insert_one(notification)
    return notification


def _notifications(db: DocumentDatabase) -> DocumentCollection[NotificationDocument]:
    return typed(db[COLLECTION], NotificationDocument)


def _new(user_id: ObjectId, kind: str, data: dict[str, Any], now: datetime) -> NotificationDocument:
    """A new, unread notification."""
    return {
        "_id": ObjectId(),
        "user_id": user_id,
        "kind": kind,
        "data": data,
        "read": False,
        "created_at": now,
    }


def _unread_key(user_id: ObjectId, conversation_id: ObjectId) -> str:
    return f"{user_id}:{conversation_id}"


async def message_stored(
    db: DocumentDatabase, recipients: list[ObjectId], message: MessageView
) -> list[NotificationDocument]:
    """A message was stored: a recipient with no unread `new_message` notification for its
    conversation gets one. Returns the ones created (to push).

    Later messages of the run write nothing here: an unread notification's count and last
    message are read from the conversation when it is listed (`_with_live_data`), so a message
    costs one lookup, not an update per recipient.
    """
    conversation_id = ObjectId(message["conversation_id"])
    keys = {_unread_key(user_id, conversation_id): user_id for user_id in recipients}
    if not keys:
        return []
    # Within a run every recipient has one already: counted from the index alone.
    if await db[COLLECTION].count_documents({"unread_key": {"$in": list(keys)}}) == len(keys):
        return []
    found = (
        await db[COLLECTION]
        .find({"unread_key": {"$in": list(keys)}}, {"unread_key": 1})
        .to_list(None)
    )
    existing = {notification["unread_key"] for notification in found}
    if set(keys) <= existing:
        return []
    created: list[NotificationDocument] = []
    now = utcnow()
    actor_name = await users.display_name(db, ObjectId(message["sender_id"]))
    for key, user_id in keys.items():
        if key in existing:
            continue
        data = {"conversation_id": str(conversation_id), "actor_name": actor_name}
        notification = _new(user_id, "new_message", data, now)
        notification["unread_key"] = key
        try:
            await _notifications(db).insert_one(notification)
        except DuplicateKeyError:
            continue  # a concurrent message created it first
        live: dict[str, Any] = {"count": 1, "last_message": conversations.preview(message)}
        shown = notification.copy()
        shown["data"] = {**data, **live}
        created.append(shown)
    return created


async def _with_live_data(
    db: DocumentDatabase, user_id: ObjectId, listed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Unread `new_message` notifications with their run's count and last message, as the
    conversation holds them now."""
    unread = [n for n in listed if n["kind"] == "new_message" and not n["read"]]
    ids = [ObjectId(n["data"]["conversation_id"]) for n in unread]
    runs = await conversations.unread_runs(db, user_id, ids)
    for notification in unread:
        run = runs.get(ObjectId(notification["data"]["conversation_id"]), _EMPTY_RUN)
        notification["data"] = {**notification["data"], **run}
    return listed


_EMPTY_RUN = {"count": 0, "last_message": None}


async def conversation_read(
    db: DocumentDatabase, user_id: ObjectId, conversation_id: ObjectId, run: dict[str, Any]
) -> None:
    """The user read a conversation to its end: its `new_message` notification is read, and
    keeps `run` ({count, last_message}) as what it covered; a `new_conversation` one about it
    is read too (the user has seen the conversation)."""
    await db[COLLECTION].update_many(
        {
            "user_id": user_id,
            "read": False,
            "kind": "new_conversation",
            "data.conversation_id": str(conversation_id),
        },
        {"$set": {"read": True}},
    )
    await db[COLLECTION].update_one(
        {"unread_key": _unread_key(user_id, conversation_id)},
        {
            "$set": {
                "read": True,
                "data.count": run["count"],
                "data.last_message": run["last_message"],
            },
            "$unset": {"unread_key": ""},
        },
    )


async def listing(
    db: DocumentDatabase, user_id: ObjectId, params: dict[str, Any]
) -> tuple[Page, int]:
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
    page.items = await _with_live_data(db, user_id, page.items)
    unread = await db[COLLECTION].count_documents({"user_id": user_id, "read": False})
    return page, unread


async def mark_read(db: DocumentDatabase, user_id: ObjectId, data: dict[str, Any]) -> None:
    """Mark the user's notifications read: loaded MarkReadSchema `data` (ids, or all). A
    `new_message` one keeps the count and last message of its run as they are now."""
    query: dict[str, Any] = {"user_id": user_id, "read": False}
    if "question_id" in data:
        query["data.question_id"] = str(data["question_id"])
    elif not data.get("all"):
        query["_id"] = {"$in": data["ids"]}
    runs = await db[COLLECTION].find({**query, "kind": "new_message"}).to_list(None)
    for notification in await _with_live_data(db, user_id, runs):
        await conversation_read(
            db, user_id, ObjectId(notification["data"]["conversation_id"]), notification["data"]
        )
    await db[COLLECTION].update_many(query, {"$set": {"read": True}, "$unset": {"unread_key": ""}})


async def of_kind_since(
    db: DocumentDatabase, user_id: ObjectId, kind: str, since: datetime, limit: int
) -> list[NotificationDocument]:
    """The user's notifications of `kind` created since `since`, newest first (digests)."""
    found = (
        await _notifications(db)
        .find({"user_id": user_id, "created_at": {"$gte": since}})
        .sort([("created_at", -1), ("_id", -1)])
        .limit(200)
        .to_list(None)
    )
    return [n for n in found if n["kind"] == kind][:limit]


async def all_of(db: DocumentDatabase, user_id: ObjectId) -> list[NotificationView]:
    """Every notification of `user_id`, newest first (their export)."""
    found = (
        await _notifications(db)
        .find({"user_id": user_id})
        .sort([("created_at", -1), ("_id", -1)])
        .to_list(None)
    )
    return [view(notification) for notification in found]


async def forget(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Delete the user's notifications (the account is deleted)."""
    await _notifications(db).delete_many({"user_id": user_id})
