"""Local-disk storage (the embedded default): this server accepts the PUT and serves the GET.

URLs carry an expiry and an HMAC signature over everything they allow (method, key, content
type, size or download name), so they behave like S3 presigned URLs: an expired or altered
URL is refused. Bytes are streamed to a temporary file and renamed into place once complete;
the declared content type is kept in a small sidecar file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

from config import Settings
from hypee.storage import StoredObject, UploadTarget

FILES_PREFIX = "/files/"
_META = ".meta.json"


class LocalStorage:
    """Attachments under `<HYPEE_DATA_DIR>/attachments`."""

    def __init__(self, settings: Settings) -> None:
        self.root = (Path(settings.data_dir) / "attachments").resolve()
        # A key of its own, derived from the server secret, so the two never sign the same thing.
        self._key = hmac.new(
            settings.jwt_secret.encode(), b"hypee local storage", "sha256"
        ).digest()
        self.public_url = settings.public_url.rstrip("/") if settings.public_url else None

    async def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    # -- signing ---------------------------------------------------------------------------

    def _sign(self, *parts: str) -> str:
        return hmac.new(self._key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def _url(self, base_url: str, key: str, params: dict[str, str]) -> str:
        base = self.public_url or base_url.rstrip("/")
        return f"{base}{FILES_PREFIX}{quote(key, safe='')}?{urlencode(params)}"

    def verify(self, parts: list[str], expires: str, signature: str) -> bool:
        """True when `signature` signs `parts` + `expires` and `expires` is in the future."""
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(*parts, expires), signature)

    async def upload_target(
        self, key: str, content_type: str, size: int, seconds: int, base_url: str
    ) -> UploadTarget:
        expires = str(int(time.time()) + seconds)
        signature = self._sign("PUT", key, content_type, str(size), expires)
        params = {"ct": content_type, "size": str(size), "expires": expires, "sig": signature}
        return UploadTarget(
            url=self._url(base_url, key, params), headers={"Content-Type": content_type}
        )

    async def download_url(
        self, key: str, filename: str, content_type: str, seconds: int, base_url: str
    ) -> str:
        expires = str(int(time.time()) + seconds)
        signature = self._sign("GET", key, filename, content_type, expires)
        params = {"name": filename, "ct": content_type, "expires": expires, "sig": signature}
        return self._url(base_url, key, params)

    # -- files -----------------------------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The file of `key`; ValueError for a key that would leave the storage directory."""
        path = (self.root / key).resolve()
        if self.root not in path.parents or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError("invalid key")
        return path

    def writer(self, key: str) -> LocalWriter:
        """A streaming writer for `key`'s bytes."""
        return LocalWriter(self.path_of(key))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data, content_type)

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        writer = self.writer(key)
        try:
            writer.write(data)
            writer.commit(content_type)
        except BaseException:
            writer.abort()
            raise

    async def head(self, key: str) -> StoredObject | None:
        path = self.path_of(key)
        try:
            meta = json.loads(path.with_name(path.name + _META).read_text())
            size = path.stat().st_size
        except (FileNotFoundError, ValueError):
            return None
        return StoredObject(size=size, content_type=meta["content_type"])

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        for file in (path, path.with_name(path.name + _META)):
            file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the upload's own directory, now empty

    async def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OSError(f"{self.root} is not writable")

    def close(self) -> None:
        pass


class LocalWriter:
    """Writes an object to a temporary file; `commit` moves it into place, `abort` removes it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        self.file = open(self.temporary, "wb")  # noqa: SIM115 - closed by commit or abort
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.size += len(chunk)

    def commit(self, content_type: str) -> None:
        """Make the object durable and visible; on any OSError (a full disk) nothing is left."""
        meta = self.path.with_name(self.path.name + _META)
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            meta.write_text(json.dumps({"content_type": content_type}))
            os.replace(self.temporary, self.path)
        except OSError:
            self.abort()
            meta.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        if not self.file.closed:
            with contextlib.suppress(OSError):  # a full disk refuses the buffered rest
                self.file.close()
        self.temporary.unlink(missing_ok=True)
