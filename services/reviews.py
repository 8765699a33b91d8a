"""Reviews of mentorships: the mentee's (once, editable for 14 days) and the mentor's answer.

A review counts in the mentor's rating (models/mentor_record.py) in the unit that stores it;
an edit moves the rating by the difference. A mentee may review once the mentorship is
completed, or once one of its sessions has taken place.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, forbidden, not_found
from hypee.units import retry_transient
from models import bookings, mentor_record, mentorships, reviews, users
from models.reviews import ReviewDocument
from services.notifier import Notifier


class Reviews:
    """Writing a review and answering it."""

    def __init__(self, store: Store, notifier: Notifier) -> None:
        self.store = store
        self.db = store.db
        self.notifier = notifier

    async def _reviewable(self, mentorship: mentorships.MentorshipDocument) -> bool:
        if mentorship["state"] == "completed":
            return True
        if mentorship["state"] not in ("accepted", "ended"):
            return False
        now = clock.now()
        return any(
            b["state"] == "booked" and b["end"] <= now
            for b in await bookings.of_mentorship(self.db, mentorship["_id"])
        )

    @retry_transient
    async def write(
        self, user_id: ObjectId, mentorship_id: ObjectId, data: dict[str, Any]
    ) -> tuple[ReviewDocument, bool]:
        """The mentee writes or edits the review (loaded ReviewInSchema `data`): (the review,
        created)."""
        async with self.store.atomic():
            mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
            if mentorship["mentee_id"] != user_id:
                raise forbidden("Only the mentee reviews a mentorship.")
            await users.require_not_suspended(self.db, user_id)
            if not await self._reviewable(mentorship):
                raise ApiError(
                    "conflict",
                    "A mentorship can be reviewed once it is completed or a session has "
                    "taken place.",
                    extra={"state": mentorship["state"]},
                )
            review, replaced = await reviews.write(self.db, mentorship, data, clock.now())
            mentor_id = mentorship["mentor_id"]
            if replaced is None:
                await mentor_record.count_rating(self.db, mentor_id, review["rating"], 1)
                await self._tell(mentor_id, user_id, mentorship_id, "reviewed")
            else:
                await mentor_record.count_rating(self.db, mentor_id, review["rating"] - replaced, 0)
        return review, replaced is None

    @retry_transient
    async def reply(self, user_id: ObjectId, mentorship_id: ObjectId, text: str) -> ReviewDocument:
        """The mentor answers the review, once."""
        async with self.store.atomic():
            mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
            if mentorship["mentor_id"] != user_id:
                raise forbidden("Only the mentor answers a review.")
            review = await reviews.of_mentorship(self.db, mentorship_id)
            if review is None:
                raise not_found("review")
            answered = await reviews.reply(self.db, review["_id"], text, clock.now())
            await self._tell(mentorship["mentee_id"], user_id, mentorship_id, "review_answered")
        return answered

    async def _tell(
        self, user_id: ObjectId, actor_id: ObjectId, mentorship_id: ObjectId, event: str
    ) -> None:
        data = {
            "event": event,
            "mentorship_id": str(mentorship_id),
            "actor_name": await users.display_name(self.db, actor_id),
        }
        await self.notifier.notify(user_id, "mentorship", data, actor_id=actor_id)
