"""Goals of a mentorship: either side adds them and ticks them off while it is pending or
accepted; a closed mentorship's goals no longer change (409 with its `state`)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, not_found
from hypee.units import retry_transient
from models import goals, mentorships
from models.mentorships import MentorshipDocument


class Goals:
    """Adding and changing goals, each in one unit of work."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    @retry_transient
    async def add(
        self, user_id: ObjectId, mentorship_id: ObjectId, text: str
    ) -> goals.GoalDocument:
        """Either side adds a goal to a pending or accepted mentorship."""
        async with self.store.atomic():
            mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
            _open(mentorship)
            goal = await goals.add(self.db, mentorship_id, user_id, text, clock.now())
        return goal

    @retry_transient
    async def change(
        self, user_id: ObjectId, goal_id: ObjectId, data: dict[str, Any]
    ) -> goals.GoalDocument:
        """Either side edits or ticks off a goal (loaded GoalChangeSchema `data`)."""
        async with self.store.atomic():
            goal = await goals.get(self.db, goal_id)
            if goal is None:
                raise not_found("goal")
            try:
                mentorship = await mentorships.of_member(self.db, goal["mentorship_id"], user_id)
            except ApiError:
                raise not_found("goal") from None
            _open(mentorship)
            changed = await goals.change(self.db, goal_id, user_id, data, clock.now())
        if changed is None:
            raise not_found("goal")
        return changed


def _open(mentorship: MentorshipDocument) -> None:
    if mentorship["state"] not in mentorships.OPEN_STATES:
        raise ApiError(
            "conflict",
            f"This mentorship is {mentorship['state']}: its goals no longer change.",
            extra={"state": mentorship["state"]},
        )
