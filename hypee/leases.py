"""Claiming due work with a lease, so that of several processes exactly one takes each item.

A claimable document has `due_at`. Claiming one that is due moves its `due_at` forward by the
lease and records the claimant in `lease_owner`, in one conditional update: a second process
does not see it as due any more. The claimant finishes it with an update conditional on
`lease_owner`; if the claimant dies, the item comes due again when the lease runs out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from hypee import clock
from hypee.dbapi import DocumentCollection

LEASE_SECONDS = 120


async def claim_due(
    collection: DocumentCollection[Any],
    match: dict[str, Any],
    owner: ObjectId,
    lease_seconds: int = LEASE_SECONDS,
) -> Any | None:
    """The earliest due document matching `match`, now leased to `owner` (its `attempts`
    counted), or None when nothing is due."""
    now = clock.now()
    return await collection.find_one_and_update(
        {**match, "due_at": {"$lte": now}},
        {
            "$set": {"due_at": now + timedelta(seconds=lease_seconds), "lease_owner": owner},
            "$inc": {"attempts": 1},
        },
        sort=[("due_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def backoff_seconds(attempts: int, first: float = 30, longest: float = 3600) -> float:
    """How long to wait before attempt `attempts + 1`: doubling from `first`, at most
    `longest`."""
    return float(min(first * 2 ** max(attempts - 1, 0), longest))
