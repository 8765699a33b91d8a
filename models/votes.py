"""Votes on questions and answers: one per user per post, and the points each is worth.

A vote document is unique on (user, post) and doubles as the lock for changing that vote, so
concurrent votes by one user on one post apply one after the other: twenty identical upvotes
sent at once count once. The points a vote gave are kept on it (`effects`), to be undone
exactly when the vote is withdrawn or changed, or the post deleted.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel

from hypee import batches, locks
from hypee.dbapi import DocumentDatabase
from hypee.jsonio import utcnow
from models import points

COLLECTION = "votes"

INDEXES = {
    COLLECTION: [
        IndexModel(
            [("user_id", 1), ("target_type", 1), ("target_id", 1)], unique=True, name="one_vote"
        ),
        IndexModel([("target_type", 1), ("target_id", 1)], name="by_post"),
    ]
}


class VoteSchema(Schema):
    value = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf([1, -1, 0]),
        metadata={"description": "1 up, -1 down, 0 withdraws."},
    )


class VoteResultSchema(Schema):
    score = fields.Integer(required=True)
    my_vote = fields.Integer(required=True)


class VoteDocument(TypedDict, total=False):
    """One user's vote on one post, as stored in `votes` (also the lock of that vote)."""

    _id: ObjectId
    user_id: ObjectId
    target_type: str  # "question" or "answer"
    target_id: ObjectId
    value: int  # 1 or -1 (0 only while a first vote is being cast)
    effects: list[dict[str, Any]]  # the points it gave, to undo when it changes
    created_at: datetime
    updated_at: datetime


def worth(target_type: str, value: int) -> list[tuple[str, int, str]]:
    """The points a vote of `value` on a `target_type` post gives: [(who, delta, reason)],
    who being "author" (of the post) or "voter"."""
    if value == 1:
        if target_type == "question":
            return [("author", points.QUESTION_UPVOTED, "question_upvoted")]
        return [("author", points.ANSWER_UPVOTED, "answer_upvoted")]
    if value == -1:
        effects = [("author", points.POST_DOWNVOTED, f"{target_type}_downvoted")]
        if target_type == "answer":
            effects.append(("voter", points.DOWNVOTED_AN_ANSWER, "downvoted_answer"))
        return effects
    return []


def locked(
    db: DocumentDatabase, user_id: ObjectId, target_type: str, post_id: ObjectId
) -> AbstractAsyncContextManager[locks.Held]:
    """Hold `user_id`'s vote on a post (created with value 0 when there is none), so that
    concurrent votes by one user on one post apply one after the other."""
    key = {"user_id": user_id, "target_type": target_type, "target_id": post_id}
    return locks.locked(
        db[COLLECTION], key, insert={"value": 0, "effects": [], "created_at": utcnow()}
    )


async def remove_all(
    db: DocumentDatabase, target_type: str, post_id: ObjectId
) -> list[dict[str, Any]]:
    """Remove every vote on a post being deleted; returns the point effects to undo."""
    votes = (
        await db[COLLECTION]
        .find({"target_type": target_type, "target_id": post_id}, {"user_id": 1})
        .to_list(None)
    )
    effects: list[dict[str, Any]] = []
    for vote in votes:
        key = {"user_id": vote["user_id"], "target_type": target_type, "target_id": post_id}
        try:
            async with locks.locked(db[COLLECTION], key) as held:
                effects += held.document.get("effects", [])
                held.delete_on_release()
        except locks.DocumentGone:
            continue
    return effects


async def mine(
    db: DocumentDatabase, user_id: ObjectId | None, target_type: str, post_ids: list[ObjectId]
) -> dict[ObjectId, int]:
    """The viewer's votes on `post_ids` ({post id: value}); empty for anonymous viewers."""
    if user_id is None or not post_ids:
        return {}
    found = (
        await db[COLLECTION]
        .find(
            {"user_id": user_id, "target_type": target_type, "target_id": {"$in": post_ids}},
            {"target_id": 1, "value": 1},
        )
        .to_list(None)
    )
    return {vote["target_id"]: vote.get("value", 0) for vote in found}


async def totals(db: DocumentDatabase, target_type: str) -> dict[ObjectId, int]:
    """Each post's sum of vote values: what its score must be."""
    sums: dict[ObjectId, int] = {}
    votes = batches.each(db[COLLECTION], {"target_type": target_type}, {"target_id": 1, "value": 1})
    async for vote in votes:
        sums[vote["target_id"]] = sums.get(vote["target_id"], 0) + vote.get("value", 0)
    return sums


async def cast_by(db: DocumentDatabase, user_id: ObjectId) -> list[dict[str, Any]]:
    """Every vote `user_id` cast: {target_type, target_id, value, created_at} (their export)."""
    return (
        await db[COLLECTION]
        .find(
            {"user_id": user_id, "value": {"$ne": 0}},
            {"_id": 0, "target_type": 1, "target_id": 1, "value": 1, "created_at": 1},
        )
        .to_list(None)
    )
