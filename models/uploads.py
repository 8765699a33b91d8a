"""Uploads: presigned upload tickets, verifying and attaching stored objects, cleaning up.

A client asks for a ticket (`pending` upload), sends the bytes straight to storage, then
names the upload in a message (or as its avatar). Attaching checks that the object exists
with the declared size and type, and that the upload is the caller's and still unused; it
then moves `pending` -> `claimed` -> `attached` with conditional updates, so an upload is
attached once. Uploads never attached are removed, object and document, after they expire.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from datetime import timedelta
from typing import Any

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import IndexModel

from hypee.errors import ApiError, not_found, validation_error
from hypee.jsonio import utcnow
from hypee.storage import Storage
from models.fields import ObjectIdField, StrictInteger, UtcDateTime

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
    name = unicodedata.normalize("NFC", value.strip())
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


def attachment_view(upload: dict[str, Any]) -> dict[str, Any]:
    """The attachment object of a message (API.md)."""
    return {
        "id": str(upload["_id"]),
        "filename": upload["filename"],
        "content_type": upload["content_type"],
        "size": upload["size"],
        "url": f"/api/attachments/{upload['_id']}",
    }


async def create(
    db: Any,
    storage: Storage,
    user_id: ObjectId,
    data: dict[str, Any],
    *,
    max_bytes: int,
    allowed_types: tuple[str, ...],
    base_url: str,
) -> dict[str, Any]:
    """A ticket for uploading loaded NewUploadSchema `data`: {upload_id, method, url, headers,
    expires_at}. 413 over `max_bytes`; 400 for a type outside `allowed_types`."""
    if data["size"] > max_bytes:
        raise ApiError("payload_too_large", f"Files may be at most {max_bytes} bytes.")
    content_type = data["content_type"].strip()
    base_type = content_type.split(";", 1)[0].strip().lower()
    if base_type not in {t.lower() for t in allowed_types}:
        raise validation_error({"content_type": [f"{base_type!r} files are not accepted."]})
    conversation_id = data.get("conversation_id")
    if conversation_id is not None and not await _is_participant(db, conversation_id, user_id):
        raise not_found("conversation")
    upload_id = ObjectId()
    key = f"u/{user_id}/{upload_id}/{storage_name(data['filename'])}"
    target = await storage.upload_target(
        key, content_type, data["size"], UPLOAD_URL_SECONDS, base_url
    )
    now = utcnow()
    expires_at = now + timedelta(seconds=PENDING_SECONDS)
    await db[COLLECTION].insert_one(
        {
            "_id": upload_id,
            "uploader_id": user_id,
            "key": key,
            "filename": data["filename"],
            "content_type": content_type,
            "size": data["size"],
            "conversation_id": conversation_id,
            "state": "pending",
            "created_at": now,
            "expires_at": expires_at,
            "purge_at": expires_at + timedelta(days=1),
        }
    )
    return {
        "upload_id": str(upload_id),
        "method": target.method,
        "url": target.url,
        "headers": target.headers,
        "expires_at": now + timedelta(seconds=UPLOAD_URL_SECONDS),
    }


async def _is_participant(db: Any, conversation_id: ObjectId, user_id: ObjectId) -> bool:
    found = await db["conversations"].count_documents(
        {"_id": conversation_id, "participants": user_id}, limit=1
    )
    return found > 0


async def claim(
    db: Any,
    storage: Storage,
    user_id: ObjectId,
    upload_ids: list[ObjectId],
    *,
    conversation_id: ObjectId | None = None,
    content_types: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Verify and reserve the caller's uploads, in order; 400 naming every problem.

    Each must be the caller's, unused, unexpired, meant for this conversation (if it named
    one), and present in storage with its declared size and type (or one of `content_types`).
    """
    ids = list(dict.fromkeys(upload_ids))
    found = {u["_id"]: u for u in await db[COLLECTION].find({"_id": {"$in": ids}}).to_list(None)}
    now = utcnow()
    problems: list[str] = []
    uploads: list[dict[str, Any]] = []
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None or upload["uploader_id"] != user_id:
            problems.append(f"{upload_id}: unknown upload.")
        elif upload["state"] != "pending":
            problems.append(f"{upload_id}: already attached.")
        elif upload["expires_at"] < now:
            problems.append(f"{upload_id}: expired; upload the file again.")
        elif upload.get("conversation_id") not in (None, conversation_id):
            problems.append(f"{upload_id}: was uploaded for another conversation.")
        elif (
            content_types is not None and upload["content_type"].split(";")[0] not in content_types
        ):
            problems.append(f"{upload_id}: must be one of {', '.join(content_types)}.")
        else:
            uploads.append(upload)
    stored = await asyncio.gather(*(storage.head(u["key"]) for u in uploads))
    for upload, obj in zip(uploads, stored, strict=True):
        if obj is None:
            problems.append(f"{upload['_id']}: the file was never uploaded.")
        elif obj.size != upload["size"]:
            problems.append(f"{upload['_id']}: {obj.size} bytes stored, {upload['size']} declared.")
        elif obj.content_type != upload["content_type"]:
            declared = upload["content_type"]
            problems.append(f"{upload['_id']}: stored as {obj.content_type!r}, not {declared!r}.")
    if problems:
        raise validation_error({"attachments": problems})
    claimed: list[ObjectId] = []
    for upload in uploads:
        result = await db[COLLECTION].update_one(
            {"_id": upload["_id"], "state": "pending", "uploader_id": user_id},
            {"$set": {"state": "claimed", "claimed_at": now}},
        )
        if not result.modified_count:
            await release(db, claimed)
            raise validation_error({"attachments": [f"{upload['_id']}: already attached."]})
        claimed.append(upload["_id"])
    return uploads


