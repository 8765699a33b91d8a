"""What a mentor's record shows, kept on their `users` document as events happen: capacity,
measured responsiveness and the rating from reviews. Reads never scan history.

- Capacity: `mentor.max_mentees`, `mentor.mentee_count` (accepted mentorships) and
  `mentor.places_left` (their difference). An acceptance takes a place with one conditional
  update (`places_left > 0`), so racing acceptances never take more places than there are.
- Responsiveness: `response_samples` (one document per mentor, apart from the profile so a
  directory page never decodes them) keeps the latest samples (requests answered or expired,
  with the time to answer; times to reply to a mentee's first message), at most SAMPLES_KEPT
  of each; each new sample recomputes `mentor.responsiveness` over the last WINDOW and the
  directory's sort key `mentor.response_score`.
- Rating: `mentor.reviews` {count, total}.

A suspended mentor's profile sits under `mentor_suspended` (models/users.py): the counters
move with it, and are updated there meanwhile.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import ReturnDocument

from hypee import clock
from hypee.dbapi import DocumentDatabase

COLLECTION = "users"
SAMPLES = "response_samples"  # _id: the mentor
DEFAULT_MAX_MENTEES = 3
WINDOW = timedelta(days=90)
MIN_SAMPLES = 3  # figures show from this many samples (and ratings from this many reviews)
SAMPLES_KEPT = 50
NO_SCORE = -1  # the sort key of a mentor with too few samples: after every measured one
PROFILES = ("mentor", "mentor_suspended")


class ResponsivenessSchema(Schema):
    answered_share = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Share of requests answered before they expired, 0 to 1."},
    )
    answer_median_seconds = fields.Integer(required=True, allow_none=True)
    reply_median_seconds = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Median time to reply to a mentee's first message."},
    )
    requests = fields.Integer(required=True, metadata={"description": "Samples (90 days)."})
    replies = fields.Integer(required=True, metadata={"description": "Samples (90 days)."})


class RatingSchema(Schema):
    average = fields.Float(required=True, allow_none=True, metadata={"description": "1 to 5."})
    count = fields.Integer(required=True)


def initial(max_mentees: int = DEFAULT_MAX_MENTEES) -> dict[str, Any]:
    """The record of a new mentor profile (samples and reviews are added as they come)."""
    return {
        "max_mentees": max_mentees,
        "mentee_count": 0,
        "places_left": max_mentees,
        "response_score": NO_SCORE,
    }


def show(shown: dict[str, Any], mentor: dict[str, Any]) -> None:
    """Add to `shown` (a public mentor view) what the directory and profiles show of the
    record: `full`, and `responsiveness` and `rating`, which stay null until there is
    something to show (a directory page stays small and quick)."""
    shown["full"] = mentor.get("places_left", 1) <= 0
    measured = mentor.get("responsiveness")
    shown["responsiveness"] = (
        measured if measured and measured["requests"] + measured["replies"] else None
    )
    reviews = mentor.get("reviews")
    count = reviews["count"] if reviews else 0
    shown["rating"] = (
        {
            "average": round(reviews["total"] / count, 2) if count >= MIN_SAMPLES else None,
            "count": count,
        }
        if reviews and count
        else None
    )


def capacity(mentor: dict[str, Any]) -> dict[str, int]:
    """The owner's view of their capacity: how many mentees at once, and now."""
    return {
        "max_mentees": mentor.get("max_mentees", DEFAULT_MAX_MENTEES),
        "mentee_count": mentor.get("mentee_count", 0),
    }


