"""The audit log: every moderation action and role change, who did it, to what, why, when.

Entries are written in the unit of work of the action they record, so the log and the
change always agree; they are never changed or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import ObjectIdField, UtcDateTime
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema
from models import users
from models.reports import TargetSchema, stored_target

COLLECTION = "audit"
ACTIONS = (
    "dismiss",
    "hide",
    "restore",
    "suspend",
    "lift_suspension",
    "auto_hide",
    "grant_role",
    "revoke_role",
)
NEWEST_FIRST = Listing("audit", [("at", -1), ("_id", -1)], (datetime, ObjectId))

INDEXES = {COLLECTION: [IndexModel([("at", -1), ("_id", -1)], name="newest")]}


class AuditEntrySchema(Schema):
    id = ObjectIdField(required=True)
    actor = fields.Nested(
        users.PublicUserSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Who acted; null for the automatic guard or the command line."},
    )
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    target = fields.Nested(TargetSchema, required=True)
    reason = fields.String(required=True)
    until = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "A suspension's end."}
    )
    at = UtcDateTime(required=True)


class AuditQuerySchema(PageQuerySchema):
    pass


class AuditDocument(TypedDict):
    _id: ObjectId
    actor_id: ObjectId | None
    action: str
    target: dict[str, Any]
    reason: str
    until: datetime | None
    at: datetime


def _entries(db: DocumentDatabase) -> DocumentCollection[AuditDocument]:
    return typed(db[COLLECTION], AuditDocument)


async def record(
    db: DocumentDatabase,
    actor_id: ObjectId | None,
    action: str,
    target: dict[str, Any],
    reason: str,
    until: datetime | None = None,
) -> AuditDocument:
    """Write one entry (in the caller's unit of work)."""
    entry: AuditDocument = {
        "_id": ObjectId(),
        "actor_id": actor_id,
        "action": action,
        "target": stored_target(target),
        "reason": reason,
        "until": until,
        "at": clock.now(),
    }
    await _entries(db).insert_one(entry)
    return entry


async def listing(db: DocumentDatabase, params: dict[str, Any]) -> Page:
    """A page of entries, newest first, for a loaded AuditQuerySchema."""
    return await find_page(
        db[COLLECTION], {}, NEWEST_FIRST, limit=params["limit"], cursor=params.get("cursor")
    )


async def render(db: DocumentDatabase, entries: list[AuditDocument]) -> list[dict[str, Any]]:
    """AuditEntrySchema data of `entries` (their actors in one query)."""
    actors = await users.public_users(db, [e["actor_id"] for e in entries if e["actor_id"]])
    return [
        {
            "id": entry["_id"],
            "actor": users.public_view(actors[entry["actor_id"]])
            if entry["actor_id"] in actors
            else None,
            "action": entry["action"],
            "target": entry["target"],
            "reason": entry["reason"],
            "until": entry.get("until"),
            "at": entry["at"],
        }
        for entry in entries
    ]
