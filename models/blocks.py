"""Blocks between people: one document per (blocker, blocked) pair.

A block works both ways for reaching out (neither starts a conversation with the other or
writes in their direct one; no live event, notification, email or push passes between them)
but only the blocker decides it, sees it listed, and has the other's group messages folded.
Both people's user documents hold copies of the ids (`blocked_ids`, `blocked_by_ids`, written
in the same unit), so checking a person's blocks is the one read of that person; so does
their standing in each of their conversations (users.mirrored), which a send checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import UtcDateTime
from models import conversations, users

COLLECTION = "blocks"

INDEXES = {
    COLLECTION: [
        IndexModel([("blocker_id", 1), ("blocked_id", 1)], unique=True, name="one_per_pair"),
        # Both people of a block, so one indexed query finds every block a person is in.
        IndexModel("people", name="by_person"),
    ]
}


class BlockDocument(TypedDict):
    _id: ObjectId
    blocker_id: ObjectId
    blocked_id: ObjectId
    people: list[ObjectId]  # [blocker_id, blocked_id]
    created_at: datetime


class BlockSchema(Schema):
    user = fields.Nested(users.PublicUserSchema, required=True)
    created_at = UtcDateTime(required=True)


def _blocks(db: DocumentDatabase) -> DocumentCollection[BlockDocument]:
    return typed(db[COLLECTION], BlockDocument)


async def block(db: DocumentDatabase, blocker_id: ObjectId, blocked_id: ObjectId) -> bool:
    """`blocker_id` blocks `blocked_id`; False when it already had."""
    try:
        await _blocks(db).insert_one(
            {
                "_id": ObjectId(),
                "blocker_id": blocker_id,
                "blocked_id": blocked_id,
                "people": [blocker_id, blocked_id],
                "created_at": clock.now(),
            }
        )
    except DuplicateKeyError:
        return False
    await _copy(db, blocker_id, blocked_id, True)
    return True


async def unblock(db: DocumentDatabase, blocker_id: ObjectId, blocked_id: ObjectId) -> bool:
    """Lift a block; False when there was none."""
    result = await _blocks(db).delete_one({"blocker_id": blocker_id, "blocked_id": blocked_id})
    if result.deleted_count == 0:
        return False
    await _copy(db, blocker_id, blocked_id, False)
    return True


async def _copy(db: DocumentDatabase, blocker_id: ObjectId, blocked_id: ObjectId, on: bool) -> None:
    """Keep the copies of a block in step: both user documents, and both people's standing
    in each of their conversations (what a send checks)."""
    await users.set_block(db, blocker_id, blocked_id, on)
    change = "$addToSet" if on else "$pull"
    await conversations.mirror_standing(db, blocker_id, {change: {"blocked_ids": blocked_id}})
    await conversations.mirror_standing(db, blocked_id, {change: {"blocked_by_ids": blocker_id}})


async def listing(db: DocumentDatabase, blocker_id: ObjectId) -> list[dict[str, Any]]:
    """The people `blocker_id` blocked, newest first, as BlockSchema data."""
    found = await _blocks(db).find({"blocker_id": blocker_id}).sort("_id", -1).to_list(None)
    people = await users.public_users(db, [b["blocked_id"] for b in found])
    return [
        {"user": users.public_view(people[b["blocked_id"]]), "created_at": b["created_at"]}
        for b in found
        if b["blocked_id"] in people
    ]


async def blocked_by_user(db: DocumentDatabase, blocker_id: ObjectId) -> set[ObjectId]:
    """Everyone `blocker_id` blocked (the directory hides them, group history folds them)."""
    return (await users.relations(db, blocker_id)).blocked


async def remove_all_of(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Forget every block `user_id` made or received (the account is deleted)."""
    for found in await _blocks(db).find({"people": user_id}).to_list(None):
        await _copy(db, found["blocker_id"], found["blocked_id"], False)
    await _blocks(db).delete_many({"people": user_id})


async def made_by(db: DocumentDatabase, user_id: ObjectId) -> list[BlockDocument]:
    """The blocks `user_id` made (their export)."""
    return await _blocks(db).find({"blocker_id": user_id}).to_list(None)


async def every_pair(db: DocumentDatabase) -> list[tuple[ObjectId, ObjectId]]:
    """Every (blocker, blocked) pair: the source of truth of the copies (the integrity check)."""
    found = await _blocks(db).find({}, {"blocker_id": 1, "blocked_id": 1}).to_list(None)
    return [(b["blocker_id"], b["blocked_id"]) for b in found]
