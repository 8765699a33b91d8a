"""Sessions of a mentorship: free slots, booking, rescheduling and cancelling.

Each change is one unit of work: the session (its half hours held per mentor, so a raced slot
goes to one booking and the other is 409 `slot_taken`) and what it tells people
(services/session_notices.py: the card, the notification, the invitations, the reminders).
A slot must be one the mentor's availability offers, in the future; a session can be moved
or cancelled up to HYPEE_SESSION_CHANGE_HOURS before it starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, field_error, forbidden, not_found
from hypee.units import retry_transient
from models import availability, bookings, mentorships, users
from models.bookings import BookingDocument
from models.mentorships import MentorshipDocument
from services.session_notices import SessionNotices


class Scheduling:
    """Slots, bookings and their reminders (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        notices: SessionNotices,
        change_hours: int,
    ) -> None:
        self.store = store
        self.db = store.db
        self.notices = notices
        self.change_notice = timedelta(hours=change_hours)

    async def slots(
        self, mentor_id: ObjectId, start: datetime, end: datetime, minutes: int
    ) -> list[tuple[datetime, datetime]]:
        """The mentor's free slots of `minutes` starting in [start, end)."""
        hours = await availability.get(self.db, mentor_id)
        busy = await bookings.busy(self.db, mentor_id, start, end + timedelta(minutes=minutes))
        return availability.free_slots(hours, busy, start, end, minutes, clock.now())

    async def _require_free(
        self, mentor_id: ObjectId, start: datetime, minutes: int, moving: BookingDocument | None
    ) -> None:
        """400 naming `start` unless [start, start + minutes) is one of the mentor's slots (a
        session being moved does not count against itself); 409 `slot_taken` when booked."""
        if start <= clock.now():
            raise field_error("start", "Must be in the future.")
        end = start + timedelta(minutes=minutes)
        hours = await availability.get(self.db, mentor_id)
        offered = availability.free_slots(
            hours, [], start, start + timedelta(seconds=1), minutes, clock.now()
        )
        if (start, end) not in offered:
            raise field_error("start", "Not a slot in the mentor's available hours.")
        taken = [
            b
            for b in await bookings.busy(self.db, mentor_id, start, end)
            if moving is None or b != (moving["start"], moving["end"])
        ]
        if taken:
            raise bookings.slot_taken()

    @retry_transient
    async def book(
        self, user_id: ObjectId, mentorship_id: ObjectId, start: datetime, minutes: int
    ) -> BookingDocument:
        """The mentee books a free slot of an accepted mentorship."""
        async with self.store.atomic():
            mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
            if mentorship["mentee_id"] != user_id:
                raise forbidden("The mentee books sessions; the mentor sets the hours.")
            if mentorship["state"] != "accepted":
                raise ApiError(
                    "conflict",
                    f"This mentorship is {mentorship['state']}.",
                    extra={"state": mentorship["state"]},
                )
            await users.require_not_suspended(self.db, user_id)
            await self._require_free(mentorship["mentor_id"], start, minutes, None)
            booking = await bookings.book(self.db, mentorship, start, minutes, clock.now())
            await self.notices.changed(mentorship, booking, user_id, "booked")
        return booking

    async def _changeable(
        self, user_id: ObjectId, mentorship_id: ObjectId, booking_id: ObjectId
    ) -> tuple[mentorships.MentorshipDocument, BookingDocument]:
        mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
        booking = await bookings.get(self.db, booking_id)
        if booking is None or booking["mentorship_id"] != mentorship_id:
            raise not_found("session")
        if booking["state"] != "booked":
            raise _cancelled()
        if clock.now() > booking["start"] - self.change_notice:
            hours = int(self.change_notice.total_seconds() // 3600)
            raise ApiError(
                "too_late",
                f"A session can be cancelled or moved up to {hours} hours before it starts.",
            )
        return mentorship, booking

    @retry_transient
    async def reschedule(
        self,
        user_id: ObjectId,
        mentorship_id: ObjectId,
        booking_id: ObjectId,
        start: datetime,
        minutes: int,
    ) -> BookingDocument:
        """Either side moves a booked session to another free slot."""
        async with self.store.atomic():
            mentorship, booking = await self._changeable(user_id, mentorship_id, booking_id)
            await self._require_free(mentorship["mentor_id"], start, minutes, booking)
            moved = await bookings.move(self.db, booking, start, minutes, clock.now())
            await self.notices.changed(mentorship, moved, user_id, "rescheduled")
        return moved

    @retry_transient
    async def cancel(
        self, user_id: ObjectId, mentorship_id: ObjectId, booking_id: ObjectId
    ) -> None:
        """Either side cancels a booked session."""
        async with self.store.atomic():
            mentorship, booking = await self._changeable(user_id, mentorship_id, booking_id)
            cancelled = await bookings.cancel(self.db, booking, user_id, clock.now())
            if cancelled is None:
                raise _cancelled()
            await self.notices.changed(mentorship, cancelled, user_id, "cancelled")

    async def cancel_all(self, mentorship: MentorshipDocument, user_id: ObjectId) -> None:
        """The mentorship ended: its sessions to come are cancelled (in the caller's unit)."""
        for booking in await bookings.cancel_upcoming(
            self.db, mentorship["_id"], user_id, clock.now()
        ):
            await self.notices.changed(mentorship, booking, user_id, "cancelled", card=False)


def _cancelled() -> ApiError:
    """409: the session was cancelled (by the other side, or a request that came first)."""
    return ApiError("conflict", "This session is cancelled.", extra={"state": "cancelled"})
