"""Uploads and downloads: tickets, attachment redirects, avatars, and the local-disk file URLs."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from typing import Any

import tornado.iostream
import tornado.web
from marshmallow import Schema, fields, validate

from handlers.base import BaseHandler
from hypee.errors import (
    ApiError,
    field_error,
    forbidden,
    insufficient_storage,
    not_found,
    unavailable,
    validation_error,
)
from hypee.openapi import Operation
from hypee.storage import content_disposition
from hypee.storage.local import LocalStorage, LocalWriter
from models import uploads, users

log = logging.getLogger("hypee.files")
REDIRECT_DOC = {"type": "string", "description": "Empty; follow the Location header."}
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


def storage_error(error: OSError) -> ApiError:
    """The answer for a file the disk refused: 507 when it is full, 503 otherwise."""
    log.warning("local storage refused a write", extra={"error": str(error)})
    if error.errno in _NO_ROOM:
        return insufficient_storage("There is no room left to store this file; try again later.")
    return unavailable("The file storage cannot save files right now; try again shortly.")


READ_CHUNK = 64 * 1024


class UploadHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Get a URL to upload a file to",
            body=uploads.NewUploadSchema,
            response=uploads.UploadTicketSchema,
            status=201,
            errors=(404,),
            description="PUT the bytes to `url` with `headers` within 10 minutes, then name "
            "`upload_id` in a message's `attachments` (or as `avatar_upload_id`). Over the size "
            "limit: 413. A content type outside the allow-list: 400.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(uploads.NewUploadSchema)
        ticket = await self.services.attachments.ticket(self.user_id, data, self.base_url())
        self.write_json(ticket, 201)


class DownloadQuerySchema(Schema):
    format = fields.String(
        validate=validate.OneOf(["json"]),
        metadata={
            "description": "json: answer 200 {url} instead of the redirect (for pages "
            "that show the file themselves, an image inline say)."
        },
    )


class AttachmentHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "Download an attachment",
            query=DownloadQuerySchema,
            response=REDIRECT_DOC,
            status=302,
            content_type="text/plain",
            description="302 to a short-lived signed download URL (with `?format=json`, 200 "
            "`{url}`); 404 to anyone who is not a participant of the attachment's conversation.",
            also={
                200: {
                    "type": "object",
                    "properties": {"url": {"type": "string"}},
                    "required": ["url"],
                }
            },
        )
    }

    async def get(self, attachment_id: str) -> None:
        upload_id = self.path_id(attachment_id, "attachment")
        as_json = self.load_query(DownloadQuerySchema).get("format") == "json"
        url = await self.services.attachments.download_url(upload_id, self.user_id, self.base_url())
        if as_json:
            self.write_json({"url": url})
        else:
            self.redirect(url)


class AvatarHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "A user's avatar image",
            response=REDIRECT_DOC,
            status=302,
            content_type="text/plain",
            description="302 to a short-lived signed URL of the image; 404 without an avatar.",
        )
    }

    async def get(self, user_id: str) -> None:
        user = await users.get_user(self.db, self.path_id(user_id, "user"))
        if user is None or not user.get("avatar"):
            raise not_found("avatar")
        url = await self.services.attachments.public_download_url(
            user["avatar"]["upload_id"], self.base_url()
        )
        self.redirect(url)


@tornado.web.stream_request_body
class LocalFileHandler(BaseHandler):
    """The local-disk backend's signed URLs: PUT stores the bytes, GET serves them.

    Authorization is the URL's signature, not a token. The upload streams to disk chunk by
    chunk, so memory does not grow with the file.
    """

    public_methods = frozenset({"GET", "PUT"})
    docs = {
        "PUT": Operation(
            "Store an upload's bytes (local-disk storage; URL from POST /api/uploads/)",
            response={"type": "object"},
            errors=(403, 503, 507),
            description="The URL's signature must be valid and unexpired (else 403); Content-Type "
            "and Content-Length must match the ticket (else 400).",
        ),
        "GET": Operation(
            "Download a file (local-disk storage; URL from GET /api/attachments/{id})",
            response={"type": "string", "format": "binary"},
            errors=(403,),
            content_type="application/octet-stream",
        ),
    }

    def initialize(self, route: str = "unmatched") -> None:
        super().initialize(route)
        self._writer: LocalWriter | None = None
        self._written_too_much = False
        self._write_failed: OSError | None = None

    @property
    def body_limit(self) -> int:  # type: ignore[override]
        return self.services.settings.max_upload_bytes

    @property
    def local(self) -> LocalStorage:
        storage = self.services.storage
        if not isinstance(storage, LocalStorage):
            raise not_found("file")
        return storage

    def authorize_request(self, method: str) -> None:
        """The URL's signature authorizes the request (checked before any byte is stored)."""
        key = self.path_kwargs["key"]
        local = self.local
        arg = self.get_query_argument
        if method == "PUT":
            declared_type, declared_size = arg("ct", ""), arg("size", "")
            parts = ["PUT", key, declared_type, declared_size]
        else:
            parts = ["GET", key, arg("name", ""), arg("ct", "")]
        if not local.verify(parts, arg("expires", ""), arg("sig", "")):
            raise forbidden("This link is invalid or has expired.")
        if method != "PUT":
            return
        if self.request.headers.get("Content-Type") != declared_type:
            raise field_error("Content-Type", f"Must be {declared_type!r}, as declared.")
        if self.request.headers.get("Content-Length") != declared_size:
            raise field_error("Content-Length", f"Must be {declared_size}, as declared.")
        try:
            self._writer = local.writer(key)
        except ValueError:
            raise not_found("file") from None
        except OSError as error:
            raise storage_error(error) from None

    async def data_received(self, chunk: bytes) -> None:
        # A coroutine: Tornado reads the next chunk only once this one is on disk.
        writer = self._writer
        if writer is None:
            return  # refused (an answer is waiting): read and discard
        if writer.size + len(chunk) > int(self.get_query_argument("size")):
            self._written_too_much = True
            return
        try:
            await asyncio.to_thread(writer.write, chunk)
        except OSError as error:
            # Keep reading (and dropping) the body, so the client gets the answer.
            self._write_failed = error
            self._abort_writer()

    async def put(self, key: str) -> None:
        if self._write_failed is not None:
            raise storage_error(self._write_failed)
        writer = self._writer
        assert writer is not None
        expected = int(self.get_query_argument("size"))
        if self._written_too_much or writer.size != expected:
            writer.abort()
            raise validation_error({"Content-Length": [f"Expected {expected} bytes."]})
        try:
            await asyncio.to_thread(writer.commit, self.get_query_argument("ct"))
        except OSError as error:
            raise storage_error(error) from None
        finally:
            self._writer = None
        self.write_json({"size": expected})

    async def get(self, key: str) -> None:
        try:
            path = self.local.path_of(key)
            file = await asyncio.to_thread(path.open, "rb")
        except (ValueError, FileNotFoundError):
            raise not_found("file") from None
        with file:
            name = self.get_query_argument("name")
            self.set_header("Content-Type", self.get_query_argument("ct"))
            self.set_header("Content-Disposition", content_disposition(name))
            self.set_header("Content-Length", str(os.fstat(file.fileno()).st_size))
            self.set_header("Cache-Control", "private, max-age=300")
            try:
                while chunk := await asyncio.to_thread(file.read, READ_CHUNK):
                    self.write(chunk)
                    await self.flush()
            except tornado.iostream.StreamClosedError:
                return  # the client went away mid-download (a page left, an image dropped)
        self.finish()

    def on_finish(self) -> None:
        self._abort_writer()
        super().on_finish()

    def on_connection_close(self) -> None:
        self._abort_writer()
        super().on_connection_close()

    def _abort_writer(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self._abort_writer()
        super().write_error(status_code, **kwargs)
