"""Persistence for the embedded engine: a BSON snapshot per collection under HYPEE_DATA_DIR.

The in-process engine lives in memory. At start the snapshot is loaded; it is written again
every few seconds (when something changed) and on clean shutdown. Writes go to a temporary
file that replaces the old one, so a crash mid-write leaves the previous snapshot intact.
A lock file keeps a second server process from using the same data directory.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions

_CODEC = CodecOptions(tz_aware=True)
_SUFFIX = ".bson"


class DataDirInUse(RuntimeError):
    """Another process holds the data directory's lock."""


class EmbeddedSnapshot:
    """Loads and saves every collection of a mongomock database as `<collection>.bson` files."""

    def __init__(self, data_dir: str) -> None:
        self.path = Path(data_dir) / "store"
        self._lock_file: Any = None
        self._digests: dict[str, str] = {}
        self._save_lock = asyncio.Lock()

    def acquire(self) -> None:
        """Take the directory's lock, or raise DataDirInUse."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock_file = open(self.path / "LOCK", "w")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise DataDirInUse(
                f"another server process is using the embedded store in {self.path}"
            ) from None
        self._lock_file = lock_file

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def load(self, database: Any) -> int:
        """Insert the stored documents into `database` (a mongomock Database); returns the count."""
        total = 0
        for file in sorted(self.path.glob(f"*{_SUFFIX}")):
            data = file.read_bytes()
            documents = bson.decode_all(data, _CODEC)
            name = file.name.removesuffix(_SUFFIX)
            if documents:
                database[name].insert_many(documents)
            self._digests[name] = hashlib.sha256(data).hexdigest()
            total += len(documents)
        return total

    async def save(self, database: Any) -> None:
        """Write the collections that changed since the last save."""
        async with self._save_lock:
            # Read every collection in one go on the event loop, so the snapshot is consistent;
            # encoding and disk writes happen in a worker thread.
            contents = {
                name: list(database[name].find({})) for name in database.list_collection_names()
            }
            await asyncio.get_running_loop().run_in_executor(None, self._write, contents)

    def _write(self, contents: dict[str, list[dict]]) -> None:
        for name, documents in contents.items():
            data = b"".join(bson.encode(document) for document in documents)
            digest = hashlib.sha256(data).hexdigest()
            if self._digests.get(name) == digest:
                continue
            target = self.path / f"{name}{_SUFFIX}"
            temporary = target.with_suffix(".tmp")
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
            self._digests[name] = digest
        for name in set(self._digests) - set(contents):
            (self.path / f"{name}{_SUFFIX}").unlink(missing_ok=True)
            del self._digests[name]
