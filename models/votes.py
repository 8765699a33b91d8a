"""Votes on questions and answers: one per user per post, with the points they give.

A vote document is unique on (user, post) and doubles as the lock for changing that vote, so
concurrent votes by one user on one post apply one after the other: twenty identical upvotes
sent at once count once. The points a vote gave are kept on it, to be undone exactly when the
vote is withdrawn or changed, or the post deleted.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel

from hypee import locks
from hypee.errors import forbidden
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


def _worth(target_type: str, value: int) -> list[tuple[str, int, str]]:
    """(who, delta, reason) of a vote: who is "author" (of the post) or "voter"."""
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


async def cast(
    db: Any, collection: str, target_type: str, post_id: ObjectId, user_id: ObjectId, value: int
) -> dict[str, int] | None:
    """Set `user_id`'s vote on a post to `value`: {score, my_vote}; None if the post is gone.

    Voting on your own post is 403.
    """
    live = {"_id": post_id, "deleting": {"$ne": True}}
    post = await db[collection].find_one(live, {"author_id": 1})
    if post is None:
        return None
    if post["author_id"] == user_id:
        raise forbidden("You cannot vote on your own post.")
    key = {"user_id": user_id, "target_type": target_type, "target_id": post_id}
    held = await locks.lock(
        db[COLLECTION], key, insert={"value": 0, "effects": [], "created_at": utcnow()}
    )
    assert held is not None
    previous = held.document.get("value", 0)
    try:
        if previous != value:
            updated = await db[collection].find_one_and_update(
                live, {"$inc": {"score": value - previous}}, projection={"_id": 1}
            )
            if updated is None:
                # Deleted meanwhile: the deletion undoes the votes it finds, this one included.
                if previous == 0:
                    await held.delete()
                else:
                    await held.release()
                return None
            await points.undo(db, held.document.get("effects", []))
            ref = {"type": target_type, "id": post_id}
            effects = [
                await points.grant(
                    db, user_id if who == "voter" else post["author_id"], delta, reason, ref
                )
                for who, delta, reason in _worth(target_type, value)
            ]
        else:
            effects = held.document.get("effects", [])
    except BaseException:
        await held.release()
        raise
    if value == 0:
        await held.delete()
    else:
        await held.release({"$set": {"value": value, "effects": effects, "updated_at": utcnow()}})
    score = (await db[collection].find_one({"_id": post_id}, {"score": 1}) or {}).get("score", 0)
    return {"score": score, "my_vote": value}


async def remove_all(db: Any, target_type: str, post_id: ObjectId) -> list[dict[str, Any]]:
    """Remove every vote on a post being deleted; returns the point effects to undo."""
    votes = (
        await db[COLLECTION]
        .find({"target_type": target_type, "target_id": post_id}, {"user_id": 1})
        .to_list(None)
    )
    effects: list[dict[str, Any]] = []
    for vote in votes:
        key = {"user_id": vote["user_id"], "target_type": target_type, "target_id": post_id}
        held = await locks.lock(db[COLLECTION], key)
        if held is None:
            continue
        effects += held.document.get("effects", [])
        await held.delete()
    return effects


async def mine(
    db: Any, user_id: ObjectId | None, target_type: str, post_ids: list[ObjectId]
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
