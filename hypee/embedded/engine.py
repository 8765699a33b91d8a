"""The SQLite side of the embedded engine: connections, transactions, group commit, faults.

Invariants:
- Writes run on the event loop, one at a time, on the write connection, inside one open
  transaction. A write returns (or a unit of work ends) only once a COMMIT that includes it
  has succeeded: `durable` waits for it. COMMITs run in a worker thread (they fsync), and one
  COMMIT covers every write made before it started: group commit.
- While a unit of work (`atomic`) or a COMMIT holds the gate, no other write runs; a unit is
  a SAVEPOINT, so a failing unit leaves nothing behind.
- Reads outside a unit use the read connection and see committed data only (WAL snapshots),
  so nothing uncommitted is ever shown to a client. Reads inside a unit see its own writes.
- A write that cannot be committed (disk full, read-only file system, I/O error) rolls the
  whole open transaction back: every write since the last COMMIT fails with StoreUnavailable,
  the engine turns read-only, and a probe turns it writable again once a test write commits.
- A read the disk refuses fails with StoreUnavailable naming what happened (SQLite calls a
  file it cannot read "malformed": the files are read directly to tell an I/O error from
  damage); the engine is `failing` until a probe reads the database again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pymongo.errors import ConnectionFailure

from hypee.embedded import watermark
from hypee.embedded.checkpoints import Checkpointer, turn_off_automatic
from hypee.turns import Turns

log = logging.getLogger("hypee.store")

T = TypeVar("T")
PROBE_SECONDS = 2.0
PROBE_BYTES = 64 * 1024
CACHE_KIB = 16 * 1024
# Units begun, and sends let on after their commit, in one pass of the event loop.
TURNS_PER_PASS = 3
# SQLite result codes that mean the disk, not the query, is at fault.
_FAULTS = {
    "SQLITE_FULL": "disk full",
    "SQLITE_READONLY": "read-only file system",
    "SQLITE_IOERR": "I/O error",
    "SQLITE_CANTOPEN": "cannot open the database file",
    "SQLITE_CORRUPT": "database file damaged",
    "SQLITE_NOTADB": "not a database file",
}


class StoreUnavailable(ConnectionFailure):
    """The store cannot commit writes, or (`reading`) read, now (the API answers 503
    `unavailable`); `reason` says why in a few words ("disk full")."""

    def __init__(self, message: str, reason: str | None = None, *, reading: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.reading = reading


@dataclass
class Unit:
    """A unit of work in progress (see `Engine.atomic`)."""

    engine: Engine
    generation: int
    open: bool = True


_UNIT: contextvars.ContextVar[Unit | None] = contextvars.ContextVar("hypee_unit", default=None)


def fault_of(error: sqlite3.Error) -> str | None:
    """What is wrong with the disk, if `error` says so."""
    name = getattr(error, "sqlite_errorname", "") or ""
    for prefix, description in _FAULTS.items():
        if name.startswith(prefix):
            return description
    return None


def open_connections(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """(the write connection, the read-only one) of a database file, in WAL mode, every commit
    synced to disk."""
    options: dict[str, Any] = {
        "isolation_level": None,
        "check_same_thread": False,
        "cached_statements": 512,
    }
    write = sqlite3.connect(path, **options)
    write.execute("PRAGMA journal_mode=WAL")
    write.execute("PRAGMA synchronous=FULL")
    turn_off_automatic(write)  # the Checkpointer runs them, off the commits' path
    read = sqlite3.connect(f"file:{path}?mode=ro", uri=True, **options)
    read.execute("PRAGMA busy_timeout=5000")
    for connection in (write, read):
        # Pages are read with read(), not mapped: a disk that fails a read then gives an
        # error the engine reports (/readyz, the log) where a mapped page would kill the
        # process with SIGBUS, and memory stays bounded by this cache (16 MiB a connection)
        # whatever the database's size; the kernel's page cache serves the rest.
        connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        connection.execute("PRAGMA mmap_size=0")
    return write, read


def diagnose(path: Path, reported: str) -> str:
    """What is wrong when SQLite reports `reported` about the database at `path`: an I/O error
    if its files cannot be read, else what SQLite said."""
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            with open(file, "rb", buffering=0) as handle:
                handle.read(4096)
        except FileNotFoundError:
            continue
        except OSError as error:
            return f"I/O error reading {file.name} ({error.strerror or error})"
    return reported


def probe_read(path: Path) -> None:
    """Read the database's files and its schema through a new connection: raises while the
    disk still refuses reads."""
    if diagnose(path, "ok") != "ok":
        raise OSError("the database files cannot be read")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        connection.close()


def probe_write(connection: sqlite3.Connection) -> None:
    """Commit a small write and remove it: raises while the disk still refuses writes."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("CREATE TABLE IF NOT EXISTS _probe (data BLOB)")
        connection.execute("INSERT INTO _probe VALUES (zeroblob(?))", (PROBE_BYTES,))
        connection.execute("DELETE FROM _probe")
        connection.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def _refused(what: str, reason: str | None) -> StoreUnavailable:
    return StoreUnavailable(f"{what}: {reason}", reason)


