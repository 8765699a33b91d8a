"""Reading and writing documents of one collection on one connection, with their index rows.

Every function here is synchronous and runs inside the engine's current transaction (writes)
or on a committed snapshot (reads). A write first computes everything it will store and
checks unique indexes, then writes, so a refused write (a duplicate key) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import bson
from bson.codec_options import CodecOptions
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import Filter
from hypee.embedded.catalog import CollectionMeta
from hypee.embedded.indexes import IndexSpec, Key
from hypee.embedded.keys import Unsupported, encode
from hypee.embedded.matching import compile_filter
from hypee.embedded.paths import MISSING, values_at
from hypee.embedded.planning import Plan, Sort

log = logging.getLogger("hypee.store")

CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True, tzinfo=UTC)


class UnindexedQuery(Unsupported):
    """A query that would read a whole collection (refused in strict mode)."""


# Maintenance (run.py --check) reads whole collections on purpose, even in strict mode.
SCANS_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("scans", default=False)


@contextlib.contextmanager
def scans_allowed() -> Iterator[None]:
    """Let the queries of this block read whole collections, strict mode or not."""
    token = SCANS_ALLOWED.set(True)
    try:
        yield
    finally:
        SCANS_ALLOWED.reset(token)


def decode(blob: bytes) -> dict[str, Any]:
    return bson.decode(blob, CODEC)


class UndecodableDocument(Exception):
    """A stored document whose bytes cannot be decoded (the database file was damaged under
    it). `run.py --check` lists them; `--repair` sets them aside in `_damaged`."""

    def __init__(self, collection: str, rid: int) -> None:
        super().__init__(f"{collection} row {rid}: the stored document cannot be decoded")
        self.collection = collection
        self.rid = rid


_REPORTED: set[tuple[str, int]] = set()


def decode_row(meta: CollectionMeta, rid: int, blob: bytes) -> dict[str, Any]:
    """The document stored in row `rid` of `meta`; UndecodableDocument (logged once per
    document and process) when its bytes are damaged."""
    try:
        return decode(blob)
    except Exception as error:  # bson raises several types for damaged input
        if (meta.name, rid) not in _REPORTED:
            _REPORTED.add((meta.name, rid))
            log.error(
                "a stored document cannot be decoded; `run.py --repair` sets it aside",
                extra={"collection": meta.name, "row": rid, "error": repr(error)},
            )
        raise UndecodableDocument(meta.name, rid) from error


def decodable(blob: bytes) -> dict[str, Any] | None:
    """The document in `blob`, or None when its bytes are damaged (the checks that look at
    every document; a query raises UndecodableDocument instead, through decode_row)."""
    try:
        return decode(blob)
    except Exception:  # bson raises several types for damaged input
        return None


def undecodable_rows(connection: sqlite3.Connection, meta: CollectionMeta) -> list[int]:
    """The rows of `meta` whose documents cannot be decoded."""
    rows = connection.execute(f'SELECT rid, doc FROM "{meta.table}"')
    return [rid for rid, blob in rows if decodable(blob) is None]


DAMAGED_SCHEMA = """
CREATE TABLE IF NOT EXISTS _damaged (
    collection TEXT NOT NULL, rid INTEGER NOT NULL, id BLOB, doc BLOB, set_aside_at TEXT NOT NULL
)
"""


def set_aside(connection: sqlite3.Connection, meta: CollectionMeta, rids: list[int]) -> None:
    """Move damaged rows out of `meta` into `_damaged` (kept, for whoever can recover them),
    with their index entries removed."""
    connection.execute(DAMAGED_SCHEMA)
    for rid in rids:
        connection.execute(
            f"INSERT INTO _damaged SELECT ?, rid, id, doc, datetime('now') "
            f'FROM "{meta.table}" WHERE rid = ?',
            (meta.name, rid),
        )
        for index in meta.indexes:
            connection.execute(f'DELETE FROM "{index.table}" WHERE rid = ?', (rid,))
        connection.execute(f'DELETE FROM "{meta.table}" WHERE rid = ?', (rid,))


def encode_document(document: dict[str, Any]) -> bytes:
    return bson.encode(document)


class Found:
    """A matching document: its row id, its stored bytes and the decoded document."""

    __slots__ = ("blob", "document", "rid")

    def __init__(self, rid: int, blob: bytes, document: dict[str, Any]) -> None:
        self.rid = rid
        self.blob = blob
        self.document = document


class Reader:
    """A connection to read from, and how: readers of committed data use committed indexes
    only; strict readers refuse queries that would read a whole collection."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        committed_only: bool,
        strict: bool,
        uses: Counter[str] | None = None,
    ) -> None:
        self.connection = connection
        self.committed_only = committed_only
        self.strict = strict
        self.uses = uses

    def plan(self, meta: CollectionMeta, query: Filter | None, sort: Sort) -> Plan:
        chosen = meta.plans.plan(meta.table, meta.indexes, self.committed_only, query, sort)
        if self.strict and chosen.scans and query and not SCANS_ALLOWED.get():
            raise UnindexedQuery(f"query on {meta.name} uses no index: {query!r}")
        if self.uses is not None:
            self.uses[f"{meta.name}.{chosen.index.name if chosen.index else '_id_'}"] += 1
        return chosen

    def matching(self, meta: CollectionMeta, chosen: Plan, query: Filter | None) -> Iterator[Found]:
        """The documents matching `query` among the plan's candidates, in the plan's order."""
        test = None if chosen.exact else compile_filter(query)
        seen: set[int] = set()
        for rid, blob in self.connection.execute(chosen.sql, chosen.params):
            if rid in seen:
                continue
            seen.add(rid)
            document = decode_row(meta, rid, blob)
            if test is None or test(document):
                yield Found(rid, blob, document)

    def select(
        self,
        meta: CollectionMeta,
        query: Filter | None,
        sort: Sort,
        window: tuple[int, int | None] = (0, None),
    ) -> list[Found]:
        """Matching documents in `sort` order, `window` = (skip, limit or None)."""
        skip, limit = window
        chosen = self.plan(meta, query, sort)
        found: list[Found] = []
        wanted = None if limit is None else skip + limit
        for item in self.matching(meta, chosen, query):
            found.append(item)
            if (chosen.ordered or not sort) and wanted is not None and len(found) >= wanted:
                break
        if sort and not chosen.ordered:
            sort_documents(found, sort)
        return found[skip:wanted]

    def count(self, meta: CollectionMeta, query: Filter | None, limit: int | None) -> int:
        chosen = self.plan(meta, query, [])
        if chosen.exact:
            sql = chosen.count_sql + (" LIMIT ?" if limit else "")
            params = [*chosen.params, limit] if limit else chosen.params
            row = self.connection.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
            return int(row[0])
        total = 0
        for _ in self.matching(meta, chosen, query):
            total += 1
            if limit and total >= limit:
                break
        return total


