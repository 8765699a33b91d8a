"""Uploads: the documents behind attachments, their states and their rules.

An upload is `pending` from its ticket until a message (or an avatar) claims it, then
`claimed` -> `attached` through conditional updates, so an upload is attached once, and
`deleted` once its object is gone. The storage side (tickets, checks, removal) lives in
services/attachments.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import IndexModel

from hypee import batches
from hypee.dbapi import DocumentDatabase, typed
from hypee.fields import SPACE, ObjectIdField, StrictInteger, UtcDateTime, trim, trimmed_pattern
from hypee.jsonio import utcnow
from models.message_schemas import AttachmentView

COLLECTION = "uploads"
UPLOAD_URL_SECONDS = 600
DOWNLOAD_URL_SECONDS = 300
# How long a ticket may stay unattached before the upload is removed.
PENDING_SECONDS = 3600
MAX_FILENAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

INDEXES = {
    COLLECTION: [
        IndexModel([("state", 1), ("expires_at", 1)], name="expired_pending"),
        # Backstop for anything the cleanup task missed: a day after expiry, unattached only.
        IndexModel(
            "purge_at",
            expireAfterSeconds=0,
            partialFilterExpression={"state": "pending"},
            name="purge_ttl",
        ),
    ]
}


def check_filename(value: Any) -> str:
    """The client's file name, trimmed; ValidationError for path tricks and control characters."""
    if not isinstance(value, str):
        raise ValidationError("Not a valid string.")
    name = unicodedata.normalize("NFC", trim(value))
    if not name:
        raise ValidationError("Must not be empty.")
    if len(name) > MAX_FILENAME:
        raise ValidationError(f"Must be at most {MAX_FILENAME} characters.")
    if _CONTROL.search(name):
        raise ValidationError("Must not contain control characters.")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ValidationError("Must be a file name, not a path.")
    return name


