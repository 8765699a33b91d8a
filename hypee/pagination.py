"""Cursor (keyset) pagination: opaque cursors that carry the sort key of the last item served.

A cursor names the listing it belongs to and the sort values of the last result; the next page
is "everything after those values" in the same order, so inserts and deletes between requests
never make a page repeat or skip an item that stayed in place. Cursors are signed with a key
derived from the server secret: a forged or altered one is a 400, never a query.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from hypee.dbapi import Document, DocumentCollection
from hypee.errors import field_error
from hypee.ids import parse_object_id
from hypee.jsonio import as_utc

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# A sort: the fields and directions (1 ascending, -1 descending), the last one unique (_id).
SortSpec = Sequence[tuple[str, int]]


@dataclass
class Page:
    """One page of a listing: the documents and the cursor of the next page (None at the end)."""

    items: list[Any]
    next_cursor: str | None


def _tag(value: Any) -> Any:
    if isinstance(value, ObjectId):
        return {"o": str(value)}
    if isinstance(value, datetime):
        return {"d": as_utc(value).isoformat()}
    return value


_INT64 = 2**63


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"o"} and isinstance(value["o"], str):
            parsed = parse_object_id(value["o"])
            if parsed is None:
                raise ValueError("not an id in cursor")
            return parsed
        if set(value) == {"d"} and isinstance(value["d"], str):
            return as_utc(datetime.fromisoformat(value["d"]))
        raise ValueError("unexpected object in cursor")
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        raise ValueError("integer out of range in cursor")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("unexpected value in cursor")


# Cursors are signed, so a client can only hand back what the server gave it.
_key = secrets.token_bytes(32)


def configure_cursors(secret: str) -> None:
    """Sign cursors with a key derived from `secret` (the same on every process)."""
    global _key
    _key = hmac.new(secret.encode(), b"hypee cursors", hashlib.sha256).digest()


def _signature(payload: bytes) -> str:
    digest = hmac.new(_key, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(listing: str, values: Sequence[Any]) -> str:
    """An opaque, signed cursor for `listing` after an item with sort values `values`."""
    raw = json.dumps([listing, [_tag(value) for value in values]], separators=(",", ":"))
    payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{payload}.{_signature(payload.encode())}"


def decode_cursor(cursor: str, listing: str, types: Sequence[type]) -> list[Any]:
    """The sort values in `cursor`; 400 when it is malformed, forged, or of another listing."""
    try:
        payload, _, signature = cursor.partition(".")
        if not hmac.compare_digest(signature, _signature(payload.encode())):
            raise ValueError("cursor not signed by this server")
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        name, tagged = json.loads(raw)
        if name != listing or not isinstance(tagged, list) or len(tagged) != len(types):
            raise ValueError("cursor of another listing")
        values = [_untag(value) for value in tagged]
        for value, expected in zip(values, types, strict=True):
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ValueError("cursor value of the wrong type")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise field_error("cursor", "Invalid cursor.") from None
    return values


def after_filter(sort: SortSpec, values: Sequence[Any]) -> dict[str, Any]:
    """A MongoDB filter for the documents that come after `values` in `sort` order."""
    clauses = []
    for depth, (field, direction) in enumerate(sort):
        clause = {name: values[i] for i, (name, _) in enumerate(sort[:depth])}
        clause[field] = {"$lt" if direction < 0 else "$gt": values[depth]}
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def sort_values(document: dict[str, Any], sort: SortSpec) -> list[Any]:
    """The values of `document` for each field of `sort` (dotted paths allowed)."""
    values = []
    for field, _ in sort:
        value: Any = document
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values.append(value)
    return values


@dataclass(frozen=True)
class Listing:
    """A sorted listing: its name (a cursor works only in the listing it came from), its sort
    (the last field unique, usually _id) and the types of the sort values."""

    name: str
    sort: SortSpec
    types: tuple[type, ...]

    def scoped(self, scope: str) -> Listing:
        """The same listing for one owner (a user's history, say), with cursors of its own."""
        return dataclasses.replace(self, name=f"{self.name}:{scope}")


async def find_page(
    collection: DocumentCollection[Document],
    query: dict[str, Any],
    listing: Listing,
    *,
    limit: int,
    cursor: str | None,
    projection: dict[str, Any] | None = None,
) -> Page:
    """One page of `collection` matching `query` in `listing` order, after `cursor`."""
    sort = listing.sort
    if cursor:
        after = decode_cursor(cursor, listing.name, listing.types)
        query = {"$and": [query, after_filter(sort, after)]}
    documents = (
        await collection.find(query, projection).sort(list(sort)).limit(limit + 1).to_list(None)
    )
    next_cursor = None
    if len(documents) > limit:
        documents = documents[:limit]
        next_cursor = encode_cursor(listing.name, sort_values(documents[-1], sort))
    return Page(documents, next_cursor)