def summarize(response: dict[str, Any], now: datetime) -> dict[str, Any]:
    """ResponsivenessSchema data from the samples of the last WINDOW; each figure is None
    below MIN_SAMPLES samples."""
    since = now - WINDOW
    requests = [s for s in response.get("requests", []) if s["at"] >= since]
    replies = [s for s in response.get("replies", []) if s["at"] >= since]
    answered = [s["seconds"] for s in requests if s["answered"]]
    enough_requests = len(requests) >= MIN_SAMPLES
    return {
        "answered_share": round(len(answered) / len(requests), 3) if enough_requests else None,
        "answer_median_seconds": (
            int(statistics.median(answered)) if len(answered) >= MIN_SAMPLES else None
        ),
        "reply_median_seconds": (
            int(statistics.median(s["seconds"] for s in replies))
            if len(replies) >= MIN_SAMPLES
            else None
        ),
        "requests": len(requests),
        "replies": len(replies),
    }


def score(summary: dict[str, Any]) -> int:
    """The directory's "most responsive" key: the answered share first, then the quicker
    median answer; NO_SCORE without enough samples."""
    if summary["answered_share"] is None:
        return NO_SCORE
    slowest = 10**7 - 1  # seconds (about 116 days): any slower counts as this
    median = summary["answer_median_seconds"]
    quickness = slowest - min(slowest if median is None else median, slowest)
    share = int(round(summary["answered_share"] * 1000))  # noqa: RUF046
    return share * (slowest + 1) + quickness


async def _profile_of(db: DocumentDatabase, mentor_id: ObjectId) -> str | None:
    """Where the mentor's profile is: "mentor", "mentor_suspended", or None (no profile)."""
    found = await db[COLLECTION].find_one(
        {"_id": mentor_id}, {"mentor.headline": 1, "mentor_suspended.headline": 1}
    )
    if found is None:
        return None
    return next((name for name in PROFILES if name in found), None)


async def take_place(db: DocumentDatabase, mentor_id: ObjectId) -> bool:
    """Take one of the mentor's places (an acceptance); False when none is left."""
    result = await db[COLLECTION].update_one(
        {"_id": mentor_id, "mentor.places_left": {"$gt": 0}},
        {"$inc": {"mentor.places_left": -1, "mentor.mentee_count": 1}},
    )
    return result.modified_count == 1


async def give_place(db: DocumentDatabase, mentor_id: ObjectId) -> None:
    """Give back a place (a mentorship completed or ended)."""
    profile = await _profile_of(db, mentor_id)
    if profile is None:
        return
    await db[COLLECTION].update_one(
        {"_id": mentor_id, f"{profile}.mentee_count": {"$gt": 0}},
        {"$inc": {f"{profile}.places_left": 1, f"{profile}.mentee_count": -1}},
    )


async def add_sample(
    db: DocumentDatabase, mentor_id: ObjectId, kind: str, sample: dict[str, Any]
) -> None:
    """Record a responsiveness sample (`kind` "requests" or "replies") and recompute the
    summary and sort key from the kept samples."""
    profile = await _profile_of(db, mentor_id)
    if profile is None:
        return
    kept = await db[SAMPLES].find_one_and_update(
        {"_id": mentor_id},
        {"$push": {kind: {"$each": [sample], "$slice": -SAMPLES_KEPT}}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    summary = summarize(kept or {}, clock.now())
    await db[COLLECTION].update_one(
        {"_id": mentor_id},
        {
            "$set": {
                f"{profile}.responsiveness": summary,
                f"{profile}.response_score": score(summary),
            }
        },
    )


async def forget(db: DocumentDatabase, mentor_id: ObjectId) -> None:
    """Drop the mentor's samples (the account is deleted)."""
    await db[SAMPLES].delete_one({"_id": mentor_id})


async def count_rating(
    db: DocumentDatabase, mentor_id: ObjectId, total_change: int, count_change: int
) -> None:
    """Move the rating's sums: a new review (its rating, 1), an edited one (the difference, 0)."""
    profile = await _profile_of(db, mentor_id)
    if profile is None:
        return
    await db[COLLECTION].update_one(
        {"_id": mentor_id},
        {
            "$inc": {
                f"{profile}.reviews.total": total_change,
                f"{profile}.reviews.count": count_change,
            }
        },
    )
