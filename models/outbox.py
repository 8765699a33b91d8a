"""The outbox: emails and pushes promised by a committed change, until they are delivered.

An entry is stored in the same unit of work as the change that causes it, then delivered by
whichever process claims it first (hypee/leases.py). `status` goes queued -> sent, or
queued -> failed (a permanent refusal, or still failing a day after it was stored). Once
sent, the body is dropped: only what was sent to whom, and when, stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, NotRequired, TypedDict

from bson import ObjectId
from pymongo import IndexModel

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.leases import claim_due

COLLECTION = "outbox"
Channel = Literal["email", "push"]
# How long a transiently failing entry is tried again before it is marked failed.
GIVE_UP_AFTER = timedelta(days=1)
# A queued entry this far past its due time is reported by --check as stuck.
STUCK_AFTER = timedelta(hours=1)
# What an entry holds only until it is sent or failed ($unset then).
_BODIES = {"email": "", "payload": ""}

INDEXES = {
    COLLECTION: [
        IndexModel([("channel", 1), ("status", 1), ("due_at", 1)], name="due"),
        IndexModel([("status", 1), ("due_at", 1)], name="status_due"),
    ]
}


class EmailBody(TypedDict):
    subject: str
    text: str
    html: str
    headers: dict[str, str]  # besides From, To, Subject, Date and Message-ID
    calendar: NotRequired[dict[str, str]]  # {method, ics}: an invitation to attach


class OutboxDocument(TypedDict, total=False):
    """An email or a push as stored in `outbox`."""

    _id: ObjectId
    channel: Channel
    status: str  # "queued", "sent" or "failed"
    kind: str  # the email template, or the notification kind of a push
    user_id: ObjectId | None
    to: str  # email: the address
    email: EmailBody  # email, until sent
    subscription_id: ObjectId  # push: the subscription it goes to
    payload: dict[str, Any]  # push, until sent
    created_at: datetime
    due_at: datetime  # when it may be sent (moved forward by a claim's lease)
    give_up_at: datetime
    attempts: int
    lease_owner: ObjectId
    last_error: str
    sent_at: datetime


def _outbox(db: DocumentDatabase) -> DocumentCollection[OutboxDocument]:
    return typed(db[COLLECTION], OutboxDocument)


def _new(
    channel: Channel, kind: str, user_id: ObjectId | None, due_at: datetime | None
) -> OutboxDocument:
    now = clock.now()
    return {
        "_id": ObjectId(),
        "channel": channel,
        "status": "queued",
        "kind": kind,
        "user_id": user_id,
        "created_at": now,
        "due_at": max(due_at or now, now),
        "give_up_at": max(due_at or now, now) + GIVE_UP_AFTER,
        "attempts": 0,
    }


async def add_email(
    db: DocumentDatabase,
    *,
    kind: str,
    user_id: ObjectId | None,
    to: str,
    body: EmailBody,
    due_at: datetime | None = None,
) -> OutboxDocument:
    """Queue an email (in the caller's unit of work)."""
    entry = _new("email", kind, user_id, due_at)
    entry["to"] = to
    entry["email"] = body
    await _outbox(db).insert_one(entry)
    return entry


async def add_pushes(
    db: DocumentDatabase,
    user_id: ObjectId,
    subscription_ids: list[ObjectId],
    payload: dict[str, Any],
) -> None:
    """Queue one push of `payload` (its `kind` says what about) to each of the user's
    subscriptions (in the caller's unit of work)."""
    for subscription_id in subscription_ids:
        entry = _new("push", payload["kind"], user_id, None)
        entry["subscription_id"] = subscription_id
        entry["payload"] = payload
        await _outbox(db).insert_one(entry)


async def claim(db: DocumentDatabase, channel: Channel, owner: ObjectId) -> OutboxDocument | None:
    """The next due entry of `channel`, leased to `owner`; None when nothing is due."""
    found: OutboxDocument | None = await claim_due(
        _outbox(db), {"channel": channel, "status": "queued"}, owner
    )
    return found


async def mark_sent(db: DocumentDatabase, entry: OutboxDocument) -> None:
    """Delivered: keep who and when, drop the body."""
    await _outbox(db).update_one(
        {"_id": entry["_id"], "lease_owner": entry["lease_owner"], "status": "queued"},
        {"$set": {"status": "sent", "sent_at": clock.now()}, "$unset": _BODIES},
    )


async def retry_later(
    db: DocumentDatabase, entry: OutboxDocument, delay: float, error: str
) -> bool:
    """A transient failure: due again after `delay` seconds; past its give-up time it is
    marked failed instead (returns False)."""
    due_at = clock.now() + timedelta(seconds=delay)
    if due_at > entry["give_up_at"]:
        await mark_failed(db, entry, f"still failing after a day: {error}")
        return False
    await _outbox(db).update_one(
        {"_id": entry["_id"], "lease_owner": entry["lease_owner"], "status": "queued"},
        {"$set": {"due_at": due_at, "last_error": error[:500]}},
    )
    return True


async def mark_failed(db: DocumentDatabase, entry: OutboxDocument, error: str) -> None:
    """A permanent failure: never tried again."""
    await _outbox(db).update_one(
        {"_id": entry["_id"], "lease_owner": entry["lease_owner"], "status": "queued"},
        {"$set": {"status": "failed", "last_error": error[:500]}, "$unset": _BODIES},
    )


async def failed(db: DocumentDatabase) -> list[OutboxDocument]:
    """Entries given up on (--check lists them; they stay as the record of what failed)."""
    return await _outbox(db).find({"status": "failed"}).sort("due_at", 1).to_list(None)


async def stuck(db: DocumentDatabase) -> list[OutboxDocument]:
    """Queued entries an hour or more past their due time: no process is delivering them."""
    late = clock.now() - STUCK_AFTER
    query = {"status": "queued", "due_at": {"$lt": late}}
    return await _outbox(db).find(query).sort("due_at", 1).to_list(None)


async def forget_queued(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Drop what is still queued for `user_id` (the account is deleted)."""
    await db[COLLECTION].delete_many({"status": "queued", "user_id": user_id})
