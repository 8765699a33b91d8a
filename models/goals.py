"""Goals of a mentorship: a short list either side adds to and ticks off, saying who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel, ReturnDocument

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.errors import ApiError
from hypee.fields import ObjectIdField, StrictBoolean, Text, UtcDateTime

COLLECTION = "goals"
MAX_PER_MENTORSHIP = 30

INDEXES = {
    COLLECTION: [IndexModel([("mentorship_id", 1), ("created_at", 1)], name="of_mentorship")]
}


class GoalDocument(TypedDict, total=False):
    _id: ObjectId
    mentorship_id: ObjectId
    text: str
    added_by: ObjectId
    created_at: datetime
    done: bool
    done_by: ObjectId  # while done
    done_at: datetime


class NewGoalSchema(Schema):
    text = Text(max_length=200, required=True)


class GoalChangeSchema(Schema):
    """PATCH /api/goals/{id}: any of these."""

    text = Text(max_length=200)
    done = StrictBoolean()


class GoalSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    mentorship_id = ObjectIdField(required=True)
    text = fields.String(required=True)
    added_by = ObjectIdField(required=True)
    created_at = UtcDateTime(required=True)
    done = fields.Boolean(required=True)
    done_by = ObjectIdField(required=True, allow_none=True)
    done_at = UtcDateTime(required=True, allow_none=True)


GoalListSchema = Schema.from_dict(
    {"results": fields.List(fields.Nested(GoalSchema), required=True)}, name="GoalList"
)
_schema = GoalSchema()


def _goals(db: DocumentDatabase) -> DocumentCollection[GoalDocument]:
    return typed(db[COLLECTION], GoalDocument)


def view(goal: GoalDocument) -> dict[str, Any]:
    shown = {"done_by": None, "done_at": None, **goal}
    return cast(dict[str, Any], _schema.dump(shown))


async def add(
    db: DocumentDatabase, mentorship_id: ObjectId, user_id: ObjectId, text: str, now: datetime
) -> GoalDocument:
    """Add a goal; 409 past MAX_PER_MENTORSHIP."""
    if await db[COLLECTION].count_documents({"mentorship_id": mentorship_id}) >= MAX_PER_MENTORSHIP:
        raise ApiError("conflict", f"A mentorship keeps at most {MAX_PER_MENTORSHIP} goals.")
    goal: GoalDocument = {
        "_id": ObjectId(),
        "mentorship_id": mentorship_id,
        "text": text,
        "added_by": user_id,
        "created_at": now,
        "done": False,
    }
    await _goals(db).insert_one(goal)
    return goal


async def get(db: DocumentDatabase, goal_id: ObjectId) -> GoalDocument | None:
    found: GoalDocument | None = await _goals(db).find_one({"_id": goal_id})
    return found


async def change(
    db: DocumentDatabase, goal_id: ObjectId, user_id: ObjectId, data: dict[str, Any], now: datetime
) -> GoalDocument | None:
    """Apply loaded GoalChangeSchema `data`: ticking off records who and when, unticking
    forgets it."""
    update: dict[str, Any] = {"$set": {k: v for k, v in data.items() if k == "text"}}
    if data.get("done") is True:
        update["$set"].update({"done": True, "done_by": user_id, "done_at": now})
    elif data.get("done") is False:
        update["$set"]["done"] = False
        update["$unset"] = {"done_by": "", "done_at": ""}
    if not update["$set"]:
        del update["$set"]
    if not update:
        return await get(db, goal_id)
    changed: GoalDocument | None = await _goals(db).find_one_and_update(
        {"_id": goal_id}, update, return_document=ReturnDocument.AFTER
    )
    return changed


async def of_mentorship(db: DocumentDatabase, mentorship_id: ObjectId) -> list[GoalDocument]:
    found: list[GoalDocument] = (
        await _goals(db).find({"mentorship_id": mentorship_id}).sort("created_at", 1).to_list(None)
    )
    return found
