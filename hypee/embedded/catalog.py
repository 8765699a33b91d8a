"""The catalog: which collections and indexes exist, and the SQLite tables behind them.

Collection `n` is table `c<n>` (rid, id, doc): `id` is the order-preserving key of `_id`
(unique), `doc` the BSON document. Index `m` is table `x<m>` (k0, k1, ..., rid) whose
primary key is the keys in their declared directions, then rid. The catalog itself lives in
`_collections` and `_indexes`, so it commits and rolls back with the data.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from hypee.embedded.indexes import IndexSpec
from hypee.embedded.planning import PlanCache

SCHEMA = """
CREATE TABLE IF NOT EXISTS _collections (name TEXT PRIMARY KEY, number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _indexes (
    collection TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (collection, name)
);
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
FORMAT_VERSION = "1"


@dataclass
class CollectionMeta:
    """A collection's table and indexes."""

    name: str
    table: str
    indexes: list[IndexSpec] = field(default_factory=list)
    plans: PlanCache = field(default_factory=PlanCache, repr=False, compare=False)

    def index(self, name: str) -> IndexSpec | None:
        return next((index for index in self.indexes if index.name == name), None)


class Catalog:
    """Collections and indexes by name, as committed (or as written in the open transaction)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.collections: dict[str, CollectionMeta] = {}
        # True while the open transaction holds catalog changes a rollback would undo.
        self.changed = False

    def reload_if_changed(self) -> None:
        """After a rollback: forget what it undid."""
        if self.changed:
            self.load()

    def committed(self) -> None:
        self.changed = False

    def create_schema(self) -> None:
        self.connection.executescript(SCHEMA)
        self.connection.execute(
            "INSERT OR IGNORE INTO _meta VALUES ('format', ?)", (FORMAT_VERSION,)
        )

    def load(self) -> None:
        """Read the catalog from the database (at start, and after a rollback)."""
        collections: dict[str, CollectionMeta] = {}
        for name, number in self.connection.execute("SELECT name, number FROM _collections"):
            collections[name] = CollectionMeta(name, f"c{number}")
        for collection, name, spec, number in self.connection.execute(
            "SELECT collection, name, spec, number FROM _indexes ORDER BY number"
        ):
            options = json.loads(spec)
            if collection in collections:
                collections[collection].indexes.append(
                    IndexSpec(
                        name=name,
                        fields=tuple((path, direction) for path, direction in options["fields"]),
                        table=f"x{number}",
                        unique=options["unique"],
                        sparse=options["sparse"],
                        partial=options["partial"],
                        ttl_seconds=options["ttl_seconds"],
                        committed=True,
                    )
                )
        self.collections = collections

    def get(self, name: str) -> CollectionMeta | None:
        return self.collections.get(name)

    def ensure(self, name: str) -> CollectionMeta:
        """The collection, created (in the open transaction) if it does not exist."""
        meta = self.collections.get(name)
        if meta is not None:
            return meta
        number = self._next("_collections")
        table = f"c{number}"
        self.connection.execute(
            f'CREATE TABLE "{table}" (rid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, '
            "doc BLOB NOT NULL)"
        )
        self.connection.execute("INSERT INTO _collections VALUES (?, ?)", (name, number))
        meta = CollectionMeta(name, table)
        self.collections[name] = meta
        self.changed = True
        return meta

    def add_index(self, meta: CollectionMeta, spec: IndexSpec) -> None:
        """Create the table of a new index (the caller fills it)."""
        number = self._next("_indexes")
        spec.table = f"x{number}"
        columns = [f"k{i} BLOB NOT NULL" for i in range(len(spec.fields))]
        key = [f"k{i} {'DESC' if d < 0 else 'ASC'}" for i, (_, d) in enumerate(spec.fields)]
        self.connection.execute(
            f'CREATE TABLE "{spec.table}" ({", ".join(columns)}, rid INTEGER NOT NULL, '
            f"PRIMARY KEY ({', '.join(key)}, rid)) WITHOUT ROWID"
        )
        self.connection.execute(
            "INSERT INTO _indexes VALUES (?, ?, ?, ?)",
            (meta.name, spec.name, json.dumps(spec.describe()), number),
        )
        meta.indexes.append(spec)
        self.changed = True

    def drop(self, name: str) -> None:
        meta = self.collections.pop(name, None)
        if meta is None:
            return
        for index in meta.indexes:
            self.connection.execute(f'DROP TABLE IF EXISTS "{index.table}"')
        self.connection.execute(f'DROP TABLE IF EXISTS "{meta.table}"')
        self.connection.execute("DELETE FROM _indexes WHERE collection = ?", (name,))
        self.connection.execute("DELETE FROM _collections WHERE name = ?", (name,))
        self.changed = True

    def _next(self, table: str) -> int:
        row = self.connection.execute(f"SELECT coalesce(max(number), 0) + 1 FROM {table}")
        return int(row.fetchone()[0])
