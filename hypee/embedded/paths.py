"""Dotted paths into documents ("mentor.country", "members.<id>.last_read_seq"), with MongoDB's
rule that a path crossing an array reaches into each of its elements."""

from __future__ import annotations

from typing import Any


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def values_at(document: Any, path: str) -> list[Any]:
    """The values a path reaches, fanning out over arrays on the way (not at the end); [MISSING]
    when it reaches nothing."""
    current = [document]
    for part in path.split("."):
        following: list[Any] = []
        for value in current:
            if isinstance(value, dict):
                following.append(value.get(part, MISSING))
            elif isinstance(value, list):
                if part.isdigit() and int(part) < len(value):
                    following.append(value[int(part)])
                following += [item.get(part, MISSING) for item in value if isinstance(item, dict)]
            else:
                following.append(MISSING)
        current = following
    found = [value for value in current if value is not MISSING]
    return found or [MISSING]


def leaf_values(document: Any, path: str) -> list[Any]:
    """What a query on `path` compares with: each value reached, and the elements of each array
    reached (so `{"tags": "x"}` matches a document whose tags contain "x")."""
    leaves: list[Any] = []
    for value in values_at(document, path):
        leaves.append(value)
        if isinstance(value, list):
            leaves += value
    return leaves


def index_values(document: Any, path: str) -> list[Any]:
    """The values an index keeps for `path`: array elements one by one (a multikey index), None
    for a missing value, the empty array itself for an empty array."""
    keys: list[Any] = []
    for value in values_at(document, path):
        if value is MISSING:
            keys.append(None)
        elif isinstance(value, list) and value:
            keys += value
        else:
            keys.append(value)
    return keys


def get_path(document: dict[str, Any], path: str) -> Any:
    """The value at `path` without fanning out over arrays; MISSING when absent."""
    current: Any = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` to `value`, creating the objects on the way."""
    parts = path.split(".")
    current: Any = document
    for part in parts[:-1]:
        if isinstance(current, list) and part.isdigit():
            current = current[int(part)]
            continue
        following = current.get(part)
        if not isinstance(following, dict | list):
            following = {}
            current[part] = following
        current = following
    last = parts[-1]
    if isinstance(current, list) and last.isdigit():
        current[int(last)] = value
    else:
        current[last] = value


def unset_path(document: dict[str, Any], path: str) -> bool:
    """Remove `path`; False when there was nothing there."""
    parts = path.split(".")
    parent = get_path(document, ".".join(parts[:-1])) if len(parts) > 1 else document
    if isinstance(parent, dict) and parts[-1] in parent:
        del parent[parts[-1]]
        return True
    return False
