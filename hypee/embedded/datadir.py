"""The embedded engine's data directory: one process at a time, a database file that is what
it claims to be, and the move from the old snapshot files.

`HYPEE_DATA_DIR/hypee.db` (with its `-wal` and `-shm` files) is the database; `LOCK` keeps a
second server process out; `CREATED` records that a database was made here, so that a
database file that later goes missing is reported instead of silently starting empty.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import bson

from hypee.embedded.documents import CODEC

log = logging.getLogger("hypee.store")

DATABASE = "hypee.db"
CREATED = "CREATED"
LOCK = "LOCK"
SNAPSHOTS = "store"  # the snapshot directory of earlier versions
_HEADER = b"SQLite format 3\x00"
_RECOVER = (
    "restore it from a backup (see the README's Backups section), or move the data directory "
    "away to start with an empty store"
)


class DataDirInUse(RuntimeError):
    """Another process holds the data directory's lock."""


class DamagedStore(RuntimeError):
    """The database cannot be used as it is; the message is one line for the operator."""


class DataDirUnusable(RuntimeError):
    """The data directory cannot be written (read-only file system, permissions); the message
    is one line for the operator."""


def unusable(data_dir: Path, error: OSError | sqlite3.Error) -> DataDirUnusable:
    """The one-line refusal for a data directory the server cannot write to."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return DataDirUnusable(
        f"{data_dir}: the data directory cannot be written ({reason}); make it writable by this "
        "user, or point HYPEE_DATA_DIR at a directory that is"
    )


def lock(data_dir: Path) -> IO[Any]:
    """Take the directory's lock (held until the returned file is closed), or DataDirInUse."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / LOCK, "w")  # noqa: SIM115 - held for the process's life
    except OSError as error:
        raise unusable(data_dir, error) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirInUse(
            f"another server process is using the embedded store in {data_dir}"
        ) from None
    return handle


def is_new(data_dir: Path) -> bool:
    """True until a database has been completely created here (and snapshots migrated)."""
    return not (data_dir / CREATED).exists()


def check(data_dir: Path) -> None:
    """Refuse a database that is missing, truncated or damaged."""
    path = data_dir / DATABASE
    created = data_dir / CREATED
    if not path.exists() or path.stat().st_size == 0:
        if created.exists():
            raise DamagedStore(
                f"{path}: the database file is missing, although a database was created here "
                f"on {created.read_text().strip()}; {_RECOVER}"
            )
        return
    _check_header(path)
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise DamagedStore(f"{path}: the database is damaged ({error}); {_RECOVER}") from None
    if result != "ok":
        raise DamagedStore(f"{path}: the database is damaged ({result}); {_RECOVER}")


def _check_header(path: Path) -> None:
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header.startswith(_HEADER) or len(header) < 100:
        raise DamagedStore(f"{path}: not a SQLite database (bad header); {_RECOVER}")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_is_valid = pages and header[24:28] == header[92:96]
    if size_is_valid and path.stat().st_size < pages * page_size:
        raise DamagedStore(
            f"{path}: the database file is truncated ({path.stat().st_size} bytes, the header "
            f"says {pages * page_size}); {_RECOVER}"
        )


def mark_created(data_dir: Path) -> None:
    (data_dir / CREATED).write_text(datetime.now(UTC).isoformat(timespec="seconds") + "\n")


def snapshot_files(data_dir: Path) -> list[Path]:
    """The `<collection>.bson` files of an earlier version's snapshot, if any."""
    return sorted((data_dir / SNAPSHOTS).glob("*.bson"))


def read_snapshot(file: Path) -> list[dict[str, Any]]:
    """The documents of one snapshot file; DamagedStore when it cannot be decoded."""
    try:
        return bson.decode_all(file.read_bytes(), CODEC)
    except Exception as error:  # bson raises several types for damaged input
        raise DamagedStore(
            f"{file}: the snapshot cannot be migrated ({error}); restore it from a backup, or "
            f"move {file.parent} away to start with an empty store"
        ) from None


def retire_snapshots(data_dir: Path) -> Path:
    """Move the migrated snapshot directory aside; returns where it went."""
    target = data_dir / f"{SNAPSHOTS}.migrated-{datetime.now(UTC):%Y%m%d%H%M%S}"
    (data_dir / SNAPSHOTS).rename(target)
    return target
