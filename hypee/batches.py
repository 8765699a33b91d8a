"""Walking a whole collection in `_id` order, a batch at a time (maintenance only: requests
never do this)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hypee.dbapi import Document, DocumentCollection


async def each(
    collection: DocumentCollection[Document],
    query: dict[str, Any] | None = None,
    projection: dict[str, Any] | None = None,
    batch: int = 500,
) -> AsyncIterator[dict[str, Any]]:
    """Every document of `collection` matching `query`, in `_id` order."""
    last = None
    while True:
        page_query = dict(query or {})
        if last is not None:
            page_query = {"$and": [page_query, {"_id": {"$gt": last}}]}
        found = (
            await collection.find(page_query, projection)
            .sort([("_id", 1)])
            .limit(batch)
            .to_list(None)
        )
        for document in found:
            yield document
        if len(found) < batch:
            return
        last = found[-1]["_id"]
