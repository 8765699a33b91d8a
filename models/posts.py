"""What questions and answers share: a score, and deletion in two steps.

A post being deleted is marked `deleting` first, so that no vote (or answer) lands on it while
its votes and points are undone; only live posts take a score change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId

from hypee import batches
from hypee.dbapi import Document, DocumentCollection
from hypee.errors import forbidden, not_found

LIVE = {"deleting": {"$ne": True}}


async def add_score(
    collection: DocumentCollection[Document], post_id: ObjectId, delta: int
) -> bool:
    """Change a live post's score by `delta`; False when it is gone or being deleted."""
    updated = await collection.find_one_and_update(
        {"_id": post_id, **LIVE}, {"$inc": {"score": delta}}, projection={"_id": 1}
    )
    return updated is not None


async def score_of(collection: DocumentCollection[Document], post_id: ObjectId) -> int:
    found = await collection.find_one({"_id": post_id}, {"score": 1})
    return int((found or {}).get("score", 0))


async def mark_deleting(collection: DocumentCollection[Document], post_id: ObjectId) -> None:
    """From now on the post takes no vote, answer or change."""
    await collection.update_one({"_id": post_id}, {"$set": {"deleting": True}})


def scores(collection: DocumentCollection[Document]) -> AsyncIterator[dict[str, Any]]:
    """Every post's {score} (the integrity check)."""
    return batches.each(collection, projection={"score": 1})


async def set_score(
    collection: DocumentCollection[Document], post_id: ObjectId, score: int
) -> None:
    await collection.update_one({"_id": post_id}, {"$set": {"score": score}})


async def set_hidden(
    collection: DocumentCollection[Document], post_id: ObjectId, hidden: bool
) -> bool:
    """Hide (or restore) a live post for everyone; False when it is gone or already so."""
    result = await collection.update_one(
        {"_id": post_id, **LIVE, "hidden": {"$ne": hidden}}, {"$set": {"hidden": hidden}}
    )
    return result.modified_count > 0


async def get_live(
    collection: DocumentCollection[Document], post_id: ObjectId, kind: str
) -> dict[str, Any]:
    """The post (a question or an answer: `kind`), unless it is gone or being deleted (404)."""
    post = await collection.find_one({"_id": post_id, **LIVE})
    if post is None:
        raise not_found(kind)
    return post


async def own(
    collection: DocumentCollection[Document], post_id: ObjectId, user_id: ObjectId, kind: str
) -> dict[str, Any]:
    """The caller's post: 404 if there is none, 403 if it is someone else's."""
    post = await get_live(collection, post_id, kind)
    if post["author_id"] != user_id:
        article = "an" if kind[0] in "aeiou" else "a"
        raise forbidden(f"Only its author can change {article} {kind}.")
    return post
