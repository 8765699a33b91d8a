"""Blocks between people: one document per (blocker, blocked) pair.

A block works both ways for reaching out (neither starts a conversation with the other or
writes in their direct one; no live event, notification, email or push passes between them)
but only the blocker decides it, sees it listed, and has the other's group messages folded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import UtcDateTime
from models import users

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


@dataclass
class Relations:
    """How one person stands with some others: whom they blocked, and who blocked them."""

    blocked: set[ObjectId] = field(default_factory=set)
    blocked_by: set[ObjectId] = field(default_factory=set)

    @property
    def either(self) -> set[ObjectId]:
        """The others with a block in either direction: nothing passes between them."""
        return self.blocked | self.blocked_by


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
    return True


async def unblock(db: DocumentDatabase, blocker_id: ObjectId, blocked_id: ObjectId) -> bool:
    """Lift a block; False when there was none."""
    result = await _blocks(db).delete_one({"blocker_id": blocker_id, "blocked_id": blocked_id})
    return result.deleted_count > 0


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
    found = await _blocks(db).find({"blocker_id": blocker_id}, {"blocked_id": 1}).to_list(None)
    return {b["blocked_id"] for b in found}


async def relations(
    db: DocumentDatabase, user_id: ObjectId, others: Iterable[ObjectId] | None = None
) -> Relations:
    """How `user_id` stands with `others` (with everyone when None): one indexed query for
    every block the person is in (people block few others, so this stays small)."""
    among = None if others is None else set(others)
    found = await _blocks(db).find({"people": user_id}, {"people": 0}).to_list(None)
    result = Relations()
    for found_block in found:
        if found_block["blocker_id"] == user_id:
            other, into = found_block["blocked_id"], result.blocked
        else:
            other, into = found_block["blocker_id"], result.blocked_by
        if among is None or other in among:
            into.add(other)
    return result


async def remove_all_of(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Forget every block `user_id` made or received (the account is deleted)."""
    await _blocks(db).delete_many({"people": user_id})


async def made_by(db: DocumentDatabase, user_id: ObjectId) -> list[BlockDocument]:
    """The blocks `user_id` made (their export)."""
    return await _blocks(db).find({"blocker_id": user_id}).to_list(None)
