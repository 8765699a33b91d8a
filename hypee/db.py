"""The document store: PyMongo's async client, or the embedded engine behind the same interface."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import AsyncMongoClient, IndexModel

from hypee.embedded import EmbeddedSnapshot

log = logging.getLogger("hypee.db")

IndexSpecs = Mapping[str, Iterable[IndexModel]]


class Store:
    """A database handle (`store.db["users"]`) plus the lifecycle around it.

    Models receive `store.db`; both engines answer the same PyMongo-style async calls.
    """

    def __init__(self, client: Any, db: Any, snapshot: EmbeddedSnapshot | None = None) -> None:
        self.client = client
        self.db = db
        self.snapshot = snapshot

    @property
    def embedded(self) -> bool:
        return self.snapshot is not None or not isinstance(self.client, AsyncMongoClient)

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        await self.db.command("ping")

    async def ensure_indexes(self, specs: IndexSpecs) -> None:
        """Create every index of `specs` ({collection: [IndexModel]}); existing ones are kept."""
        for collection, indexes in specs.items():
            indexes = list(indexes)
            if indexes:
                await self.db[collection].create_indexes(indexes)

    async def save_snapshot(self) -> None:
        """Embedded engine only: write the data to disk now."""
        if self.snapshot is not None:
            await self.snapshot.save(self.db.delegate)

    async def close(self) -> None:
        """Write the embedded snapshot (if any) and close the client."""
        await self.save_snapshot()
        if self.snapshot is not None:
            self.snapshot.release()
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


def connect_mongo(uri: str, db_name: str, timeout_ms: int) -> Store:
    """A store on a real MongoDB. Connecting is lazy; the first operation reaches the server.

    `timeout_ms` bounds how long an operation waits for a reachable server before failing
    (and the API answering 503).
    """
    client: AsyncMongoClient = AsyncMongoClient(
        uri,
        tz_aware=True,
        appname="hypee",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )
    return Store(client, client[db_name])


def open_embedded(db_name: str, data_dir: str | None) -> Store:
    """The in-process engine; with `data_dir`, loaded from and saved to a snapshot there."""
    from mongomock_motor import AsyncMongoMockClient

    client = AsyncMongoMockClient(tz_aware=True)
    db = client[db_name]
    snapshot = None
    if data_dir is not None:
        snapshot = EmbeddedSnapshot(data_dir)
        snapshot.acquire()
        loaded = snapshot.load(db.delegate)
        log.info("embedded store loaded", extra={"documents": loaded, "path": str(snapshot.path)})
    return Store(client, db, snapshot)
