"""Reviews: a mentee's word on a mentorship, once per mentorship (unique index), editable for
EDIT_WINDOW; the mentor may answer it once. A moderator may hide one (issue 16's reports).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.errors import ApiError
from hypee.fields import ObjectIdField, StrictInteger, Text, UtcDateTime
from hypee.pagination import Listing, Page, find_page
from models.mentorships import MentorshipDocument, PersonSchema

COLLECTION = "reviews"
EDIT_WINDOW = timedelta(days=14)
NEWEST = Listing("reviews", [("created_at", -1), ("_id", -1)], (datetime, ObjectId))

INDEXES = {
    COLLECTION: [
        IndexModel("mentorship_id", unique=True, name="one_per_mentorship"),
        IndexModel([("mentor_id", 1), ("created_at", -1), ("_id", -1)], name="of_mentor"),
        IndexModel("mentee_id", name="by_mentee"),
    ]
}


class ReviewDocument(TypedDict, total=False):
    _id: ObjectId
    mentorship_id: ObjectId
    mentor_id: ObjectId
    mentee_id: ObjectId
    rating: int  # 1 to 5
    text: str
    created_at: datetime
    updated_at: datetime
    reply: dict[str, Any]  # {text, created_at}, the mentor's answer
    hidden: bool  # by a moderator


class ReviewInSchema(Schema):
    """PUT /api/mentorships/{id}/review"""

    rating = StrictInteger(required=True, validate=validate.Range(1, 5))
    text = Text(max_length=2000, multiline=True, required=True)


class ReplySchema(Schema):
    """PUT /api/mentorships/{id}/review/reply"""

    text = Text(max_length=2000, multiline=True, required=True)


class ReviewReplyOutSchema(Schema):
    text = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class ReviewSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    mentorship_id = ObjectIdField(required=True)
    mentor_id = ObjectIdField(required=True)
    mentee = fields.Nested(PersonSchema, required=True, metadata={"description": "The reviewer."})
    rating = fields.Integer(required=True)
    text = fields.String(required=True, metadata={"description": "Empty while hidden."})
    hidden = fields.Boolean(required=True, metadata={"description": "Removed by a moderator."})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    editable_until = UtcDateTime(required=True)
    reply = fields.Nested(ReviewReplyOutSchema, required=True, allow_none=True)


_schema = ReviewSchema()


def _reviews(db: DocumentDatabase) -> DocumentCollection[ReviewDocument]:
    return typed(db[COLLECTION], ReviewDocument)


def view(review: ReviewDocument, mentee_name: str) -> dict[str, Any]:
    hidden = bool(review.get("hidden"))
    shown = {
        **review,
        "mentee": {"id": review["mentee_id"], "display_name": mentee_name},
        "text": "" if hidden else review["text"],
        "hidden": hidden,
        "editable_until": review["created_at"] + EDIT_WINDOW,
        "reply": None if hidden else review.get("reply"),
    }
    return cast(dict[str, Any], _schema.dump(shown))


async def of_mentorship(db: DocumentDatabase, mentorship_id: ObjectId) -> ReviewDocument | None:
    found: ReviewDocument | None = await _reviews(db).find_one({"mentorship_id": mentorship_id})
    return found


async def of_mentorships(
    db: DocumentDatabase, mentorship_ids: list[ObjectId]
) -> dict[ObjectId, ReviewDocument]:
    """The reviews of these mentorships, by mentorship, in one query."""
    found: list[ReviewDocument] = (
        await _reviews(db).find({"mentorship_id": {"$in": mentorship_ids}}).to_list(None)
    )
    return {review["mentorship_id"]: review for review in found}


async def get(db: DocumentDatabase, review_id: ObjectId) -> ReviewDocument | None:
    found: ReviewDocument | None = await _reviews(db).find_one({"_id": review_id})
    return found


async def write(
    db: DocumentDatabase, mentorship: MentorshipDocument, data: dict[str, Any], now: datetime
) -> tuple[ReviewDocument, int | None]:
    """Store or edit the mentorship's review from loaded ReviewInSchema `data`: (the review,
    the rating it replaced: None for a new one). 409 once EDIT_WINDOW has passed."""
    existing = await of_mentorship(db, mentorship["_id"])
    if existing is None:
        review: ReviewDocument = {
            "_id": ObjectId(),
            "mentorship_id": mentorship["_id"],
            "mentor_id": mentorship["mentor_id"],
            "mentee_id": mentorship["mentee_id"],
            "rating": data["rating"],
            "text": data["text"],
            "created_at": now,
            "updated_at": now,
        }
        try:
            await _reviews(db).insert_one(review)
            return review, None
        except DuplicateKeyError:
            existing = await of_mentorship(db, mentorship["_id"])
            if existing is None:
                raise ApiError("conflict", "Send the review again.") from None
    if now > existing["created_at"] + EDIT_WINDOW:
        raise ApiError("conflict", "A review can be edited for 14 days; this one no longer.")
    edited: ReviewDocument | None = await _reviews(db).find_one_and_update(
        {"_id": existing["_id"], "rating": existing["rating"]},
        {"$set": {"rating": data["rating"], "text": data["text"], "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if edited is None:
        raise ApiError("conflict", "The review changed meanwhile; send it again.")
    return edited, existing["rating"]


async def reply(
    db: DocumentDatabase, review_id: ObjectId, text: str, now: datetime
) -> ReviewDocument:
    """The mentor's one answer; 409 when it has one."""
    answered: ReviewDocument | None = await _reviews(db).find_one_and_update(
        {"_id": review_id, "reply": {"$exists": False}},
        {"$set": {"reply": {"text": text, "created_at": now}}},
        return_document=ReturnDocument.AFTER,
    )
    if answered is None:
        raise ApiError("conflict", "This review has an answer already; it cannot be changed.")
    return answered


async def set_hidden(db: DocumentDatabase, review_id: ObjectId, hidden: bool) -> bool:
    """Hide (or show again) a review for everyone; False when it is gone or already so."""
    result = await db[COLLECTION].update_one(
        {"_id": review_id, "hidden": {"$ne": hidden}}, {"$set": {"hidden": hidden}}
    )
    return result.modified_count > 0


async def of_mentor(db: DocumentDatabase, mentor_id: ObjectId, params: dict[str, Any]) -> Page:
    """A page of a mentor's reviews, newest first."""
    return await find_page(
        db[COLLECTION],
        {"mentor_id": mentor_id},
        NEWEST.scoped(str(mentor_id)),
        limit=params["limit"],
        cursor=params.get("cursor"),
    )


async def by_mentee(db: DocumentDatabase, mentee_id: ObjectId) -> list[ReviewDocument]:
    """Every review `mentee_id` wrote (their export)."""
    found: list[ReviewDocument] = await _reviews(db).find({"mentee_id": mentee_id}).to_list(None)
    return found
