"""The document store: PyMongo's async client, or the embedded engine behind the same calls."""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import logging
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pymongo import AsyncMongoClient, IndexModel

from hypee.dbapi import DocumentDatabase
from hypee.embedded import datadir, documents, watermark
from hypee.embedded.collections import Database
from hypee.embedded.engine import Engine, StoreUnavailable
from hypee.mongo import SessionDatabase, Transactions
from hypee.units import UnitOfWork, close_unit, open_unit
from hypee.watch import Generations, WatchedDatabase

log = logging.getLogger("hypee.db")

IndexSpecs = Mapping[str, Iterable[IndexModel]]


class Store:
    """A database handle (`store.db["users"]`) plus what the engines differ in.

    Models receive `store.db`; both engines answer the same PyMongo-style async calls.
    Services wrap a change of several documents in `async with store.atomic() as unit:` one
    transaction on the embedded engine and on a MongoDB replica set; on a standalone MongoDB
    the steps run one by one and a crash between them is repaired (`run.py --repair`). What
    must leave the process only once the change is durable goes through `unit.on_commit`
    (hypee/units.py).
    """

    def __init__(self, client: Any, db: DocumentDatabase, engine: Engine | None = None) -> None:
        self.client = client
        self.db = db
        self._unwatched = db
        # The embedded engine's own database calls (checks, expiry, index use), unwatched.
        self.embedded_db: Database | None = db if isinstance(db, Database) else None
        self.engine = engine
        self.transactions = Transactions(client) if engine is None else None
        self._lock: IO[Any] | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def watch(self, names: Iterable[str]) -> Generations:
        """Count the writes to the collections `names` from now on (hypee/watch.py), in place
        of any earlier watch: call it before anything takes `db`."""
        names = list(names)
        generations = Generations(names)
        self.db = WatchedDatabase(self._unwatched, generations, names)
        return generations

    @property
    def embedded(self) -> bool:
        return self.engine is not None

    def atomic(self) -> AtomicUnit:
        """A unit of work (hypee/units.py): one transaction on the embedded engine and on a
        MongoDB replica set, steps on a standalone MongoDB; its after-commit callbacks run
        once it has committed, and never otherwise. Inside another unit, it is part of that
        one (and costs nothing)."""
        return AtomicUnit(self)

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        if self.engine is not None:
            return self.engine.atomic()
        assert self.transactions is not None  # every store without an engine has them
        return self.transactions.unit()

    async def describe_units(self) -> str:
        """What a unit of work is on this store (the start-up log says it)."""
        if self.engine is not None:
            return "a SQLite transaction"
        assert self.transactions is not None
        if await self.transactions.probe():
            return "a MongoDB transaction (replica set or mongos)"
        return "steps (standalone MongoDB has no transactions; --repair mends a crash between them)"

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        await self.db.command("ping")

    async def check(self) -> str:
        """ "ok", or what is wrong: readiness (`/readyz`) reports it."""
        await self.ping()
        if self.engine is not None and self.engine.read_only is not None:
            return f"read-only: {self.engine.read_only}"
        if self.engine is not None and self.engine.read_fault is not None:
            return f"failing: {self.engine.read_fault}"
        return "ok"

    async def ensure_indexes(self, specs: IndexSpecs) -> None:
        """Create every index of `specs` ({collection: [IndexModel]}); existing ones are kept."""
        for collection, indexes in specs.items():
            indexes = list(indexes)
            if indexes:
                await self.db[collection].create_indexes(indexes)

    async def expire(self) -> int:
        """Embedded engine: delete documents past their TTL (MongoDB does it by itself)."""
        if self.embedded_db is not None:
            return await self.embedded_db.expire()
        return 0

    async def close(self) -> None:
        """Commit what is pending and close the client."""
        if self.engine is not None:
            await self.engine.close()
        else:
            result = self.client.close()
            if inspect.isawaitable(result):
                await result
        if self._lock is not None:
            self._lock.close()
        if self._temporary is not None:
            self._temporary.cleanup()


