"""Votes on questions and answers, with the points they give.

A user's vote document is the lock for changing that vote; points follow every change exactly
(models/points.py keeps what each grant applied, so undoing is exact).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.errors import forbidden, not_found
from hypee.jsonio import utcnow
from hypee.units import retry_transient
from models import answers, points, questions, votes
from services.forum_live import ForumLive

# The posts one can vote on, and the module that owns each.
POSTS = {"question": questions, "answer": answers}


class VoteService:
    """Sets votes; a question's watchers see the new score."""

    def __init__(self, store: Store, live: ForumLive) -> None:
        self.store = store
        self.db = store.db
        self.live = live

    @retry_transient
    async def vote(
        self, target_type: str, post_id: ObjectId, user_id: ObjectId, value: int
    ) -> dict[str, int]:
        """Set `user_id`'s vote on a post to `value`: {score, my_vote}. 404 when the post is
        gone; 403 on your own post."""
        posts = POSTS[target_type]
        post = await posts.get_live(self.db, post_id)
        if post["author_id"] == user_id:
            raise forbidden("You cannot vote on your own post.")
        gone = False
        vote_lock = votes.locked(self.db, user_id, target_type, post_id)
        async with self.store.atomic() as unit, vote_lock as held:
            previous = held.document.get("value", 0)
            effects = held.document.get("effects", [])
            if previous != value:
                gone = not await posts.add_score(self.db, post_id, value - previous)
                if not gone:
                    await points.undo(self.db, effects)
                    effects = await self._grant_vote(target_type, post, user_id, value)
            if gone:
                # Deleted meanwhile: the deletion undoes the votes it finds, this one included.
                if previous == 0:
                    held.delete_on_release()
            elif value == 0:
                held.delete_on_release()
            else:
                held.update_on_release(
                    {"$set": {"value": value, "effects": effects, "updated_at": utcnow()}}
                )
            if previous != value and not gone:
                changed = (
                    self.live.question_changed
                    if target_type == "question"
                    else self.live.answer_changed
                )
                unit.on_commit(lambda: changed(post_id))
        if gone:
            raise not_found(target_type)
        return {"score": await posts.score_of(self.db, post_id), "my_vote": value}

    async def _grant_vote(
        self, target_type: str, post: dict[str, Any], voter_id: ObjectId, value: int
    ) -> list[dict[str, Any]]:
        ref = {"type": target_type, "id": post["_id"]}
        return [
            await points.grant(
                self.db, voter_id if who == "voter" else post["author_id"], delta, reason, ref
            )
            for who, delta, reason in votes.worth(target_type, value)
        ]
