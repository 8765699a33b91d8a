"""Data exports: one document per user (its `_id` is the user's), for their latest export.

`pending` while the job builds the file, then `ready` (with its storage key, until it
expires) or `failed`. Asking again while one is pending answers that one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import ReturnDocument

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import UtcDateTime
from hypee.jsonio import as_utc

COLLECTION = "exports"
STATUSES = ("none", "pending", "ready", "failed")
INDEXES: dict[str, list[Any]] = {}


class ExportSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(STATUSES),
        metadata={"description": "none: never asked (or expired); pending; ready; failed."},
    )
    requested_at = UtcDateTime(required=True, allow_none=True)
    ready_at = UtcDateTime(required=True, allow_none=True)
    expires_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "Until when it can be downloaded."}
    )
    size = fields.Integer(required=True, allow_none=True, metadata={"description": "Bytes."})
    download_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "When ready: a signed link to the JSON file (valid 15 minutes)."},
    )


class ExportDocument(TypedDict, total=False):
    _id: ObjectId  # the user's id
    status: str
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None
    key: str | None  # in attachment storage
    size: int | None
    error: str


def _exports(db: DocumentDatabase) -> DocumentCollection[ExportDocument]:
    return typed(db[COLLECTION], ExportDocument)


async def get(db: DocumentDatabase, user_id: ObjectId) -> ExportDocument | None:
    return await _exports(db).find_one({"_id": user_id})


async def start(db: DocumentDatabase, user_id: ObjectId) -> tuple[ExportDocument, bool]:
    """Ask for an export: (the export, whether this call started it; False when one was
    pending already). The previous file's key is returned in the document for removal."""
    before = await get(db, user_id)
    if before is not None and before["status"] == "pending":
        return before, False
    after = await _exports(db).find_one_and_update(
        {"_id": user_id},
        {
            "$set": {
                "status": "pending",
                "requested_at": clock.now(),
                "ready_at": None,
                "expires_at": None,
                "key": None,
                "size": None,
            }
        },
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert after is not None
    return after, True


async def finish(
    db: DocumentDatabase, user_id: ObjectId, key: str, size: int, expires_at: datetime
) -> None:
    await _exports(db).update_one(
        {"_id": user_id, "status": "pending"},
        {
            "$set": {
                "status": "ready",
                "key": key,
                "size": size,
                "ready_at": clock.now(),
                "expires_at": expires_at,
            }
        },
    )


async def fail(db: DocumentDatabase, user_id: ObjectId, error: str) -> None:
    await _exports(db).update_one(
        {"_id": user_id, "status": "pending"}, {"$set": {"status": "failed", "error": error[:500]}}
    )


async def forget(db: DocumentDatabase, user_id: ObjectId) -> ExportDocument | None:
    """Remove the user's export record (deleted account): what it was, for its file."""
    return await _exports(db).find_one_and_delete({"_id": user_id})


def view(export: ExportDocument | None, download_url: str | None) -> dict[str, Any]:
    """ExportSchema data (an expired export reads as none)."""
    expires_at = export.get("expires_at") if export is not None else None
    if export is None or (expires_at is not None and as_utc(expires_at) <= clock.now()):
        return {
            "status": "none",
            "requested_at": None,
            "ready_at": None,
            "expires_at": None,
            "size": None,
            "download_url": None,
        }
    return {
        "status": export["status"],
        "requested_at": export.get("requested_at"),
        "ready_at": export.get("ready_at"),
        "expires_at": export.get("expires_at"),
        "size": export.get("size"),
        "download_url": download_url,
    }
