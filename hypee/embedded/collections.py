"""The PyMongo-shaped async API of the embedded engine: Database, Collection and Cursor.

It covers what the models call, with PyMongo's signatures and result attributes, so the same
model code runs on MongoDB and here. Reads run at once on a committed snapshot (or inside a
unit of work, on its own view); writes go through the engine and return once committed.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hypee.dbapi import Filter
from hypee.embedded import documents, indexes, updating
from hypee.embedded.catalog import Catalog, CollectionMeta
from hypee.embedded.documents import Found, Reader
from hypee.embedded.engine import Engine
from hypee.embedded.keys import DATE, encode
from hypee.embedded.paths import values_at
from hypee.embedded.projecting import compile_projection

Sort = list[tuple[str, int]]


@dataclass
class InsertOneResult:
    inserted_id: Any
    acknowledged: bool = True


@dataclass
class InsertManyResult:
    inserted_ids: list[Any]
    acknowledged: bool = True


@dataclass
class UpdateResult:
    matched_count: int
    modified_count: int
    upserted_id: Any = None
    acknowledged: bool = True


@dataclass
class DeleteResult:
    deleted_count: int
    acknowledged: bool = True


@dataclass
class BulkWriteResult:
    inserted_count: int = 0
    matched_count: int = 0
    modified_count: int = 0
    deleted_count: int = 0
    upserted_ids: dict[int, Any] = field(default_factory=dict)
    acknowledged: bool = True

    @property
    def upserted_count(self) -> int:
        return len(self.upserted_ids)


def _with_id(document: dict[str, Any]) -> None:
    """Give `document` a new `_id` when it has none, as PyMongo does (setdefault would make an
    ObjectId for every document, most of which have one)."""
    if "_id" not in document:
        document["_id"] = ObjectId()


def _sort_spec(sort: Any, direction: int | None = None) -> Sort:
    if sort is None:
        return []
    if isinstance(sort, str):
        return [(sort, direction or 1)]
    return [(path, int(way)) for path, way in sort]


class Database:
    """A database of the embedded engine (`db["users"]` or `db.users`)."""

    def __init__(self, engine: Engine, name: str, *, strict: bool = False) -> None:
        self.engine = engine
        self.name = name
        self.strict = strict
        self.catalog = Catalog(engine.write)
        # How often each index (or the _id index) answered a query: every declared index
        # should be here once a server has done a bit of everything (see the tests).
        self.index_uses: Counter[str] = Counter()
        self.catalog.create_schema()
        self.catalog.load()
        engine.on_rollback.append(self.catalog.reload_if_changed)
        engine.on_commit.append(self.catalog.committed)

    def __getitem__(self, name: str) -> Collection:
        return Collection(self, name)

    def __getattr__(self, name: str) -> Collection:
        if name.startswith("_"):
            raise AttributeError(name)
        return Collection(self, name)

    def reader(self) -> Reader:
        connection = self.engine.reader()
        return Reader(connection, connection is self.engine.read, self.strict, self.index_uses)

    async def command(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if name != "ping":
            raise NotImplementedError(f"command {name}")
        self.engine.run_read(lambda connection: connection.execute("SELECT 1").fetchone())
        return {"ok": 1.0}

    async def list_collection_names(self) -> list[str]:
        return sorted(self.catalog.collections)

    async def drop_collection(self, name: str) -> None:
        await self.engine.run_write(lambda connection: self.catalog.drop(name))

    async def verify_indexes(self, repair: bool) -> list[str]:
        """The indexes whose rows disagree with their documents (rebuilt when `repair`)."""

        def action(connection: sqlite3.Connection) -> list[str]:
            wrong = []
            for meta in self.catalog.collections.values():
                for index in meta.indexes:
                    if not documents.index_agrees(connection, meta, index):
                        wrong.append(f"{meta.name}.{index.name}")
                        if repair:
                            connection.execute(f'DELETE FROM "{index.table}"')
                            documents.fill_index(connection, meta, index)
            return wrong

        return await self.engine.run_write(action)

    async def damaged_documents(self, repair: bool) -> list[str]:
        """The stored documents that cannot be decoded ("collection row N"), set aside in
        `_damaged` when `repair` (kept, not deleted)."""

        def action(connection: sqlite3.Connection) -> list[str]:
            found = []
            for meta in self.catalog.collections.values():
                rows = documents.undecodable_rows(connection, meta)
                found += [f"{meta.name} row {rid}" for rid in rows]
                if repair and rows:
                    documents.set_aside(connection, meta, rows)
            return found

        return await self.engine.run_write(action)

    async def expire(self, now: datetime | None = None, batch: int = 500) -> int:
        """Delete documents past a TTL index's expiry (as MongoDB's TTL monitor does)."""
        now = now or datetime.now(UTC)
        removed = 0
        for meta in list(self.catalog.collections.values()):
            for index in meta.indexes:
                if index.ttl_seconds is None or len(index.fields) != 1:
                    continue
                cutoff = encode(now - timedelta(seconds=index.ttl_seconds))
                removed += await self[meta.name]._expire(index, cutoff, batch)
                self.index_uses[f"{meta.name}.{index.name}"] += 1
        return removed


class Cursor:
    """`collection.find(...)`: sort, skip and limit, then `to_list` or `async for`."""

    def __init__(
        self, collection: Collection, query: dict[str, Any] | None, projection: Any
    ) -> None:
        self.collection = collection
        self.query = query
        self.projection = projection
        self._sort: Sort = []
        self._skip = 0
        self._limit: int | None = None

    def sort(self, key: Any, direction: int | None = None) -> Cursor:
        self._sort = _sort_spec(key, direction)
        return self

    def skip(self, count: int) -> Cursor:
        self._skip = count
        return self

    def limit(self, count: int) -> Cursor:
        self._limit = abs(count) or None
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        limit = self._limit
        if length:
            limit = min(limit, length) if limit else length
        return self.collection._select(self.query, self.projection, self._sort, (self._skip, limit))

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        for document in await self.to_list():
            yield document


class Collection:
    """One collection: the calls of PyMongo's AsyncCollection that the models use.

    Longer than 200 lines on purpose: it mirrors that API, one short method per call, and
    splitting it would scatter what a reader compares with PyMongo's documentation.
    """

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        self.engine = database.engine
        self.name = name

    # -- plumbing ----------------------------------------------------------------------------

    def _meta(self) -> CollectionMeta | None:
        return self.database.catalog.get(self.name)

    def _ensure(self) -> CollectionMeta:
        return self.database.catalog.ensure(self.name)

    def _read(self, action: Callable[[Reader, CollectionMeta], Any], empty: Any) -> Any:
        meta = self._meta()
        if meta is None:
            return empty

        def run(connection: sqlite3.Connection) -> Any:
            return action(self.database.reader(), meta)

        try:
            return self.engine.run_read(run)
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return empty  # created in a transaction that is not committed yet
            raise

    def _writer(self) -> Reader:
        return Reader(self.engine.write, False, self.database.strict, self.database.index_uses)

    def _select(
        self, query: Any, projection: Any, sort: Sort, window: tuple[int, int | None]
    ) -> list[dict[str, Any]]:
        project = compile_projection(projection)
        found = self._read(lambda reader, meta: reader.select(meta, query, sort, window), [])
        return [project(f.document) if project else f.document for f in found]

    # -- reads -------------------------------------------------------------------------------

    async def find_one(
        self, filter: Any = None, projection: Any = None, *, sort: Any = None
    ) -> dict[str, Any] | None:
        found = self._select(filter, projection, _sort_spec(sort), (0, 1))
        return found[0] if found else None

    def find(self, filter: Any = None, projection: Any = None) -> Cursor:
        return Cursor(self, filter, projection)

    async def count_documents(
        self, filter: Filter, *, limit: int | None = None, skip: int = 0
    ) -> int:
        if skip:
            raise NotImplementedError("count_documents with skip")
        counted: int = self._read(lambda reader, meta: reader.count(meta, filter, limit), 0)
        return counted

    async def estimated_document_count(self) -> int:
        return await self.count_documents({})

    async def distinct(self, key: str, filter: Filter | None = None) -> list[Any]:
        def action(reader: Reader, meta: CollectionMeta) -> list[Any]:
            values: dict[bytes, Any] = {}
            for found in reader.select(meta, filter, []):
                for value in values_at(found.document, key):
                    for item in value if isinstance(value, list) else [value]:
                        values.setdefault(encode(item), item)
            return list(values.values())

        found: list[Any] = self._read(action, [])
        return found

    # -- writes ------------------------------------------------------------------------------

    async def insert_one(self, document: Any) -> InsertOneResult:
        _with_id(document)
        await self.engine.run_write(
            lambda connection: documents.insert(connection, self._ensure(), document)
        )
        return InsertOneResult(document["_id"])

    async def insert_many(self, documents_: list[dict[str, Any]]) -> InsertManyResult:
        for document in documents_:
            _with_id(document)

        def action(connection: sqlite3.Connection) -> None:
            meta = self._ensure()
            for document in documents_:
                documents.insert(connection, meta, document)

        await self.engine.run_write(action)
        return InsertManyResult([document["_id"] for document in documents_])

    async def find_one_and_update(
        self,
        filter: Filter,
        update: Any,
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = ReturnDocument.BEFORE,
    ) -> dict[str, Any] | None:
        project = compile_projection(projection)

        def action(connection: sqlite3.Connection) -> dict[str, Any] | None:
            found, after, _ = self._update(filter, update, _sort_spec(sort), upsert)
            if return_document:
                chosen = after
            else:
                chosen = documents.decode(found.blob) if found is not None else None
            if chosen is None:
                return None
            return project(chosen) if project else chosen

        return await self.engine.run_write(action)

    async def find_one_and_delete(
        self, filter: Filter, projection: Any = None, sort: Any = None
    ) -> dict[str, Any] | None:
        project = compile_projection(projection)

        def action(connection: sqlite3.Connection) -> dict[str, Any] | None:
            meta = self._meta()
            if meta is None:
                return None
            found = self._writer().select(meta, filter, _sort_spec(sort), (0, 1))
            if not found:
                return None
            documents.delete(connection, meta, found[0])
            return project(found[0].document) if project else found[0].document

        return await self.engine.run_write(action)

    async def update_one(self, filter: Filter, update: Any, upsert: bool = False) -> UpdateResult:
        def action(connection: sqlite3.Connection) -> UpdateResult:
            found, after, changed = self._update(filter, update, [], upsert)
            if found is None:
                upserted = after["_id"] if after is not None else None
                return UpdateResult(0, 0, upserted)
            return UpdateResult(1, int(changed))

        return await self.engine.run_write(action)

    async def update_many(self, filter: Filter, update: Any, upsert: bool = False) -> UpdateResult:
        def action(connection: sqlite3.Connection) -> UpdateResult:
            meta = self._meta()
            targets = self._writer().select(meta, filter, []) if meta else []
            if meta is None or not targets:
                if not upsert:
                    return UpdateResult(0, 0)
                _, after, _ = self._update(filter, update, [], True)
                return UpdateResult(0, 0, after["_id"] if after else None)
            modified = sum(self._change(meta, found, update) for found in targets)
            return UpdateResult(len(targets), modified)

        return await self.engine.run_write(action)

    async def delete_one(self, filter: Filter) -> DeleteResult:
        return await self._delete(filter, 1)

    async def delete_many(self, filter: Filter) -> DeleteResult:
        return await self._delete(filter, None)

    async def _delete(self, filter: Filter, limit: int | None) -> DeleteResult:
        def action(connection: sqlite3.Connection) -> DeleteResult:
            meta = self._meta()
            if meta is None:
                return DeleteResult(0)
            targets = self._writer().select(meta, filter, [], (0, limit))
            for found in targets:
                documents.delete(connection, meta, found)
            return DeleteResult(len(targets))

        return await self.engine.run_write(action)

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> BulkWriteResult:
        """InsertOne, UpdateOne, UpdateMany and DeleteOne requests, applied in one write."""

        def action(connection: sqlite3.Connection) -> BulkWriteResult:
            result = BulkWriteResult()
            errors = []
            for position, request in enumerate(requests):
                try:
                    self._bulk_one(request, position, result)
                except DuplicateKeyError as error:
                    errors.append({"index": position, "code": 11000, "errmsg": str(error)})
                    if ordered:
                        break
            if errors:
                raise BulkWriteError(
                    {
                        "writeErrors": errors,
                        "nInserted": result.inserted_count,
                        "nMatched": result.matched_count,
                        "nModified": result.modified_count,
                        "upserted": [
                            {"index": i, "_id": v} for i, v in result.upserted_ids.items()
                        ],
                    }
                )
            return result

        return await self.engine.run_write(action)

    def _bulk_one(self, request: Any, position: int, result: BulkWriteResult) -> None:
        kind = type(request).__name__
        if kind == "InsertOne":
            document = request._doc
            _with_id(document)
            documents.insert(self.engine.write, self._ensure(), document)
            result.inserted_count += 1
        elif kind == "UpdateOne":
            found, after, changed = self._update(
                request._filter, request._doc, [], bool(request._upsert)
            )
            if found is None and after is not None:
                result.upserted_ids[position] = after["_id"]
            elif found is not None:
                result.matched_count += 1
                result.modified_count += int(changed)
        elif kind == "DeleteOne":
            meta = self._meta()
            for item in self._writer().select(meta, request._filter, [], (0, 1)) if meta else []:
                assert meta is not None
                documents.delete(self.engine.write, meta, item)
                result.deleted_count += 1
        else:
            raise NotImplementedError(f"bulk request {kind}")

    # -- updating ----------------------------------------------------------------------------

    def _update(
        self, filter: Filter, update: dict[str, Any], sort: Sort, upsert: bool
    ) -> tuple[Found | None, dict[str, Any] | None, bool]:
        """Update the first match (or upsert): (the match as it was stored, the document after,
        whether it changed); the match is None for an upsert or when nothing matched."""
        meta = self._meta()
        found = self._writer().select(meta, filter, sort, (0, 1)) if meta else []
        if meta is not None and found:
            changed = self._change(meta, found[0], update)
            return found[0], found[0].document, changed
        if not upsert:
            return None, None, False
        document = updating.upsert_base(filter)
        updating.apply(document, update, inserting=True)
        _with_id(document)
        documents.insert(self.engine.write, self._ensure(), document)
        return None, document, True

    def _change(self, meta: CollectionMeta, found: Found, update: dict[str, Any]) -> bool:
        """Apply `update` to a found document and store it; True when it changed."""
        paths = indexes.updated_paths(update)
        touched = [index for index in meta.indexes if index.touched_by(paths)]
        old_keys = {index.name: index.keys_of(found.document) for index in touched}
        updating.apply(found.document, update)
        return documents.replace(self.engine.write, meta, found, found.document, touched, old_keys)

    # -- indexes -----------------------------------------------------------------------------

    async def create_indexes(self, models: list[Any]) -> list[str]:
        def action(connection: sqlite3.Connection) -> list[indexes.IndexSpec]:
            meta = self._ensure()
            created = []
            for model in models:
                spec = indexes.from_model(model, table="")
                existing = meta.index(spec.name)
                if existing is not None:
                    if existing.describe() != spec.describe():
                        raise ValueError(f"index {spec.name} exists with other options")
                    continue
                self.database.catalog.add_index(meta, spec)
                documents.fill_index(connection, meta, spec)
                created.append(spec)
            return created

        created = await self.engine.run_write(action)
        for spec in created:
            spec.committed = True
        return [model.document["name"] for model in models]

    async def create_index(self, keys: Any, **options: Any) -> str:
        from pymongo import IndexModel

        names = await self.create_indexes([IndexModel(keys, **options)])
        return names[0]

    async def drop(self) -> None:
        await self.database.drop_collection(self.name)

    async def _expire(self, index: Any, cutoff: bytes, batch: int) -> int:
        def action(connection: sqlite3.Connection) -> int:
            meta = self._meta()
            if meta is None:
                return 0
            rows = connection.execute(
                f'SELECT DISTINCT rid FROM "{index.table}" WHERE k0 >= ? AND k0 < ? LIMIT ?',
                (bytes([DATE]), cutoff, batch),
            ).fetchall()
            for (rid,) in rows:
                blob = connection.execute(
                    f'SELECT doc FROM "{meta.table}" WHERE rid = ?', (rid,)
                ).fetchone()
                if blob is not None:
                    document = documents.decode_row(meta, rid, blob[0])
                    documents.delete(connection, meta, Found(rid, blob[0], document))
            return len(rows)

        return await self.engine.run_write(action)
