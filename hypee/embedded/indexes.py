"""Declared indexes as the engine keeps them: which keys a document has in each.

An index of fields (f0, f1, ...) is a SQLite table `(k0, k1, ..., rid)` whose primary key is
the keys in the declared directions followed by the document's row id; a document has one row
per combination of its values (array fields give one row per element: a multikey index).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from hypee.embedded.keys import encode
from hypee.embedded.matching import Predicate, compile_filter
from hypee.embedded.paths import MISSING, index_values, values_at

Key = tuple[bytes, ...]
# A document with more index entries than this in one index is refused (runaway multikey).
MAX_KEYS_PER_DOCUMENT = 10_000


@dataclass
class IndexSpec:
    """One declared index of one collection."""

    name: str
    fields: tuple[tuple[str, int], ...]
    table: str
    unique: bool = False
    sparse: bool = False
    partial: dict[str, Any] | None = None
    ttl_seconds: int | None = None
    # Whether readers (who see committed data only) may use it yet.
    committed: bool = False
    _partial_test: Predicate | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.partial:
            self._partial_test = compile_filter(self.partial)
        self._parts = [path.split(".") for path in self.paths]
        self._touched: dict[tuple[str, ...], bool] = {}
        where = " AND ".join(f"k{i} = ?" for i in range(len(self.fields)))
        self.sql_where_key = where

    def sql(self, statement: str) -> str:
        """The SQL of one of this index's statements: "insert", "delete" or "conflict"."""
        table, where = self.table, self.sql_where_key
        if statement == "insert":
            marks = ", ".join("?" * (len(self.fields) + 1))
            return f'INSERT INTO "{table}" VALUES ({marks})'
        if statement == "delete":
            return f'DELETE FROM "{table}" WHERE {where} AND rid = ?'
        return f'SELECT rid FROM "{table}" WHERE {where} AND rid != ? LIMIT 1'

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.fields]

    def describe(self) -> dict[str, Any]:
        """The options as stored in the catalog (and compared when declared again)."""
        return {
            "fields": [list(f) for f in self.fields],
            "unique": self.unique,
            "sparse": self.sparse,
            "partial": self.partial,
            "ttl_seconds": self.ttl_seconds,
        }

    def keys_of(self, document: dict[str, Any]) -> set[Key]:
        """Every key `document` has in this index (none when sparse or partial leave it out)."""
        if self.sparse and all(values_at(document, p) == [MISSING] for p in self.paths):
            return set()
        if self._partial_test is not None and not self._partial_test(document):
            return set()
        per_field = [
            _field_keys(document, path, parts)
            for path, parts in zip(self.paths, self._parts, strict=True)
        ]
        if all(len(keys) == 1 for keys in per_field):
            return {tuple(keys[0] for keys in per_field)}
        count = 1
        for values in per_field:
            count *= len(values)
        if count > MAX_KEYS_PER_DOCUMENT:
            raise ValueError(f"a document has {count} keys in index {self.name}")
        return set(itertools.product(*per_field))

    def touched_by(self, paths: list[str]) -> bool:
        """Whether changing `paths` may change a document's keys in this index."""
        key = tuple(paths)
        known = self._touched.get(key)
        if known is None:
            watched = self.paths + (list(filter_paths(self.partial)) if self.partial else [])
            known = any(
                changed == path or changed.startswith(path + ".") or path.startswith(changed + ".")
                for changed in paths
                for path in watched
            )
            if len(self._touched) < 1000:
                self._touched[key] = known
        return known


def _field_keys(document: dict[str, Any], path: str, parts: list[str]) -> list[bytes]:
    """The keys of one field: a quick walk through objects, MongoDB's rules past arrays."""
    value: Any = document
    for part in parts:
        if type(value) is not dict:
            return [encode(v) for v in index_values(document, path)]
        value = value.get(part, MISSING)
        if value is MISSING:
            return [encode(None)]
    if type(value) is list:
        return [encode(v) for v in index_values(document, path)]
    return [encode(value)]


def filter_paths(query: dict[str, Any]) -> set[str]:
    """The field paths a filter names, inside `$and`, `$or` and `$nor` too."""
    paths: set[str] = set()
    for name, value in query.items():
        if name in ("$and", "$or", "$nor"):
            for part in value:
                paths |= filter_paths(part)
        elif not name.startswith("$"):
            paths.add(name)
    return paths


def from_model(model: Any, table: str) -> IndexSpec:
    """The spec of a PyMongo IndexModel."""
    document = model.document
    fields = tuple((path, int(direction)) for path, direction in document["key"].items())
    return IndexSpec(
        name=document["name"],
        fields=fields,
        table=table,
        unique=bool(document.get("unique", False)),
        sparse=bool(document.get("sparse", False)),
        partial=document.get("partialFilterExpression"),
        ttl_seconds=document.get("expireAfterSeconds"),
    )


def updated_paths(update: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """The paths an update document (or pipeline) writes."""
    if isinstance(update, list):
        paths: list[str] = []
        for stage in update:
            for spec in stage.values():
                paths += list(spec) if isinstance(spec, dict | list) else [spec]
        return paths
    return [path for fields in update.values() if isinstance(fields, dict) for path in fields]
