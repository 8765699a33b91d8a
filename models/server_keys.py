"""Keys the server makes once and every process shares (the VAPID key of Web Push)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TypedDict

from pymongo.errors import DuplicateKeyError

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed

COLLECTION = "server_keys"
INDEXES: dict[str, list[object]] = {COLLECTION: []}


class ServerKeyDocument(TypedDict):
    _id: str  # the key's name
    value: str
    created_at: datetime


def _keys(db: DocumentDatabase) -> DocumentCollection[ServerKeyDocument]:
    return typed(db[COLLECTION], ServerKeyDocument)


async def get_or_make(db: DocumentDatabase, name: str, make: Callable[[], str]) -> str:
    """The stored key `name`; made with `make` and stored the first time. Of several processes
    starting together, the first to store wins and all use its key."""
    found = await _keys(db).find_one({"_id": name})
    if found is not None:
        return found["value"]
    with contextlib.suppress(DuplicateKeyError):
        await _keys(db).insert_one({"_id": name, "value": make(), "created_at": clock.now()})
    stored = await _keys(db).find_one({"_id": name})
    assert stored is not None
    return stored["value"]
