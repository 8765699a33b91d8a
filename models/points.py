"""Reputation points: every change is an event in `point_events` and a change of `users.points`.

Points never go below 0, so a loss may apply less than its nominal amount. Each event records
what was actually applied, and undoing an event applies exactly the opposite of that (again
without going below 0). Several events are undone newest first, like unwinding a stack, so
that removing a post gives its author back exactly the points they had before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel

from hypee import batches
from hypee.dbapi import DocumentDatabase
from hypee.fields import ObjectIdField, UtcDateTime
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, find_page
from models import users

COLLECTION = "point_events"

# What each action is worth (docs/api.md "Points").
QUESTION_UPVOTED = 5
ANSWER_UPVOTED = 10
POST_DOWNVOTED = -2
DOWNVOTED_AN_ANSWER = -1
ANSWER_ACCEPTED = 15
ACCEPTED_AN_ANSWER = 2

INDEXES = {COLLECTION: [IndexModel([("user_id", 1), ("_id", -1)], name="history")]}
HISTORY = Listing("points", [("_id", -1)], (ObjectId,))


class ReferenceSchema(Schema):
    type = fields.String(required=True, metadata={"enum": ["question", "answer"]})
    id = ObjectIdField(required=True)


class PointEventSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    delta = fields.Integer(required=True, metadata={"description": "Points actually applied."})
    reason = fields.String(
        required=True,
        metadata={
            "enum": [
                "question_upvoted",
                "answer_upvoted",
                "question_downvoted",
                "answer_downvoted",
                "downvoted_answer",
                "answer_accepted",
                "accepted_answer",
            ]
        },
    )
    undo = fields.Boolean(
        required=True, metadata={"description": "True when this reverses an earlier event."}
    )
    ref = fields.Nested(ReferenceSchema, required=True)
    created_at = UtcDateTime(required=True)


_event_schema = PointEventSchema()


class PointEventDocument(TypedDict, total=False):
    """One change of someone's points, as stored in `point_events` (their history)."""

    _id: ObjectId
    user_id: ObjectId
    delta: int  # as applied (points never go below 0)
    reason: str
    undo: bool  # this event reverses an earlier one
    ref: dict[str, Any]  # {type: question | answer, id}
    created_at: datetime


class PointEventView(TypedDict):
    """One line of `GET /api/users/{id}/points` (PointEventSchema)."""

    id: str
    delta: int
    reason: str
    undo: bool
    ref: dict[str, Any]
    created_at: str


def event_view(event: PointEventDocument | dict[str, Any]) -> PointEventView:
    return cast(PointEventView, _event_schema.dump(event))


async def grant(
    db: DocumentDatabase,
    user_id: ObjectId,
    delta: int,
    reason: str,
    ref: dict[str, Any],
    *,
    undo: bool = False,
) -> dict[str, Any]:
    """Apply `delta` points to `user_id` for `reason` and record it; returns the effect
    ({user_id, delta actually applied, reason, ref}) to keep for undoing it later."""
    applied = await users.add_points(db, user_id, delta)
    event_id = ObjectId()
    await db[COLLECTION].insert_one(
        {
            "_id": event_id,
            "user_id": user_id,
            "delta": applied,
            "reason": reason,
            "undo": undo,
            "ref": ref,
            "created_at": utcnow(),
        }
    )
    return {
        "user_id": user_id,
        "delta": applied,
        "reason": reason,
        "ref": ref,
        "event_id": event_id,
    }


async def undo(db: DocumentDatabase, effects: list[dict[str, Any]]) -> None:
    """Reverse effects returned by `grant`, exactly, newest first."""
    for effect in sorted(effects, key=lambda e: e["event_id"], reverse=True):
        await grant(
            db, effect["user_id"], -effect["delta"], effect["reason"], effect["ref"], undo=True
        )


async def history(db: DocumentDatabase, user_id: ObjectId, limit: int, cursor: str | None) -> Page:
    """A user's point events, newest first."""
    return await find_page(
        db[COLLECTION],
        {"user_id": user_id},
        HISTORY.scoped(str(user_id)),
        limit=limit,
        cursor=cursor,
    )


async def totals(db: DocumentDatabase) -> dict[ObjectId, int]:
    """Each user's sum of applied point deltas: what `users.points` must be."""
    sums: dict[ObjectId, int] = {}
    async for event in batches.each(db[COLLECTION], projection={"user_id": 1, "delta": 1}):
        sums[event["user_id"]] = sums.get(event["user_id"], 0) + event["delta"]
    return sums


async def all_of(db: DocumentDatabase, user_id: ObjectId) -> list[dict[str, Any]]:
    """The user's whole points history, newest first (their export)."""
    found = await db[COLLECTION].find({"user_id": user_id}).sort([("_id", -1)]).to_list(None)
    return [dict(event_view(event)) for event in found]


async def forget(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Delete the user's points history (the account is deleted)."""
    await db[COLLECTION].delete_many({"user_id": user_id})