def sort_documents(found: list[Found], sort: Sort) -> None:
    """Sort in place by `sort` (stable, one field at a time from the last)."""
    for path, direction in reversed(sort):
        found.sort(key=functools.partial(_found_key, path), reverse=direction < 0)


def _found_key(path: str, found: Found) -> bytes:
    return _sort_key(found.document, path)


def _sort_key(document: dict[str, Any], path: str) -> bytes:
    values = [v for v in values_at(document, path) if v is not MISSING]
    return encode(values[0] if values else None)


# -- writing ----------------------------------------------------------------------------------


def _check_unique(
    connection: sqlite3.Connection, meta: CollectionMeta, index: IndexSpec, keys: set[Key], rid: int
) -> None:
    sql = index.sql("conflict")
    for key in keys:
        if connection.execute(sql, (*key, rid)).fetchone() is not None:
            raise DuplicateKeyError(
                f"E11000 duplicate key error collection: {meta.name} index: {index.name}",
                11000,
                {"keyPattern": dict(index.fields), "index": index.name},
            )


def _write_keys(
    connection: sqlite3.Connection, index: IndexSpec, added: set[Key], removed: set[Key], rid: int
) -> None:
    if removed:
        connection.executemany(index.sql("delete"), [(*key, rid) for key in removed])
    if len(added) == 1:  # the usual case, without executemany's iteration
        (key,) = added
        connection.execute(index.sql("insert"), (*key, rid))
    elif added:
        connection.executemany(index.sql("insert"), [(*key, rid) for key in added])