async def release(db: Any, upload_ids: list[ObjectId], owner_id: ObjectId | None = None) -> None:
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
    db: Any, upload_ids: list[ObjectId], *, conversation_id: ObjectId | None, owner_id: ObjectId
) -> None:
    """Claimed uploads now belong to a message (`owner_id`) or an avatar (the user)."""
    await db[COLLECTION].update_many(
        {"_id": {"$in": upload_ids}, "state": "claimed"},
        {
            "$set": {"state": "attached", "conversation_id": conversation_id, "owner_id": owner_id},
            "$unset": {"claimed_at": ""},
        },
    )


async def download_url(
    db: Any, storage: Storage, upload_id: ObjectId, user_id: ObjectId, base_url: str
) -> str:
    """A short-lived download URL of a message attachment, for participants only (else 404)."""
    upload = await db[COLLECTION].find_one({"_id": upload_id, "state": "attached"})
    if (
        upload is None
        or upload.get("conversation_id") is None
        or not await _is_participant(db, upload["conversation_id"], user_id)
    ):
        raise not_found("attachment")
    return await storage.download_url(
        upload["key"], upload["filename"], upload["content_type"], DOWNLOAD_URL_SECONDS, base_url
    )


async def public_download_url(db: Any, storage: Storage, upload_id: ObjectId, base_url: str) -> str:
    """A short-lived download URL of an attached upload anyone may see (an avatar)."""
    upload = await db[COLLECTION].find_one({"_id": upload_id, "state": "attached"})
    if upload is None:
        raise not_found("avatar")
    return await storage.download_url(
        upload["key"], upload["filename"], upload["content_type"], DOWNLOAD_URL_SECONDS, base_url
    )


async def discard(db: Any, storage: Storage, upload_ids: list[ObjectId]) -> None:
    """Remove attached uploads (their message was deleted, or an avatar replaced)."""
    if not upload_ids:
        return
    uploads = await db[COLLECTION].find({"_id": {"$in": upload_ids}}).to_list(None)
    await asyncio.gather(*(storage.delete(u["key"]) for u in uploads))
    await db[COLLECTION].update_many(
        {"_id": {"$in": upload_ids}}, {"$set": {"state": "deleted", "deleted_at": utcnow()}}
    )


async def purge_expired(db: Any, storage: Storage, batch: int = 200) -> int:
    """Remove uploads never attached before they expired, from storage and the database."""
    expired = (
        await db[COLLECTION]
        .find({"state": {"$in": ["pending", "claimed"]}, "expires_at": {"$lt": utcnow()}})
        .limit(batch)
        .to_list(None)
    )
    for upload in expired:
        await storage.delete(upload["key"])
        await db[COLLECTION].delete_one({"_id": upload["_id"], "state": upload["state"]})
    return len(expired)
