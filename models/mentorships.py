"""Mentorships: a mentee's request to a mentor, and the relation it becomes.

States and the only moves between them (TRANSITIONS): a request is `pending`; the mentor
accepts (`accepted`) or declines it (`declined`), the mentee withdraws it (`withdrawn`), or
nobody answers in time (`expired`); an accepted one ends as `completed` or `ended`. Each move
is one conditional update from the state it leaves, so a move raced twice happens once.

While pending, a request holds `pending_key` (mentee and mentor, unique sparse): one pending
request per pair. The mentee's count of pending requests is checked in the unit that stores
a new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.errors import ApiError, not_found
from hypee.fields import ObjectIdField, Text, UtcDateTime
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema

COLLECTION = "mentorships"
STATES = ("pending", "accepted", "declined", "withdrawn", "expired", "completed", "ended")
OPEN_STATES = ("pending", "accepted")
# action: (the state it leaves, the state it makes, who may take it)
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "accept": ("pending", "accepted", "mentor"),
    "decline": ("pending", "declined", "mentor"),
    "withdraw": ("pending", "withdrawn", "mentee"),
    "expire": ("pending", "expired", "system"),
    "complete": ("accepted", "completed", "either"),
    "end": ("accepted", "ended", "either"),
}
MAX_PENDING_PER_MENTEE = 3
NEWEST = Listing("mentorships", [("updated_at", -1), ("_id", -1)], (datetime, ObjectId))

INDEXES = {
    COLLECTION: [
        IndexModel("pending_key", unique=True, sparse=True, name="one_pending_per_pair"),
        IndexModel([("people", 1), ("updated_at", -1), ("_id", -1)], name="of_person"),
        IndexModel([("mentor_id", 1), ("updated_at", -1), ("_id", -1)], name="of_mentor"),
        IndexModel([("mentee_id", 1), ("updated_at", -1), ("_id", -1)], name="of_mentee"),
    ]
}


class MentorshipDocument(TypedDict, total=False):
    """A mentorship as stored in `mentorships`."""

    _id: ObjectId
    mentor_id: ObjectId
    mentee_id: ObjectId
    people: list[ObjectId]  # [mentor_id, mentee_id]: either side's listing
    state: str  # one of STATES
    message: str  # the request's note to the mentor
    reason: str  # a decline's or an end's, when given
    ended_by: ObjectId  # who completed or ended it
    conversation_id: ObjectId  # the direct conversation, from acceptance on
    suggestions: list[dict[str, Any]]  # other mentors, shown when it expired
    pending_key: str  # "<mentee>:<mentor>" while pending (unique)
    created_at: datetime
    answered_at: datetime  # accepted or declined
    ended_at: datetime
    updated_at: datetime


class NewMentorshipSchema(Schema):
    """POST /api/mentorships/"""

    mentor_id = ObjectIdField(required=True)
    goals = fields.List(
        Text(max_length=200),
        required=True,
        validate=validate.Length(1, 10),
        metadata={"description": "What the mentee wants from it (1 to 10); each becomes a goal."},
    )
    message = Text(min_length=0, max_length=2000, multiline=True, load_default="")


class ReasonSchema(Schema):
    """POST .../decline and .../end: an optional reason the other side sees."""

    reason = Text(min_length=0, max_length=1000, multiline=True, load_default="")


class SuggestionSchema(Schema):
    id = ObjectIdField(required=True)
    display_name = fields.String(required=True)
    headline = fields.String(required=True)


class PersonSchema(Schema):
    id = ObjectIdField(required=True)
    display_name = fields.String(required=True)


class MentorshipSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    mentor = fields.Nested(PersonSchema, required=True)
    mentee = fields.Nested(PersonSchema, required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    role = fields.String(
        required=True,
        validate=validate.OneOf(("mentor", "mentee")),
        metadata={"description": "The caller's side."},
    )
    message = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "A decline's or end's."})
    conversation_id = ObjectIdField(
        required=True, allow_none=True, metadata={"description": "From acceptance on."}
    )
    suggestions = fields.List(
        fields.Nested(SuggestionSchema),
        required=True,
        metadata={"description": "Available mentors in the same specialties (once expired)."},
    )
    created_at = UtcDateTime(required=True)
    answered_at = UtcDateTime(required=True, allow_none=True)
    ended_at = UtcDateTime(required=True, allow_none=True)
    expires_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "While pending."}
    )
    review_id = ObjectIdField(required=True, allow_none=True)


class MentorshipQuerySchema(PageQuerySchema):
    role = fields.String(
        validate=validate.OneOf(("mentor", "mentee")),
        metadata={"description": "Only those where the caller is the mentor (or the mentee)."},
    )
    state = fields.List(
        fields.String(validate=validate.OneOf(STATES)),
        metadata={"description": "Repeatable: only these states."},
    )


_schema = MentorshipSchema()


def _mentorships(db: DocumentDatabase) -> DocumentCollection[MentorshipDocument]:
    return typed(db[COLLECTION], MentorshipDocument)


def pending_key(mentee_id: ObjectId, mentor_id: ObjectId) -> str:
    return f"{mentee_id}:{mentor_id}"


def view(
    mentorship: MentorshipDocument,
    viewer_id: ObjectId,
    names: dict[ObjectId, str],
    *,
    expires_at: datetime | None = None,
    review_id: ObjectId | None = None,
) -> dict[str, Any]:
    """MentorshipSchema data for `viewer_id` (one of its two people); `names` holds both."""
    shown = {
        **mentorship,
        "mentor": {
            "id": mentorship["mentor_id"],
            "display_name": names.get(mentorship["mentor_id"], ""),
        },
        "mentee": {
            "id": mentorship["mentee_id"],
            "display_name": names.get(mentorship["mentee_id"], ""),
        },
        "role": "mentor" if viewer_id == mentorship["mentor_id"] else "mentee",
        "message": mentorship.get("message", ""),
        "reason": mentorship.get("reason", ""),
        "conversation_id": mentorship.get("conversation_id"),
        "suggestions": mentorship.get("suggestions", []),
        "answered_at": mentorship.get("answered_at"),
        "ended_at": mentorship.get("ended_at"),
        "expires_at": expires_at if mentorship["state"] == "pending" else None,
        "review_id": review_id,
    }
    return cast(dict[str, Any], _schema.dump(shown))


async def create(
    db: DocumentDatabase, mentee_id: ObjectId, mentor_id: ObjectId, message: str, now: datetime
) -> MentorshipDocument:
    """Store a pending request; 409 `conflict` (with the waiting one's `mentorship_id`) when
    the pair has one pending, `pending_limit` when the mentee has MAX_PENDING_PER_MENTEE."""
    pending = await db[COLLECTION].count_documents({"mentee_id": mentee_id, "state": "pending"})
    if pending >= MAX_PENDING_PER_MENTEE:
        raise ApiError(
            "pending_limit",
            f"You have {MAX_PENDING_PER_MENTEE} requests waiting for an answer: withdraw one "
            "or wait for the mentors to answer before asking another.",
        )
    mentorship: MentorshipDocument = {
        "_id": ObjectId(),
        "mentor_id": mentor_id,
        "mentee_id": mentee_id,
        "people": [mentor_id, mentee_id],
        "state": "pending",
        "message": message,
        "pending_key": pending_key(mentee_id, mentor_id),
        "created_at": now,
        "updated_at": now,
    }
    try:
        await _mentorships(db).insert_one(mentorship)
    except DuplicateKeyError:
        waiting = await _mentorships(db).find_one({"pending_key": mentorship["pending_key"]})
        raise ApiError(
            "conflict",
            "You already asked this mentor: your request is waiting for an answer.",
            extra={"mentorship_id": str(waiting["_id"]) if waiting else None},
        ) from None
    return mentorship


async def get(db: DocumentDatabase, mentorship_id: ObjectId) -> MentorshipDocument | None:
    found: MentorshipDocument | None = await _mentorships(db).find_one({"_id": mentorship_id})
    return found


async def of_member(
    db: DocumentDatabase, mentorship_id: ObjectId, user_id: ObjectId
) -> MentorshipDocument:
    """The mentorship if `user_id` is its mentor or mentee; 404 for anyone else."""
    found = await get(db, mentorship_id)
    if found is None or user_id not in (found["mentor_id"], found["mentee_id"]):
        raise not_found("mentorship")
    return found


async def move(
    db: DocumentDatabase,
    mentorship: MentorshipDocument,
    action: str,
    changes: dict[str, Any],
    now: datetime,
) -> MentorshipDocument:
    """Take `action` (a TRANSITIONS key) with `changes`, only from the state it leaves; 409
    `conflict` with the state as it is when another move came first."""
    leaves, makes, _ = TRANSITIONS[action]
    update: dict[str, Any] = {"$set": {**changes, "state": makes, "updated_at": now}}
    if leaves == "pending":
        update["$unset"] = {"pending_key": ""}
    moved: MentorshipDocument | None = await _mentorships(db).find_one_and_update(
        {"_id": mentorship["_id"], "state": leaves},
        update,
        return_document=ReturnDocument.AFTER,
    )
    if moved is None:
        current = await get(db, mentorship["_id"])
        state = current["state"] if current is not None else mentorship["state"]
        raise ApiError(
            "conflict",
            f"This mentorship is {state}: it cannot be {makes} now.",
            extra={"state": state},
        )
    return moved


async def listing(db: DocumentDatabase, user_id: ObjectId, params: dict[str, Any]) -> Page:
    """A page of the caller's mentorships, most recently changed first: loaded
    MentorshipQuerySchema `params`."""
    role = params.get("role")
    query: dict[str, Any] = {f"{role}_id": user_id} if role else {"people": user_id}
    states = params.get("state")
    if states:
        query["state"] = {"$in": sorted(set(states))}
    scope = f"{role or 'both'}:{','.join(sorted(set(states or [])))}"
    return await find_page(
        db[COLLECTION],
        query,
        NEWEST.scoped(scope),
        limit=params["limit"],
        cursor=params.get("cursor"),
    )


async def has_mentor(db: DocumentDatabase, mentee_id: ObjectId, mentor_id: ObjectId) -> bool:
    """Whether `mentor_id` mentors `mentee_id` now (an accepted mentorship)."""
    query = {"mentor_id": mentor_id, "mentee_id": mentee_id, "state": "accepted"}
    return await db[COLLECTION].count_documents(query, limit=1) > 0


async def of_person(
    db: DocumentDatabase, user_id: ObjectId, states: tuple[str, ...] = STATES
) -> list[MentorshipDocument]:
    """`user_id`'s mentorships in `states` (all by default), on either side, most recently
    changed first."""
    found: list[MentorshipDocument] = (
        await _mentorships(db)
        .find({"people": user_id, "state": {"$in": list(states)}})
        .sort([("updated_at", -1), ("_id", -1)])
        .to_list(None)
    )
    return found