class AtomicUnit:
    """`async with store.atomic() as unit:`, written out as a class because every write goes
    through it: a nested unit only hands back the outer one, and only the outermost opens a
    transaction and, once it has committed, runs the callbacks."""

    __slots__ = ("_store", "_token", "_transaction", "_unit")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._unit: UnitOfWork | None = None
        self._token: contextvars.Token[UnitOfWork | None] | None = None
        self._transaction: contextlib.AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> UnitOfWork:
        unit, token = open_unit()
        self._unit = unit
        if token is None:
            return unit  # nested: part of the outer unit
        self._token = token
        transaction = self._store._transaction()
        try:
            await transaction.__aenter__()
        except BaseException:
            close_unit(token)
            raise
        self._transaction = transaction
        return unit

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        transaction = self._transaction
        if transaction is None:
            return False  # nested: the outermost unit commits (or not)
        try:
            suppressed = await transaction.__aexit__(kind, error, traceback)
        finally:
            close_unit(self._token)
        if kind is None or suppressed:
            assert self._unit is not None
            await self._unit.committed()
        return bool(suppressed)


def connect_mongo(uri: str, db_name: str, timeout_ms: int) -> Store:
    """A store on a real MongoDB. Connecting is lazy; the first operation reaches the server.

    `timeout_ms` bounds how long an operation waits for a reachable server before failing
    (and the API answering 503).
    """
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri,
        tz_aware=True,
        appname="hypee",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )
    return Store(client, SessionDatabase(client[db_name]))


def open_embedded(
    db_name: str, data_dir: str | None, *, strict: bool = False, accept_loss: bool = False
) -> Store:
    """The embedded engine on `data_dir/hypee.db` (a temporary directory when None).

    Refuses (DataDirInUse, DamagedStore) a directory another process uses or a database that is
    missing, truncated or damaged, or that lost acknowledged commits (unless `accept_loss`:
    `--repair`). Snapshots of earlier versions are migrated on first start. `strict` refuses
    queries that no index serves (the test suite runs this way).
    """
    temporary = tempfile.TemporaryDirectory(prefix="hypee-") if data_dir is None else None
    directory = Path(temporary.name if temporary else data_dir or ".")
    lock = datadir.lock(directory)
    mark: watermark.Mark | None = None
    try:
        datadir.check(directory)
        try:
            mark = watermark.Mark(directory)
            engine = Engine(directory / datadir.DATABASE, mark)
        except (OSError, sqlite3.OperationalError) as error:
            raise datadir.unusable(directory, error) from None
        mark.verify(engine.commit_count, engine.path, accept_loss=accept_loss)
        db = Database(engine, db_name, strict=strict)
        if datadir.is_new(directory):
            _migrate_snapshots(directory, db)
            datadir.mark_created(directory)
    except BaseException:
        if mark is not None:
            mark.close()
        lock.close()
        raise
    store = Store(None, db, engine)
    store._lock = lock
    store._temporary = temporary
    return store


def _migrate_snapshots(directory: Path, db: Database) -> None:
    """Copy an earlier version's snapshot into the new database, in one transaction."""
    files = datadir.snapshot_files(directory)
    if not files or any(
        db.engine.write.execute(f'SELECT 1 FROM "{meta.table}" LIMIT 1').fetchone()
        for meta in db.catalog.collections.values()
    ):
        return
    connection = db.engine.write
    total = 0
    connection.execute("BEGIN")
    try:
        for file in files:
            meta = db.catalog.ensure(file.name.removesuffix(".bson"))
            for document in datadir.read_snapshot(file):
                documents.insert(connection, meta, document)
                total += 1
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        db.catalog.load()
        raise
    moved = datadir.retire_snapshots(directory)
    log.warning(
        "migrated the snapshot of an earlier version into the database",
        extra={"documents": total, "snapshot_moved_to": str(moved)},
    )


__all__ = ["Store", "StoreUnavailable", "connect_mongo", "open_embedded"]
