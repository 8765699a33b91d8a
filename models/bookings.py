"""Booked sessions of a mentorship (the API calls them sessions; `models/sessions.py` holds
logins).

A booked session holds its mentor's half hours: one document per half hour in
`booking_blocks`, whose `_id` is "<mentor>:<start of the half hour>". Two bookings (or a
booking and a reschedule) that want the same half hour of one mentor cannot both be stored,
whichever engine and however many processes: the second insert fails on `_id` and is answered
409. (An `_id` rather than a unique multikey index: every engine enforces it the same way.)
Cancelling removes them, freeing the time.
Each change bumps `sequence`, which the session's iCalendar invitations carry.
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
from hypee.fields import ObjectIdField, UtcDateTime
from hypee.jsonio import format_datetime
from models.availability import SLOT_MINUTES, SLOT_STEP
from models.mentorships import MentorshipDocument

COLLECTION = "bookings"
BLOCKS = "booking_blocks"
STATES = ("booked", "cancelled")

INDEXES = {
    COLLECTION: [
        IndexModel([("mentor_id", 1), ("start", 1)], name="of_mentor"),
        IndexModel([("mentorship_id", 1), ("start", 1)], name="of_mentorship"),
    ]
}


class BookingDocument(TypedDict, total=False):
    _id: ObjectId
    mentorship_id: ObjectId
    mentor_id: ObjectId
    mentee_id: ObjectId
    start: datetime
    end: datetime
    minutes: int
    state: str  # one of STATES
    sequence: int  # iCalendar SEQUENCE: 0 when booked, +1 per change
    blocks: list[str]  # the `booking_blocks` ids it holds while booked
    created_at: datetime
    updated_at: datetime
    cancelled_by: ObjectId


class NewSessionSchema(Schema):
    """POST .../sessions/ and PATCH .../sessions/{id} (a reschedule)."""

    start = fields.AwareDateTime(
        required=True, metadata={"description": "A free slot's start (ISO 8601 with offset)."}
    )
    minutes = fields.Integer(required=True, validate=validate.OneOf(SLOT_MINUTES))


class SessionSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    mentorship_id = ObjectIdField(required=True)
    mentor_id = ObjectIdField(required=True)
    mentee_id = ObjectIdField(required=True)
    start = UtcDateTime(required=True)
    end = UtcDateTime(required=True)
    minutes = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    meeting_url = fields.String(
        required=True, allow_none=True, metadata={"description": "The mentor's video-call link."}
    )
    changeable_until = UtcDateTime(
        required=True, metadata={"description": "Cancel or reschedule before this."}
    )


SessionListSchema = Schema.from_dict(
    {"results": fields.List(fields.Nested(SessionSchema), required=True)}, name="SessionList"
)
_schema = SessionSchema()


def _bookings(db: DocumentDatabase) -> DocumentCollection[BookingDocument]:
    return typed(db[COLLECTION], BookingDocument)


def view(
    booking: BookingDocument, meeting_url: str | None, change_notice: timedelta
) -> dict[str, Any]:
    shown = {
        **booking,
        "meeting_url": meeting_url,
        "changeable_until": booking["start"] - change_notice,
    }
    return cast(dict[str, Any], _schema.dump(shown))


def blocks_of(mentor_id: ObjectId, start: datetime, end: datetime) -> list[str]:
    """The half hours of the mentor's time a session from `start` to `end` covers."""
    keys = []
    moment = start
    while moment < end:
        keys.append(f"{mentor_id}:{format_datetime(moment)}")
        moment += SLOT_STEP
    return keys


def slot_taken() -> ApiError:
    """409: some of the time asked for is booked."""
    return ApiError("slot_taken", "That time is booked: choose another slot.")


async def _hold(db: DocumentDatabase, booking_id: ObjectId, keys: list[str]) -> None:
    """Take the half hours `keys` for `booking_id`; 409 `slot_taken` (holding none of them)
    when one is taken."""
    held: list[str] = []
    try:
        for key in keys:
            await db[BLOCKS].insert_one({"_id": key, "booking_id": booking_id})
            held.append(key)
    except DuplicateKeyError:
        await _release(db, held)  # a transaction undoes them anyway; a standalone MongoDB not
        raise slot_taken() from None


