"""MongoDB units of work: a database handle whose every call joins the open transaction.

On a replica set or behind mongos (what `hello` says: a `setName`, or `msg: "isdbgrid"`), a
unit of work is a client session transaction: `SessionDatabase` passes the unit's session to
every collection call made while it is open, so model code needs no session argument. Commits
use the driver's own retry of an unknown commit result. A transient transaction error (a write
conflict with another transaction) aborts the unit, and its operation runs again
(`retry_transient`, hypee/units.py).
On a standalone server there are no transactions: the steps of a unit run one by one, as
before, and `run.py --repair` mends what a crash between them leaves.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

_SESSION: contextvars.ContextVar[AsyncClientSession | None] = contextvars.ContextVar(
    "hypee_mongo_session", default=None
)
# The collection methods that take a `session`: everything the models call.
_SESSION_METHODS = frozenset(
    {
        "aggregate",
        "bulk_write",
        "count_documents",
        "create_index",
        "create_indexes",
        "delete_many",
        "delete_one",
        "distinct",
        "drop",
        "find",
        "find_one",
        "find_one_and_delete",
        "find_one_and_replace",
        "find_one_and_update",
        "insert_many",
        "insert_one",
        "replace_one",
        "update_many",
        "update_one",
    }
)


def supports_transactions(hello: dict[str, Any]) -> bool:
    """Whether a server that answered `hello` so runs multi-document transactions."""
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


class SessionCollection:
    """An AsyncCollection whose calls join the open unit's transaction, if there is one."""

    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name in _SESSION_METHODS:
            attribute = _with_session(attribute)
        # Kept on the instance: later calls find it without coming here (the session is read
        # at each call, not when wrapped).
        setattr(self, name, attribute)
        return attribute


def _with_session(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        session = _SESSION.get()
        if session is not None and "session" not in kwargs:
            kwargs["session"] = session
        return method(*args, **kwargs)

    return call


class SessionDatabase:
    """An AsyncDatabase handing out SessionCollections (`db["users"]`, `db.users`)."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._database = database
        self._collections: dict[str, SessionCollection] = {}
        self.name = database.name

    def __getitem__(self, name: str) -> SessionCollection:
        collection = self._collections.get(name)
        if collection is None:
            collection = self._collections[name] = SessionCollection(self._database[name])
        return collection

    def __getattr__(self, name: str) -> SessionCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    async def command(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await self._database.command(name, *args, **kwargs)

    async def list_collection_names(self) -> list[str]:
        return await self._database.list_collection_names(session=_SESSION.get())

    async def drop_collection(self, name: str) -> None:
        await self._database.drop_collection(name, session=_SESSION.get())


class Transactions:
    """Whether this deployment runs transactions (asked once, when first needed), and the
    transaction of a unit of work."""

    def __init__(self, client: AsyncMongoClient[Any]) -> None:
        self.client = client
        self.enabled: bool | None = None  # None until the server was asked

    async def probe(self) -> bool:
        if self.enabled is None:
            hello = await self.client.admin.command("hello")
            self.enabled = supports_transactions(hello)
        return self.enabled

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """The block as one transaction (committed when it ends, aborted when it raises), or
        as steps when the deployment has no transactions."""
        if _SESSION.get() is not None or not await self.probe():
            yield
            return
        async with self.client.start_session() as session, await session.start_transaction():
            token = _SESSION.set(session)
            try:
                yield
            finally:
                _SESSION.reset(token)
