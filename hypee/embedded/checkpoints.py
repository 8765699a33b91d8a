"""Checkpoints of the write-ahead log, off the commit path.

By default SQLite copies the log back into the database file (a checkpoint) inside the commit
that takes the log past 1,000 pages: that COMMIT then also writes and syncs the database file,
and every send waiting for it is answered milliseconds later (the slowest sends at a steady
rate were those). The engine turns automatic checkpoints off, and this runs them instead, on a
connection of its own in a worker thread, every COMMITS_PER_CHECKPOINT commits.

Invariants:
- At most one checkpoint runs at a time, and never on the write connection: a PASSIVE
  checkpoint waits for no writer or reader, so commits go on meanwhile. The log restarts
  from its beginning at the first write after a complete one.
- Durability never depends on it: the log keeps every commit until a checkpoint copies it.
  A checkpoint that fails (the disk) is logged once per reason and tried again later; the
  log grows meanwhile, and the engine's own writes report the fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger("hypee.store")

COMMITS_PER_CHECKPOINT = 50


def turn_off_automatic(connection: sqlite3.Connection) -> None:
    """Commits on `connection` never checkpoint (a Checkpointer does)."""
    connection.execute("PRAGMA wal_autocheckpoint=0")


class Checkpointer:
    """The checkpoints of one database file (see the module docstring)."""

    def __init__(self, path: Path, every: int = COMMITS_PER_CHECKPOINT) -> None:
        self.path = path
        self.every = every
        self.done = 0  # checkpoints completed
        self._since = 0  # commits since the last checkpoint began
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._failure: str | None = None

    def committed(self) -> None:
        """A commit ended: begin a checkpoint in the background when one is due."""
        self._since += 1
        if self._since < self.every or (self._task is not None and not self._task.done()):
            return
        self._since = 0
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint)
        except sqlite3.Error as error:
            if str(error) != self._failure:
                self._failure = str(error)
                log.warning(
                    "the write-ahead log could not be checkpointed; it grows until it can",
                    extra={"error": str(error), "path": str(self.path)},
                )
            return
        self.done += 1
        if self._failure is not None:
            self._failure = None
            log.warning("the write-ahead log is checkpointed again", extra={"path": str(self.path)})

    def _checkpoint(self) -> None:
        """PASSIVE: copy what no reader still needs, without waiting (worker thread)."""
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
            turn_off_automatic(self._connection)
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    async def close(self) -> None:
        """Wait for a checkpoint in progress, then close the connection."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        if self._connection is not None:
            self._connection.close()
            self._connection = None