class Engine:
    """One SQLite database file, its two connections and its commit machinery.

    Longer than 200 lines on purpose: writes, units, the group commit and the read-only
    fallback all keep one state (the open transaction, its counters and the gate); split
    into classes, each would reach into the others' fields.
    """

    def __init__(self, path: Path, mark: watermark.Mark | None = None) -> None:
        self.path = path
        self.write, self.read = open_connections(path)
        self.mark = mark  # where each durable commit's number is recorded (watermark.py)
        self.commit_count = watermark.stored_count(self.write)
        self.read_only: str | None = None  # why writes are refused, while they are
        self.read_fault: str | None = None  # why reads failed, until a probe reads again
        self.written = 0  # writes made so far
        self.committed = 0  # writes known committed
        self.lost = 0  # writes at or below this number were rolled back
        self.commits = 0
        self.reads = 0  # read operations (queries) run
        self.writes = 0  # write operations run (inside units or alone)
        self.generation = 0  # changes at every commit or rollback of the open transaction
        self.turns = Turns(TURNS_PER_PASS)
        self.checkpoints = Checkpointer(path)
        self._in_transaction = False
        self._gate: asyncio.Lock | None = None
        self._commit_task: asyncio.Task[None] | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self._read_probe_task: asyncio.Task[None] | None = None
        # Called after the open transaction, or a unit of it, was rolled back, and after each
        # commit (the catalog reloads itself when it changed meanwhile).
        self.on_rollback: list[Callable[[], None]] = []
        self.on_commit: list[Callable[[], None]] = []

    @property
    def gate(self) -> asyncio.Lock:
        if self._gate is None:
            self._gate = asyncio.Lock()
        return self._gate

    # -- reads and writes ------------------------------------------------------------------

    def _unit(self) -> Unit | None:
        unit = _UNIT.get()
        return unit if unit is not None and unit.open and unit.engine is self else None

    def in_unit(self) -> bool:
        return self._unit() is not None

    def reader(self) -> sqlite3.Connection:
        """The connection a read uses now: the unit's own view inside a unit, else committed."""
        return self.write if self._unit() is not None else self.read

    def run_read(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read now (it is quick: the planner bounds it by an index)."""
        self.reads += 1
        try:
            return action(self.reader())
        except sqlite3.Error as error:
            reported = fault_of(error)
            if reported:
                reason = self._read_failed(reported)
                raise StoreUnavailable(
                    f"the database cannot be read: {reason}", reason, reading=True
                ) from error
            raise

    def _read_failed(self, reported: str) -> str:
        """Record a read the disk refused (logged once) and start probing; returns the reason."""
        reason = diagnose(self.path, reported)
        if self.read_fault is None:
            log.error(
                "the database cannot be read",
                extra={"reason": reason, "path": str(self.path)},
            )
        self.read_fault = reason
        if self._read_probe_task is None or self._read_probe_task.done():
            self._read_probe_task = asyncio.ensure_future(self._probe_reads())
        return reason

    async def _probe_reads(self) -> None:
        while self.read_fault is not None:
            await asyncio.sleep(PROBE_SECONDS)
            try:
                await asyncio.to_thread(probe_read, self.path)
            except (OSError, sqlite3.Error):
                continue
            log.warning("the database can be read again", extra={"path": str(self.path)})
            self.read_fault = None

    async def run_write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write and return its result once it is committed."""
        unit = self._unit()
        if unit is not None:
            if unit.generation != self.generation:
                raise _refused("the database cannot be written", self.read_only)
            return self._execute(action)
        self._refuse_if_read_only()
        async with self.gate:
            self._refuse_if_read_only()
            result = self._execute(action)
            mark = self.written
        await self.durable(mark)
        return result

    def _refuse_if_read_only(self) -> None:
        if self.read_only is not None:
            raise _refused("the database is read-only", self.read_only)

    def _begin(self) -> None:
        if not self._in_transaction:
            self.write.execute("BEGIN")
            self._in_transaction = True

    def _execute(self, action: Callable[[sqlite3.Connection], T]) -> T:
        self._begin()
        self.writes += 1
        try:
            result = action(self.write)
        except sqlite3.Error as error:
            if fault_of(error):
                raise self._fail(error) from error
            raise
        self.written += 1
        return result

    @contextlib.asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """A unit of work: the writes inside commit together or not at all, and the block ends
        once they are committed. Nested units are part of the outer one."""
        if self._unit() is not None:
            yield
            return
        self._refuse_if_read_only()
        await self.turns.take()
        async with self.gate:
            self._refuse_if_read_only()
            self._begin()
            self.write.execute("SAVEPOINT unit")
            unit = Unit(self, self.generation)
            token = _UNIT.set(unit)
            try:
                yield
            except BaseException:
                unit.open = False
                self._end_unit(unit, "ROLLBACK TO unit")
                raise
            finally:
                unit.open = False
                _UNIT.reset(token)
            self._end_unit(unit, None)
            self.written += 1
            mark = self.written
        await self.durable(mark)

    def _end_unit(self, unit: Unit, undo: str | None) -> None:
        if unit.generation != self.generation:
            # The transaction failed under the unit: everything was rolled back already.
            raise _refused("the database cannot be written", self.read_only)
        try:
            if undo:
                self.write.execute(undo)
            self.write.execute("RELEASE unit")
        except sqlite3.Error as error:
            raise self._fail(error) from error
        if undo:
            for listener in self.on_rollback:
                listener()

    # -- committing ------------------------------------------------------------------------

    async def durable(self, mark: int | None = None) -> None:
        """Wait until the writes up to `mark` (default: all so far) are committed."""
        mark = self.written if mark is None else mark
        waited = False
        while self.committed < mark:
            if mark <= self.lost:
                raise _refused("the write was not committed", self.read_only)
            if self._commit_task is None or self._commit_task.done():
                self._commit_task = asyncio.ensure_future(self._commit())
            with contextlib.suppress(StoreUnavailable):
                await asyncio.shield(self._commit_task)
            waited = True
        # A commit after a failure may have moved `committed` past rolled-back writes.
        if mark <= self.lost:
            raise _refused("the write was not committed", self.read_only)
        if waited:
            await self.turns.take()  # one commit wakes many sends: their acks take turns too

    async def _commit(self) -> None:
        async with self.gate:
            target = self.written
            if not self._in_transaction:
                self.committed = max(self.committed, target)
                return
            number = self.commit_count + 1
            try:
                self.write.execute(watermark.COUNT_STATEMENT, (number,))
                await asyncio.to_thread(self._commit_now, number)
            except sqlite3.Error as error:
                raise self._fail(error) from error
            self.commit_count = number
            self._in_transaction = False
            self.generation += 1
            self.commits += 1
            self.committed = target
            self.checkpoints.committed()
            for listener in self.on_commit:
                listener()

    def _commit_now(self, number: int) -> None:
        """COMMIT (it fsyncs), then record `number` as durable (worker thread)."""
        self.write.execute("COMMIT")
        if self.mark is not None:
            self.mark.write(number)

    def _fail(self, error: sqlite3.Error) -> StoreUnavailable:
        """Roll the open transaction back and turn read-only until a probe write succeeds;
        returns the error to raise."""
        with contextlib.suppress(sqlite3.Error):
            self.write.execute("ROLLBACK")
        self._in_transaction = False
        self.generation += 1
        self.lost = self.written
        self.committed = max(self.committed, self.written)
        for listener in self.on_rollback:
            listener()
        reason = diagnose(self.path, fault_of(error) or "write failed")
        if self.read_only is None:
            log.error(
                "the database is read-only until writes succeed again",
                extra={"reason": reason, "error": str(error), "path": str(self.path)},
            )
        self.read_only = reason
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.ensure_future(self._probe())
        return _refused("the database cannot be written", reason)

    async def _probe(self) -> None:
        while self.read_only is not None:
            await asyncio.sleep(PROBE_SECONDS)
            async with self.gate:
                try:
                    await asyncio.to_thread(probe_write, self.write)
                except sqlite3.Error:
                    continue
                log.warning("the database is writable again", extra={"path": str(self.path)})
                self.read_only = None

    def stats(self) -> dict[str, int]:
        """Operations and commits so far (the metrics show them)."""
        return {"reads": self.reads, "writes": self.writes, "commits": self.commits}

    # -- lifecycle -------------------------------------------------------------------------

    async def close(self) -> None:
        """Commit what is pending, checkpoint the WAL into the database file, close."""
        with contextlib.suppress(StoreUnavailable):
            await self.durable()
        for task in (self._probe_task, self._read_probe_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.checkpoints.close()
        async with self.gate:
            with contextlib.suppress(sqlite3.Error):
                await asyncio.to_thread(self.write.execute, "PRAGMA wal_checkpoint(TRUNCATE)")
            self.read.close()
            self.write.close()
            if self.mark is not None:
                self.mark.close()
