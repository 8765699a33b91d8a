"""Ids as clients send them (24-character hex strings) and as MongoDB keeps them (ObjectId)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId


def parse_object_id(value: Any) -> ObjectId | None:
    """The ObjectId a client sent as a string, or None when it is not one."""
    if not isinstance(value, str) or len(value) != 24:
        return None
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
