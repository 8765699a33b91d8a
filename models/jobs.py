"""Scheduled work: something to do at a due time (a missed-message email, a digest), once.

A job has a `key` (unique) naming what it is about, so scheduling the same thing twice keeps
one job. Whichever process claims a due job first runs it (hypee/leases.py); the service
that runs it removes or reschedules it in the same unit of work as what it produces.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

from bson import ObjectId
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.leases import claim_due

COLLECTION = "jobs"
DIGEST = "digest"  # kinds of job (services/digests.py, services/missed.py run them)
MISSED_MESSAGES = "missed_messages"
HELD_EMAIL = "held_email"  # a forum email held by quiet hours
HELD_PUSH = "held_push"  # a push held by quiet hours
EXPORT = "export"  # a data export to build (services/exports.py)
REQUEST_EXPIRY = "request_expiry"  # a mentorship request nobody answered (services/mentorships.py)
SESSION_REMINDER = "session_reminder"  # before a booked session (services/scheduling.py)
KINDS = (DIGEST, MISSED_MESSAGES, HELD_EMAIL, HELD_PUSH, EXPORT, REQUEST_EXPIRY, SESSION_REMINDER)


def digest_key(user_id: ObjectId) -> str:
    """The one digest job of a person."""
    return f"digest:{user_id}"


def missed_key(user_id: ObjectId, conversation_id: object) -> str:
    """The one pending missed-message check of a person in a conversation."""
    return f"missed:{user_id}:{conversation_id}"


def held_key(kind: str, user_id: ObjectId, notification_id: ObjectId) -> str:
    """An email or push about one notification, held by quiet hours."""
    return f"{kind}:{user_id}:{notification_id}"


STUCK_AFTER = timedelta(hours=1)

INDEXES = {
    COLLECTION: [
        IndexModel("key", unique=True, name="one_per_key"),
        IndexModel("due_at", name="due"),
        IndexModel([("kind", 1), ("user_id", 1), ("due_at", 1)], name="kind_user_due"),
    ]
}


class JobDocument(TypedDict, total=False):
    """A piece of scheduled work as stored in `jobs`."""

    _id: ObjectId
    key: str  # what it is about, e.g. "missed:<user>:<conversation>" (unique)
    kind: str  # what to do: "missed_messages", "digest"
    user_id: ObjectId
    data: dict[str, Any]
    due_at: datetime  # moved forward by a claim's lease
    attempts: int
    lease_owner: ObjectId
    last_error: str


def _jobs(db: DocumentDatabase) -> DocumentCollection[JobDocument]:
    return typed(db[COLLECTION], JobDocument)


async def schedule(
    db: DocumentDatabase,
    *,
    key: str,
    kind: str,
    user_id: ObjectId,
    due_at: datetime,
    data: dict[str, Any] | None = None,
) -> bool:
    """Store a job unless one with `key` exists (then nothing changes); True if stored."""
    job: JobDocument = {
        "_id": ObjectId(),
        "key": key,
        "kind": kind,
        "user_id": user_id,
        "data": data or {},
        "due_at": due_at,
        "attempts": 0,
    }
    try:
        await _jobs(db).insert_one(job)
    except DuplicateKeyError:
        return False
    return True


async def put(
    db: DocumentDatabase, *, key: str, kind: str, user_id: ObjectId, due_at: datetime
) -> None:
    """Store the job `key` due at `due_at`, moving it if it exists (a recurring job)."""
    await _jobs(db).update_one(
        {"key": key},
        {
            "$set": {"due_at": due_at, "kind": kind, "user_id": user_id, "attempts": 0},
            "$setOnInsert": {"_id": ObjectId(), "data": {}},
        },
        upsert=True,
    )


async def cancel(db: DocumentDatabase, key: str) -> None:
    await _jobs(db).delete_one({"key": key})


async def claim(db: DocumentDatabase, owner: ObjectId) -> JobDocument | None:
    """The next due job, leased to `owner`; None when nothing is due."""
    found: JobDocument | None = await claim_due(_jobs(db), {}, owner)
    return found


async def claim_more(
    db: DocumentDatabase, owner: ObjectId, kind: str, user_id: ObjectId
) -> list[JobDocument]:
    """Every other due job of `kind` for `user_id`, leased to `owner` (to be done as one)."""
    claimed: list[JobDocument] = []
    while True:
        found: JobDocument | None = await claim_due(
            _jobs(db), {"kind": kind, "user_id": user_id}, owner
        )
        if found is None:
            return claimed
        claimed.append(found)


async def done(db: DocumentDatabase, job: JobDocument) -> bool:
    """Remove a finished job (only while `job`'s lease holds); False if the lease was lost."""
    result = await _jobs(db).delete_one({"_id": job["_id"], "lease_owner": job["lease_owner"]})
    return result.deleted_count == 1


async def move(db: DocumentDatabase, job: JobDocument, due_at: datetime, error: str = "") -> None:
    """Run `job` again at `due_at` (held, recurring, or failed for now)."""
    changes: dict[str, Any] = {"due_at": due_at}
    if error:
        changes["last_error"] = error[:500]
    else:
        changes["attempts"] = 0
    await _jobs(db).update_one(
        {"_id": job["_id"], "lease_owner": job["lease_owner"]}, {"$set": changes}
    )


async def stuck(db: DocumentDatabase) -> list[JobDocument]:
    """Jobs an hour or more past their due time: no process is running them."""
    late = clock.now() - STUCK_AFTER
    return await _jobs(db).find({"due_at": {"$lt": late}}).sort("due_at", 1).to_list(None)


async def forget(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Drop the scheduled work of `user_id` (the account is deleted)."""
    await _jobs(db).delete_many({"kind": {"$in": list(KINDS)}, "user_id": user_id})
