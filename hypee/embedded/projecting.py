"""MongoDB projections: keep some fields ({"a": 1, "b.c": 1}) or drop some ({"a": 0}).

The `_id` is kept unless the projection drops it. Projection operators ($elemMatch, $slice)
raise Unsupported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypee.embedded.keys import Unsupported
from hypee.embedded.paths import MISSING, get_path, set_path

Projector = Callable[[dict[str, Any]], dict[str, Any]]


def compile_projection(projection: dict[str, Any] | list[str] | None) -> Projector | None:
    """A function projecting a decoded document (which it may change), or None for all fields."""
    if not projection:
        return None
    if isinstance(projection, list):
        projection = dict.fromkeys(projection, 1)
    for value in projection.values():
        if isinstance(value, dict):
            raise Unsupported("projection operators")
    keep_id = bool(projection.get("_id", 1))
    fields = {path: bool(value) for path, value in projection.items() if path != "_id"}
    if any(fields.values()):
        if not all(fields.values()):
            raise Unsupported("a projection cannot both keep and drop fields")
        return _including(list(fields), keep_id)
    return _excluding(list(fields), keep_id)


def _including(paths: list[str], keep_id: bool) -> Projector:
    def project(document: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if keep_id and "_id" in document:
            result["_id"] = document["_id"]
        for path in paths:
            value = get_path(document, path)
            if value is not MISSING:
                set_path(result, path, value)
        return result

    return project


def _excluding(paths: list[str], keep_id: bool) -> Projector:
    split = [path.split(".") for path in paths]
    if not keep_id:
        split.append(["_id"])

    def project(document: dict[str, Any]) -> dict[str, Any]:
        for parts in split:
            parent: Any = document
            for part in parts[:-1]:
                parent = parent.get(part) if type(parent) is dict else None
            if type(parent) is dict:
                parent.pop(parts[-1], None)
        return document

    return project