def insert(connection: sqlite3.Connection, meta: CollectionMeta, document: dict[str, Any]) -> int:
    """Insert a document (with its `_id` set); DuplicateKeyError on any unique index."""
    id_key = encode(document["_id"])
    blob = encode_document(document)
    keys = {index.name: index.keys_of(document) for index in meta.indexes}
    for index in meta.indexes:
        if index.unique:
            _check_unique(connection, meta, index, keys[index.name], -1)
    try:
        rid = connection.execute(
            f'INSERT INTO "{meta.table}" (id, doc) VALUES (?, ?)', (id_key, blob)
        ).lastrowid
    except sqlite3.IntegrityError:  # the table's one constraint: `id` is unique
        raise DuplicateKeyError(
            f"E11000 duplicate key error collection: {meta.name} index: _id_",
            11000,
            {"keyPattern": {"_id": 1}, "index": "_id_"},
        ) from None
    assert rid is not None  # an INSERT always has one
    for index in meta.indexes:
        _write_keys(connection, index, keys[index.name], set(), rid)
    return rid


def replace(
    connection: sqlite3.Connection,
    meta: CollectionMeta,
    old: Found,
    new_document: dict[str, Any],
    touched: list[IndexSpec],
    old_keys: dict[str, set[Key]],
) -> bool:
    """Store `new_document` in place of `old` (whose keys in the `touched` indexes were computed
    before it changed); False when nothing changed."""
    blob = encode_document(new_document)
    if blob == old.blob:
        return False
    changes = []
    for index in touched:
        new_keys = index.keys_of(new_document)
        before = old_keys[index.name]
        if new_keys != before:
            if index.unique:
                _check_unique(connection, meta, index, new_keys - before, old.rid)
            changes.append((index, new_keys - before, before - new_keys))
    connection.execute(f'UPDATE "{meta.table}" SET doc = ? WHERE rid = ?', (blob, old.rid))
    for index, added, removed in changes:
        _write_keys(connection, index, added, removed, old.rid)
    return True


def delete(connection: sqlite3.Connection, meta: CollectionMeta, found: Found) -> None:
    for index in meta.indexes:
        _write_keys(connection, index, set(), index.keys_of(found.document), found.rid)
    connection.execute(f'DELETE FROM "{meta.table}" WHERE rid = ?', (found.rid,))


def fill_index(connection: sqlite3.Connection, meta: CollectionMeta, index: IndexSpec) -> None:
    """Add the keys of every existing document to a new index (unique ones checked)."""
    seen: dict[Key, int] = {}
    for rid, blob in connection.execute(f'SELECT rid, doc FROM "{meta.table}"'):
        keys = index.keys_of(decode_row(meta, rid, blob))
        if index.unique:
            for key in keys:
                if seen.setdefault(key, rid) != rid:
                    raise DuplicateKeyError(
                        f"E11000 duplicate key error collection: {meta.name} index: {index.name}",
                        11000,
                    )
        _write_keys(connection, index, keys, set(), rid)


def index_agrees(connection: sqlite3.Connection, meta: CollectionMeta, index: IndexSpec) -> bool:
    """Whether an index holds exactly the keys of the collection's documents (those that can
    be decoded: the others are reported, and set aside, on their own)."""
    expected, damaged = set(), set()
    for rid, blob in connection.execute(f'SELECT rid, doc FROM "{meta.table}"'):
        document = decodable(blob)
        if document is None:
            damaged.add(rid)
            continue
        expected |= {(*key, rid) for key in index.keys_of(document)}
    stored = {row for row in connection.execute(f'SELECT * FROM "{index.table}"')}
    return {row for row in stored if row[-1] not in damaged} == expected
