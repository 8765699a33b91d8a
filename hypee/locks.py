"""Document locks: serialize read-modify-write sequences on one document, across processes.

Some changes span documents (a vote changes a post's score and two users' points, and must be
undone exactly later) and MongoDB without transactions cannot make them atomic. The document
itself is the lock: a conditional update stamps it with a token, the sequence runs, and
clearing the stamp releases it. A lock older than STALE_SECONDS (a crashed process) is taken
over. Use it as `async with locked(...) as held:`; the lock is released however the block ends.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import Document, DocumentCollection
from hypee.embedded.collections import Collection as EmbeddedCollection
from hypee.errors import ApiError, conflict
from hypee.jsonio import utcnow

STALE_SECONDS = 30
WAIT_SECONDS = 10


class DocumentGone(LookupError):
    """The document to lock does not exist."""


class Held:
    """A held lock: the document as it was when locked, and what to do when the block ends.

    By default the release only clears the stamp; `update_on_release` adds a MongoDB update
    applied in the same write, and `delete_on_release` deletes the document instead. Either
    takes effect only when the block ends without an exception.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.update: dict[str, Any] = {}
        self.delete = False

    def update_on_release(self, update: dict[str, Any]) -> None:
        self.update = update

    def delete_on_release(self) -> None:
        self.delete = True


@asynccontextmanager
async def locked(
    collection: DocumentCollection[Document],
    key: dict[str, Any],
    *,
    insert: dict[str, Any] | None = None,
    missing: ApiError | None = None,
) -> AsyncIterator[Held]:
    """Hold the lock of the document matching `key` for the duration of the block.

    With `insert`, a missing document is created (from `key` and `insert`) already locked;
    otherwise a missing document raises `missing` (or DocumentGone). Waits while another
    holder has it; 409 `conflict` after WAIT_SECONDS.
    """
    token = uuid.uuid4().hex
    document = await _acquire(collection, key, token, insert)
    if document is None:
        raise missing if missing is not None else DocumentGone(str(key))
    held = Held(document)
    mine = {"_id": document["_id"], "lock": token}
    try:
        yield held
    except BaseException:
        await collection.update_one(mine, {"$unset": {"lock": "", "lock_at": ""}})
        raise
    if held.delete:
        await collection.delete_one(mine)
        return
    update = {**held.update}
    update["$unset"] = {**update.get("$unset", {}), "lock": "", "lock_at": ""}
    await collection.update_one(mine, update)


def _in_transaction(collection: DocumentCollection[Document]) -> bool:
    return isinstance(collection, EmbeddedCollection) and collection.engine.in_unit()


async def _acquire(
    collection: DocumentCollection[Document],
    key: dict[str, Any],
    token: str,
    insert: dict[str, Any] | None,
) -> dict[str, Any] | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
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
            return document
        if insert is None and not await collection.count_documents(key, limit=1):
            return None
        if loop.time() > deadline or _in_transaction(collection):
            # Inside a transaction of the embedded engine nobody else can release it meanwhile.
            raise conflict("This item is busy; retry in a moment.")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)


async def release_stale(collection: DocumentCollection[Document], repair: bool) -> int:
    """Count (and, with `repair`, clear) locks left by crashed holders."""
    stale = {"lock_at": {"$lt": utcnow() - timedelta(seconds=STALE_SECONDS)}}
    found = await collection.count_documents(stale)
    if repair and found:
        await collection.update_many(stale, {"$unset": {"lock": "", "lock_at": ""}})
    return found
