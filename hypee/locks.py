"""Document locks: serialize read-modify-write sequences on one document, across processes.

MongoDB transactions are out of reach (the embedded engine has none), yet some changes span
documents: a vote changes a post's score and two users' points, and must be undone exactly
later. The vote (or question) document itself is the lock: a conditional update stamps it
with a token, the sequence runs, and clearing the stamp releases it. A lock older than
STALE_SECONDS (a crashed process) is taken over.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.errors import conflict
from hypee.jsonio import utcnow

STALE_SECONDS = 30
WAIT_SECONDS = 10


class Locked:
    """A held lock: the document as it was when locked, and the token that releases it."""

    def __init__(self, collection: Any, document: dict[str, Any], token: str) -> None:
        self.collection = collection
        self.document = document
        self.token = token

    async def release(self, update: dict[str, Any] | None = None) -> None:
        """Apply `update` (a MongoDB update document) and release the lock in one write."""
        update = {**(update or {})}
        update["$unset"] = {**update.get("$unset", {}), "lock": "", "lock_at": ""}
        await self.collection.update_one({"_id": self.document["_id"], "lock": self.token}, update)

    async def delete(self) -> None:
        """Delete the locked document (which releases the lock)."""
        await self.collection.delete_one({"_id": self.document["_id"], "lock": self.token})


async def lock(
    collection: Any, key: dict[str, Any], *, insert: dict[str, Any] | None = None
) -> Locked | None:
    """Lock the document matching `key`; None when there is none.

    With `insert`, a missing document is created (from `key` and `insert`) already locked.
    Waits while another holder has it; 409 `conflict` after WAIT_SECONDS.
    """
    token = uuid.uuid4().hex
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    delay = 0.005
    while True:
        now = utcnow()
        free = {
            "$or": [{"lock": None}, {"lock_at": {"$lt": now - timedelta(seconds=STALE_SECONDS)}}]
        }
        update: dict[str, Any] = {"$set": {"lock": token, "lock_at": now}}
        if insert is not None:
            update["$setOnInsert"] = insert
        try:
            document = await collection.find_one_and_update(
                {**key, **free},
                update,
                upsert=insert is not None,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            document = None  # it exists and someone holds it
        if document is not None:
            return Locked(collection, document, token)
        if insert is None and not await collection.count_documents(key, limit=1):
            return None
        if asyncio.get_running_loop().time() > deadline:
            raise conflict("This item is busy; retry in a moment.")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
