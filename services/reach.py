"""Who may reach whom: the checks a conversation, a live signal or a notification passes
before it goes from one person to others (blocks, and the new-account limit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.dbapi import DocumentDatabase
from hypee.errors import ApiError, rate_limited, unauthorized
from hypee.jsonio import as_utc
from models import conversations, users


async def may_open(
    db: DocumentDatabase, creator_id: ObjectId, others: list[ObjectId], per_day: int
) -> None:
    """What opening a conversation checks, in the caller's unit: 403 `suspended` for a
    suspended creator, 403 `blocked` with a block between the creator and anyone named, 429
    past the new-account limit."""
    creator = await users.get_user(db, creator_id)
    if creator is None:
        raise unauthorized("This account no longer exists.")
    users.check_standing(creator)
    _refuse(users.relations_of(creator, others))
    named = set(others) - {creator_id}
    if len(named) == 1 and await conversations.direct_between(db, creator_id, named.pop()):
        return  # asking again for a direct conversation starts nothing
    await _limit_new_account(db, creator, per_day)


async def refuse_blocked(db: DocumentDatabase, actor_id: ObjectId, others: list[ObjectId]) -> None:
    """403 `blocked` when `actor_id` and any of `others` have a block either way (the blocker
    is told they blocked; the other gets a neutral refusal)."""
    _refuse(await users.relations(db, actor_id, others))


def _refuse(relations: users.Relations) -> None:
    if relations.blocked:
        raise ApiError("blocked", "You blocked someone you named: unblock them first.")
    if relations.blocked_by:
        raise ApiError("blocked", "You cannot start a conversation with this person.")


async def unblocked(
    db: DocumentDatabase, user_id: ObjectId, people: list[ObjectId]
) -> list[ObjectId]:
    """Those of `people` with no block either way with `user_id`: live signals (typing,
    presence, read marks) pass only between them."""
    either = (await users.relations(db, user_id, people)).either
    return [p for p in people if p not in either] if either else people


async def _limit_new_account(db: DocumentDatabase, user: dict[str, Any], per_day: int) -> None:
    """An account younger than a day with no points starts at most `per_day` conversations
    a day: 429 past it, with when it may start more."""
    now = clock.now()
    day = timedelta(days=1)
    created_at = as_utc(user["created_at"])
    if created_at <= now - day or user.get("points", 0) > 0:
        return
    if await conversations.created_since(db, user["_id"], now - day) >= per_day:
        raise rate_limited(
            int((created_at + day - now).total_seconds()),
            f"New accounts may start {per_day} conversations a day. Reply in the ones you "
            "have, or try again tomorrow.",
        )