def storage_name(filename: str) -> str:
    """A safe ASCII file name for storage keys: "Résumé 2024.pdf" -> "Resume_2024.pdf"."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    stem, dot, extension = _UNSAFE.sub("_", ascii_name).strip("._").rpartition(".")
    if not dot:
        stem, extension = extension, ""
    stem = stem[:80] or "file"
    extension = extension[:16]
    return f"{stem}.{extension}" if extension else stem


class FileName(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return check_filename(value)

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        """check_filename's rules: a trimmed name of 1 to MAX_FILENAME characters with no
        control characters or slashes, other than "." and ".."."""
        pattern = trimmed_pattern(
            rf"^{SPACE}\x00-\x1f\x7f/\\", r"^\x00-\x1f\x7f/\\", 1, MAX_FILENAME
        )
        spaces = f"^[{SPACE}]*"
        return {"pattern": pattern.replace(spaces, f"{spaces}(?!\\.\\.?[{SPACE}]*$)", 1)}


class NewUploadSchema(Schema):
    filename = FileName(required=True, metadata={"description": "Shown to downloaders; no paths."})
    content_type = fields.String(required=True, validate=validate.Length(1, 200))
    size = StrictInteger(
        required=True, validate=validate.Range(min=1), metadata={"description": "Bytes."}
    )
    conversation_id = ObjectIdField(metadata={"description": "The conversation it is for."})


class UploadTicketSchema(Schema):
    upload_id = ObjectIdField(required=True)
    method = fields.String(required=True, metadata={"enum": ["PUT"]})
    url = fields.String(required=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    expires_at = UtcDateTime(required=True)


class UploadDocument(TypedDict, total=False):
    """A file a user uploads, as stored in `uploads`: `pending` until its ticket is used,
    `claimed` while a message or an avatar takes it, then `attached` (or `deleted`)."""

    _id: ObjectId
    uploader_id: ObjectId
    key: str  # where storage keeps the bytes
    filename: str
    content_type: str
    size: int
    conversation_id: ObjectId | None
    owner_id: ObjectId  # the message, or the user of an avatar
    state: str
    created_at: datetime
    expires_at: datetime
    purge_at: datetime


def attachment_view(upload: UploadDocument | dict[str, Any]) -> AttachmentView:
    """The attachment object of a message (docs/api.md)."""
    return {
        "id": str(upload["_id"]),
        "filename": upload["filename"],
        "content_type": upload["content_type"],
        "size": upload["size"],
        "url": f"/api/attachments/{upload['_id']}",
    }


def new_upload(user_id: ObjectId, data: dict[str, Any], content_type: str) -> UploadDocument:
    """The `pending` upload document of a ticket for loaded NewUploadSchema `data`."""
    upload_id = ObjectId()
    now = utcnow()
    expires_at = now + timedelta(seconds=PENDING_SECONDS)
    return {
        "_id": upload_id,
        "uploader_id": user_id,
        "key": f"u/{user_id}/{upload_id}/{storage_name(data['filename'])}",
        "filename": data["filename"],
        "content_type": content_type,
        "size": data["size"],
        "conversation_id": data.get("conversation_id"),
        "state": "pending",
        "created_at": now,
        "expires_at": expires_at,
        "purge_at": expires_at + timedelta(days=1),
    }


async def insert(db: DocumentDatabase, upload: UploadDocument) -> None:
    await typed(db[COLLECTION], UploadDocument).insert_one(upload)


async def find_many(
    db: DocumentDatabase, upload_ids: list[ObjectId]
) -> dict[ObjectId, dict[str, Any]]:
    """The uploads of `upload_ids` that exist, by id."""
    found = await db[COLLECTION].find({"_id": {"$in": upload_ids}}).to_list(None)
    return {upload["_id"]: upload for upload in found}


def claim_problem(
    upload: dict[str, Any] | None,
    user_id: ObjectId,
    conversation_id: ObjectId | None,
    content_types: tuple[str, ...] | None,
) -> str | None:
    """Why `user_id` may not attach `upload` (to `conversation_id`, as one of `content_types`),
    or None when it may, as far as the document tells."""
    if upload is None or upload["uploader_id"] != user_id:
        return "unknown upload."
    if upload["state"] != "pending":
        return "already attached."
    if upload["expires_at"] < utcnow():
        return "expired; upload the file again."
    if upload.get("conversation_id") not in (None, conversation_id):
        return "was uploaded for another conversation."
    if content_types is not None and upload["content_type"].split(";")[0] not in content_types:
        return f"must be one of {', '.join(content_types)}."
    return None


async def mark_claimed(db: DocumentDatabase, upload_id: ObjectId, user_id: ObjectId) -> bool:
    """Reserve a pending upload of `user_id`; False when someone else got it first."""
    result = await db[COLLECTION].update_one(
        {"_id": upload_id, "state": "pending", "uploader_id": user_id},
        {"$set": {"state": "claimed", "claimed_at": utcnow()}},
    )
    return result.modified_count > 0


async def release(
    db: DocumentDatabase, upload_ids: list[ObjectId], owner_id: ObjectId | None = None
) -> None:
    """Give uploads back (the message that was to carry them was not stored): claimed ones,
    and those already attached to `owner_id`."""
    if upload_ids:
        await db[COLLECTION].update_many(
            {
                "_id": {"$in": upload_ids},
                "$or": [{"state": "claimed"}, {"state": "attached", "owner_id": owner_id}],
            },
            {"$set": {"state": "pending"}, "$unset": {"claimed_at": "", "owner_id": ""}},
        )


async def mark_attached(
    db: DocumentDatabase,
    upload_ids: list[ObjectId],
    *,
    conversation_id: ObjectId | None,
    owner_id: ObjectId,
) -> None:
    """Claimed uploads now belong to a message (`owner_id`) or an avatar (the user)."""
    await db[COLLECTION].update_many(
        {"_id": {"$in": upload_ids}, "state": "claimed"},
        {
            "$set": {"state": "attached", "conversation_id": conversation_id, "owner_id": owner_id},
            "$unset": {"claimed_at": ""},
        },
    )


async def attached(db: DocumentDatabase, upload_id: ObjectId) -> dict[str, Any] | None:
    """The upload if it is attached to a message or an avatar."""
    return await db[COLLECTION].find_one({"_id": upload_id, "state": "attached"})


async def mark_deleted(db: DocumentDatabase, upload_ids: list[ObjectId]) -> None:
    """The uploads' objects were removed from storage."""
    await db[COLLECTION].update_many(
        {"_id": {"$in": upload_ids}}, {"$set": {"state": "deleted", "deleted_at": utcnow()}}
    )


async def expired(db: DocumentDatabase, batch: int) -> list[dict[str, Any]]:
    """Up to `batch` uploads never attached before they expired."""
    return (
        await db[COLLECTION]
        .find({"state": {"$in": ["pending", "claimed"]}, "expires_at": {"$lt": utcnow()}})
        .limit(batch)
        .to_list(None)
    )


async def remove(db: DocumentDatabase, upload: dict[str, Any]) -> None:
    """Delete an expired upload's document, unless its state changed meanwhile."""
    await db[COLLECTION].delete_one({"_id": upload["_id"], "state": upload["state"]})


def attached_to_messages(db: DocumentDatabase) -> AsyncIterator[dict[str, Any]]:
    """Every upload attached to a message (the integrity check)."""
    return batches.each(
        db[COLLECTION], {"state": "attached", "conversation_id": {"$ne": None}}, {"owner_id": 1}
    )
