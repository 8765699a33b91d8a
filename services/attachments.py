"""Attachments: upload tickets, verifying and attaching stored objects, downloads, cleanup.

A client asks for a ticket (a `pending` upload), sends the bytes straight to storage, then
names the upload in a message (or as its avatar). Attaching checks that the object exists
with the declared size and type, and that the upload is the caller's and still unused.
Uploads never attached are removed, object and document, after they expire.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from bson import ObjectId

from hypee.dbapi import DocumentDatabase
from hypee.errors import ApiError, not_found, validation_error
from hypee.fields import trim
from hypee.storage import Storage
from models import conversations, messages, uploads

log = logging.getLogger("hypee.attachments")


class AttachmentService:
    """The storage side of uploads; models/uploads.py keeps their documents."""

    def __init__(
        self, db: DocumentDatabase, storage: Storage, max_bytes: int, allowed_types: tuple[str, ...]
    ) -> None:
        self.db = db
        self.storage = storage
        self.max_bytes = max_bytes
        self.allowed_types = {content_type.lower() for content_type in allowed_types}

    async def ticket(
        self, user_id: ObjectId, data: dict[str, Any], base_url: str
    ) -> dict[str, Any]:
        """A ticket for uploading loaded NewUploadSchema `data`: {upload_id, method, url,
        headers, expires_at}. 413 over the size limit; 400 for a type outside the allow-list."""
        if data["size"] > self.max_bytes:
            raise ApiError("payload_too_large", f"Files may be at most {self.max_bytes} bytes.")
        content_type = trim(data["content_type"])
        base_type = trim(content_type.split(";", 1)[0]).lower()
        if base_type not in self.allowed_types:
            raise validation_error({"content_type": [f"{base_type!r} files are not accepted."]})
        conversation_id = data.get("conversation_id")
        if conversation_id is not None and not await conversations.is_member(
            self.db, conversation_id, user_id
        ):
            raise not_found("conversation")
        upload = uploads.new_upload(user_id, data, content_type)
        target = await self.storage.upload_target(
            upload["key"], content_type, data["size"], uploads.UPLOAD_URL_SECONDS, base_url
        )
        await uploads.insert(self.db, upload)
        return {
            "upload_id": str(upload["_id"]),
            "method": target.method,
            "url": target.url,
            "headers": target.headers,
            "expires_at": upload["created_at"] + timedelta(seconds=uploads.UPLOAD_URL_SECONDS),
        }

    async def claim(
        self,
        user_id: ObjectId,
        upload_ids: list[ObjectId],
        *,
        conversation_id: ObjectId | None = None,
        content_types: tuple[str, ...] | None = None,
        field: str = "attachments",
    ) -> list[dict[str, Any]]:
        """Verify and reserve the caller's uploads, in order; 400 naming every problem under
        `field` (the request's field that named them).

        Each must be the caller's, unused, unexpired, meant for this conversation (if it named
        one), and present in storage with its declared size and type (or one of
        `content_types`).
        """
        ids = list(dict.fromkeys(upload_ids))
        found = await uploads.find_many(self.db, ids)
        problems: list[str] = []
        candidates: list[dict[str, Any]] = []
        for upload_id in ids:
            upload = found.get(upload_id)
            problem = uploads.claim_problem(upload, user_id, conversation_id, content_types)
            if problem is not None or upload is None:
                problems.append(f"{upload_id}: {problem}")
            else:
                candidates.append(upload)
        stored = await asyncio.gather(*(self.storage.head(u["key"]) for u in candidates))
        for upload, obj in zip(candidates, stored, strict=True):
            declared = upload["content_type"]
            if obj is None:
                problems.append(f"{upload['_id']}: the file was never uploaded.")
            elif obj.size != upload["size"]:
                problems.append(
                    f"{upload['_id']}: {obj.size} bytes stored, {upload['size']} declared."
                )
            elif obj.content_type != declared:
                problems.append(
                    f"{upload['_id']}: stored as {obj.content_type!r}, not {declared!r}."
                )
        if problems:
            raise validation_error({field: problems})
        claimed: list[ObjectId] = []
        for upload in candidates:
            if not await uploads.mark_claimed(self.db, upload["_id"], user_id):
                await uploads.release(self.db, claimed)
                raise validation_error({field: [f"{upload['_id']}: already attached."]})
            claimed.append(upload["_id"])
        return candidates

    async def attach(
        self, upload_ids: list[ObjectId], *, conversation_id: ObjectId | None, owner_id: ObjectId
    ) -> None:
        """Claimed uploads now belong to a message (`owner_id`) or an avatar (the user)."""
        await uploads.mark_attached(
            self.db, upload_ids, conversation_id=conversation_id, owner_id=owner_id
        )

    async def release(self, upload_ids: list[ObjectId], owner_id: ObjectId | None = None) -> None:
        """Give uploads back: the message that was to carry them was not stored."""
        await uploads.release(self.db, upload_ids, owner_id)

    async def give_back(self, upload_ids: list[ObjectId], owner_id: ObjectId) -> None:
        """`release` after a failed send. If the store cannot take even that, the uploads stay
        reserved until they expire and the cleanup removes them."""
        try:
            await self.release(upload_ids, owner_id)
        except Exception:
            log.warning("uploads not given back", extra={"uploads": [str(i) for i in upload_ids]})

    async def download_url(self, upload_id: ObjectId, user_id: ObjectId, base_url: str) -> str:
        """A short-lived download URL of a message attachment, for participants only, while
        its message is not hidden by a moderator (else 404)."""
        upload = await uploads.attached(self.db, upload_id)
        if (
            upload is None
            or upload.get("conversation_id") is None
            or not await conversations.is_member(self.db, upload["conversation_id"], user_id)
        ):
            raise not_found("attachment")
        message = await messages.by_id(self.db, upload["owner_id"])
        if message is not None and message.get("hidden"):
            raise not_found("attachment")
        return await self._url(upload, base_url)

    async def public_download_url(self, upload_id: ObjectId, base_url: str) -> str:
        """A short-lived download URL of an attached upload anyone may see (an avatar)."""
        upload = await uploads.attached(self.db, upload_id)
        if upload is None:
            raise not_found("avatar")
        return await self._url(upload, base_url)

    async def _url(self, upload: dict[str, Any], base_url: str) -> str:
        return await self.storage.download_url(
            upload["key"],
            upload["filename"],
            upload["content_type"],
            uploads.DOWNLOAD_URL_SECONDS,
            base_url,
        )

    async def discard(self, upload_ids: list[ObjectId]) -> None:
        """Remove attached uploads (their message was deleted, or an avatar replaced)."""
        if not upload_ids:
            return
        found = await uploads.find_many(self.db, upload_ids)
        await asyncio.gather(*(self.storage.delete(u["key"]) for u in found.values()))
        await uploads.mark_deleted(self.db, upload_ids)

    async def purge_expired(self, batch: int = 200) -> int:
        """Remove uploads never attached before they expired, from storage and the database."""
        expired = await uploads.expired(self.db, batch)
        for upload in expired:
            await self.storage.delete(upload["key"])
            await uploads.remove(self.db, upload)
        return len(expired)
