"""Attachment storage: S3-compatible object stores and local disk, behind one interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from config import Settings


@dataclass(frozen=True)
class UploadTarget:
    """Where and how a client sends an object's bytes: `method` `url` with `headers`."""

    url: str
    headers: dict[str, str]
    method: str = "PUT"


@dataclass(frozen=True)
class StoredObject:
    """What storage says about an object."""

    size: int
    content_type: str


class Storage(Protocol):
    """An attachment store. URLs are signed and expire; `base_url` is this server's own
    external address (the local backend serves its URLs itself; S3 ignores it)."""

    async def prepare(self) -> None:
        """Start-up work (the S3 bucket is created if absent and allowed)."""

    async def upload_target(
        self, key: str, content_type: str, size: int, seconds: int, base_url: str
    ) -> UploadTarget: ...

    async def download_url(
        self, key: str, filename: str, content_type: str, seconds: int, base_url: str
    ) -> str: ...

    async def head(self, key: str) -> StoredObject | None: ...

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` the server made itself (a data export), off the event loop."""

    async def delete(self, key: str) -> None: ...

    async def check(self) -> None:
        """Raise when the store cannot be used (readiness)."""

    def close(self) -> None: ...


def content_disposition(filename: str) -> str:
    """An `attachment` Content-Disposition keeping a Unicode file name (RFC 6266 / 5987)."""
    from urllib.parse import quote

    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def open_storage(settings: Settings) -> Storage:
    """The S3 backend when HYPEE_S3_ENDPOINT is set, otherwise local disk."""
    if settings.local_storage:
        from hypee.storage.local import LocalStorage

        return LocalStorage(settings)
    from hypee.storage.s3 import S3Storage

    return S3Storage(settings)
