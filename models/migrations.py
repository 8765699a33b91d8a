"""Changes to stored documents between versions, applied at start-up, idempotently.

Both engines run them; several processes may run them at once (every step tolerates it).
"""

from __future__ import annotations

import logging

from pymongo.errors import DuplicateKeyError

from hypee import batches, clock
from hypee.dbapi import DocumentDatabase
from hypee.embedded.documents import scans_allowed
from models import conversations, jobs, mentor_record, messages, notification_settings, users

log = logging.getLogger("hypee.migrations")

BUCKETS = "message_buckets"


async def run(db: DocumentDatabase) -> None:
    """Bring documents written by earlier versions to the current shapes."""
    with scans_allowed():  # a migration reads whole collections, once
        if BUCKETS in await db.list_collection_names():
            await _unbucket_messages(db)
        await _add_revs(db)
        await _schedule_digests(db)
        await _add_mentor_records(db)


async def _add_revs(db: DocumentDatabase) -> None:
    """Conversations from before change counters: each message's rev is its seq, and so is
    its conversation's (every message is then "changed" at its own seq, which is true)."""
    missing = {"rev": {"$exists": False}}
    if not await db[conversations.COLLECTION].count_documents(missing, limit=1):
        return
    await db[messages.COLLECTION].update_many(missing, [{"$set": {"rev": "$seq"}}])
    await db[conversations.COLLECTION].update_many(
        {**missing, "last_message": {"$ne": None}}, [{"$set": {"last_message.rev": "$seq"}}]
    )
    result = await db[conversations.COLLECTION].update_many(missing, [{"$set": {"rev": "$seq"}}])
    log.warning("change counters added", extra={"conversations": result.modified_count})


async def _unbucket_messages(db: DocumentDatabase) -> None:
    """Messages kept 200 to a bucket document become one document each."""
    moved = 0
    async for bucket in db[BUCKETS].find({}):
        for message in bucket.get("messages", []):
            document = {k: v for k, v in message.items() if k != "id"}
            document["_id"] = message["id"]
            document["conversation_id"] = bucket["conversation_id"]
            try:
                await db[messages.COLLECTION].insert_one(document)
                moved += 1
            except DuplicateKeyError:
                pass  # moved already (by another process, or before a crash)
        await db[BUCKETS].delete_one({"_id": bucket["_id"]})
    await db[conversations.COLLECTION].update_many(
        {"recent_client_ids": {"$exists": True}}, {"$unset": {"recent_client_ids": ""}}
    )
    await db.drop_collection(BUCKETS)
    log.warning("messages moved out of buckets", extra={"messages": moved})


async def _schedule_digests(db: DocumentDatabase) -> None:
    """Accounts from before digests get the default one (weekly), as new accounts do. Runs
    while no digest is scheduled at all (once, in practice)."""
    if await db[jobs.COLLECTION].count_documents({"kind": jobs.DIGEST}, limit=1):
        return
    now, scheduled = clock.now(), 0
    async for user in batches.each(db[users.COLLECTION], projection={"notify": 1}):
        due = notification_settings.next_digest(notification_settings.of(user), now)
        if due is not None:
            key = jobs.digest_key(user["_id"])
            await jobs.schedule(db, key=key, kind=jobs.DIGEST, user_id=user["_id"], due_at=due)
            scheduled += 1
    if scheduled:
        log.warning("digests scheduled for existing accounts", extra={"accounts": scheduled})


async def _add_mentor_records(db: DocumentDatabase) -> None:
    """Mentor profiles from before mentorships get an empty record: the default capacity and
    no responsiveness samples or reviews yet."""
    added = 0
    for profile in mentor_record.PROFILES:
        missing = {profile: {"$exists": True}, f"{profile}.max_mentees": {"$exists": False}}
        if not await db[users.COLLECTION].count_documents(missing, limit=1):
            continue  # done already (every start after the first)
        record = {f"{profile}.{k}": v for k, v in mentor_record.initial().items()}
        result = await db[users.COLLECTION].update_many(missing, {"$set": record})
        added += result.modified_count
    if added:
        log.warning("mentor records added", extra={"mentors": added})
