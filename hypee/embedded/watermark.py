"""The durable high-water mark: how many commits the database has acknowledged, kept beside it.

The engine numbers its commits inside the database (table `_commits`, one row, updated in each
committed transaction) and, once a COMMIT is durable, writes the same number to
`HYPEE_DATA_DIR/COMMITS`. The file is written after the database's fsync and without one of
its own, so it never says more than the database holds (a machine crash may leave it behind,
which is harmless). A database that holds fewer commits than the file says has lost
acknowledged work: its write-ahead log was deleted, cut short or damaged, or an older copy was
put in its place. The start is then refused with one line, unless the operator accepts the
loss (`run.py --repair`), which sets the mark back to what the database holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path

from hypee.embedded.datadir import DamagedStore

log = logging.getLogger("hypee.store")

MARK = "COMMITS"
SCHEMA = "CREATE TABLE IF NOT EXISTS _commits (n INTEGER NOT NULL)"
# Records the next commit's number; run inside the transaction that commit ends.
COUNT_STATEMENT = "UPDATE _commits SET n = ?"


class LostCommits(DamagedStore):
    """The database holds fewer commits than were acknowledged; the message is one line."""


def stored_count(connection: sqlite3.Connection) -> int:
    """The number of commits the database holds (creating the counter on a new database)."""
    connection.execute(SCHEMA)
    row = connection.execute("SELECT n FROM _commits").fetchone()
    if row is None:
        connection.execute("INSERT INTO _commits VALUES (0)")
        return 0
    return int(row[0])


class Mark:
    """The mark file of one data directory, open for the engine's life."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / MARK
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def read(self) -> int | None:
        """The mark, or None when none was written yet (a new database, or an earlier
        version's)."""
        raw = os.pread(self._fd, 32, 0).strip()
        return int(raw) if raw.isdigit() else None

    def write(self, commits: int) -> None:
        """Record that `commits` are durable (call after the COMMIT's fsync)."""
        os.pwrite(self._fd, f"{commits:020d}\n".encode(), 0)

    def verify(self, held: int, database: Path, *, accept_loss: bool) -> None:
        """Refuse (LostCommits) a database holding fewer than the mark's commits, unless
        `accept_loss`: then the mark is set back to `held`, and the log says what was lost."""
        marked = self.read()
        if marked is not None and marked > held:
            wal = database.with_name(database.name + "-wal")
            if not accept_loss:
                raise LostCommits(
                    f"{database}: {marked - held} acknowledged commits are missing (the database "
                    f"holds {held}, {self.path.name} says {marked}): its write-ahead log "
                    f"{wal.name} "
                    "was deleted, cut short or damaged, or an older copy was put in its place; "
                    "put the missing log back, restore a newer backup, or accept the loss with "
                    "`python run.py --repair`"
                )
            log.warning(
                "accepting the loss of acknowledged commits",
                extra={"database": str(database), "held": held, "acknowledged": marked},
            )
        if marked != held:
            self.write(held)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
