"""The copies of people's standing, checked (`run.py --check`) and restored (`--repair`).

A block is kept once (models/blocks.py) and copied onto both accounts and onto both people's
standing in each of their conversations; a suspension or a deletion is kept on the account
and copied onto its conversations (users.mirrored). Every copy is written in the unit of the
change it copies, so on a store with transactions nothing here should ever be found; on a
MongoDB without them, a crash between the writes leaves a copy behind, and this restores it
from the blocks and the accounts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from bson import ObjectId

from hypee.dbapi import DocumentDatabase
from models import blocks, conversations, users


class Findings(Protocol):
    def add(self, invariant: str, example: str) -> None: ...


def _comparable(standing: dict[str, Any]) -> dict[str, Any]:
    """A standing copy in a form two copies compare by (id lists as sets)."""
    shown = {field: standing[field] for field in users.MIRRORED_FIELDS if standing.get(field)}
    for field in ("blocked_ids", "blocked_by_ids"):
        if field in shown:
            shown[field] = set(shown[field])
    return shown


async def check_standing_copies(db: DocumentDatabase, report: Findings, repair: bool) -> None:
    """Compare the accounts' copies with the blocks, then the conversations' with the
    accounts; with `repair`, rewrite each copy that differs."""
    blocked: dict[ObjectId, set[ObjectId]] = defaultdict(set)
    blocked_by: dict[ObjectId, set[ObjectId]] = defaultdict(set)
    for blocker, target in await blocks.every_pair(db):
        blocked[blocker].add(target)
        blocked_by[target].add(blocker)
    accounts: dict[ObjectId, dict[str, Any]] = {}
    async for user in users.each_standing(db):
        uid = user["_id"]
        expected = (blocked.get(uid, set()), blocked_by.get(uid, set()))
        if (set(user.get("blocked_ids", ())), set(user.get("blocked_by_ids", ()))) != expected:
            report.add("accounts whose copies of their blocks differ from the blocks", str(uid))
            if repair:
                await users.set_block_copies(db, uid, sorted(expected[0]), sorted(expected[1]))
        accounts[uid] = {**user, "blocked_ids": expected[0], "blocked_by_ids": expected[1]}
    async for conversation in conversations.each_membership(db):
        for member in conversation["participants"]:
            expected_copy = users.mirrored(accounts.get(member, {}))
            held = conversation.get("members", {}).get(str(member), {})
            if _comparable(held) != _comparable(expected_copy):
                where = f"{conversation['_id']} ({member})"
                report.add("members whose standing differs from their account", where)
                if repair:
                    await conversations.set_member_standing(
                        db, conversation["_id"], member, expected_copy
                    )