async def _release(db: DocumentDatabase, keys: list[str]) -> None:
    if keys:
        await db[BLOCKS].delete_many({"_id": {"$in": keys}})


async def book(
    db: DocumentDatabase,
    mentorship: MentorshipDocument,
    start: datetime,
    minutes: int,
    now: datetime,
) -> BookingDocument:
    """Store a booked session; 409 `slot_taken` when any of its half hours is booked."""
    end = start + timedelta(minutes=minutes)
    booking: BookingDocument = {
        "_id": ObjectId(),
        "mentorship_id": mentorship["_id"],
        "mentor_id": mentorship["mentor_id"],
        "mentee_id": mentorship["mentee_id"],
        "start": start,
        "end": end,
        "minutes": minutes,
        "state": "booked",
        "sequence": 0,
        "blocks": blocks_of(mentorship["mentor_id"], start, end),
        "created_at": now,
        "updated_at": now,
    }
    await _hold(db, booking["_id"], booking["blocks"])
    await _bookings(db).insert_one(booking)
    return booking


async def get(db: DocumentDatabase, booking_id: ObjectId) -> BookingDocument | None:
    found: BookingDocument | None = await _bookings(db).find_one({"_id": booking_id})
    return found


async def move(
    db: DocumentDatabase, booking: BookingDocument, start: datetime, minutes: int, now: datetime
) -> BookingDocument:
    """Reschedule a booked session (only as it was read: 409 when it changed meanwhile);
    409 `slot_taken` when the new time is booked."""
    end = start + timedelta(minutes=minutes)
    blocks = blocks_of(booking["mentor_id"], start, end)
    adding = [key for key in blocks if key not in booking["blocks"]]
    await _hold(db, booking["_id"], adding)
    moved: BookingDocument | None = await _bookings(db).find_one_and_update(
        {"_id": booking["_id"], "state": "booked", "sequence": booking["sequence"]},
        {
            "$set": {
                "start": start,
                "end": end,
                "minutes": minutes,
                "blocks": blocks,
                "updated_at": now,
            },
            "$inc": {"sequence": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    if moved is None:
        await _release(db, adding)
        raise ApiError("conflict", "This session changed meanwhile: look at it again.")
    await _release(db, [key for key in booking["blocks"] if key not in blocks])
    return moved


async def cancel(
    db: DocumentDatabase, booking: BookingDocument, user_id: ObjectId, now: datetime
) -> BookingDocument | None:
    """Cancel a booked session, freeing its time; None when it was not booked anymore."""
    cancelled: BookingDocument | None = await _bookings(db).find_one_and_update(
        {"_id": booking["_id"], "state": "booked"},
        {
            "$set": {"state": "cancelled", "cancelled_by": user_id, "updated_at": now},
            "$unset": {"blocks": ""},
            "$inc": {"sequence": 1},
        },
        return_document=ReturnDocument.BEFORE,
    )
    if cancelled is None:
        return None
    await _release(db, cancelled.get("blocks", []))
    return await get(db, booking["_id"])


async def busy(
    db: DocumentDatabase, mentor_id: ObjectId, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The mentor's booked sessions that overlap [start, end) (sessions are at most a day)."""
    found = (
        await _bookings(db)
        .find(
            {
                "mentor_id": mentor_id,
                "start": {"$gte": start - timedelta(days=1), "$lt": end},
                "state": "booked",
            },
            {"start": 1, "end": 1},
        )
        .to_list(None)
    )
    return [(b["start"], b["end"]) for b in found if b["end"] > start]


async def of_mentorship(db: DocumentDatabase, mentorship_id: ObjectId) -> list[BookingDocument]:
    found: list[BookingDocument] = (
        await _bookings(db).find({"mentorship_id": mentorship_id}).sort("start", 1).to_list(None)
    )
    return found


async def cancel_upcoming(
    db: DocumentDatabase, mentorship_id: ObjectId, user_id: ObjectId, now: datetime
) -> list[BookingDocument]:
    """Cancel the mentorship's sessions still to come (it ended); returns them."""
    cancelled = []
    for booking in await of_mentorship(db, mentorship_id):
        if booking["state"] == "booked" and booking["start"] > now:
            done = await cancel(db, booking, user_id, now)
            if done is not None:
                cancelled.append(done)
    return cancelled
