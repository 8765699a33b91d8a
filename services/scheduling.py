"""Sessions of a mentorship: free slots, booking, rescheduling, cancelling, reminders.

A booking is one unit of work: the session (its half hours unique per mentor, so a raced slot
goes to one booking and the other is 409), a system message in the pair's conversation (the
session card), a notification to the other side, an invitation email with an iCalendar file
to each of the two (METHOD REQUEST; a reschedule sends it again with a higher SEQUENCE, a
cancellation METHOD CANCEL), and the reminder jobs, 24 hours and 1 hour before. A reminder
job carries the start it was made for: a moved or cancelled session's old reminders do
nothing when they come due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, field_error, forbidden, not_found
from hypee.units import retry_transient
from models import availability, bookings, jobs, mentorships, notification_settings, users
from models.bookings import BookingDocument
from models.mentorships import MentorshipDocument
from services import invitations, notice_emails
from services.mail import Mailer
from services.messages import MessageService
from services.notifier import Notifier

REMINDERS = (timedelta(hours=24), timedelta(hours=1))


def reminder_key(booking_id: ObjectId, before: timedelta) -> str:
    return f"reminder:{booking_id}:{int(before.total_seconds())}"


class Scheduling:
    """Slots, bookings and their reminders (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        messages: MessageService,
        mailer: Mailer,
        change_hours: int,
    ) -> None:
        self.store = store
        self.db = store.db
        self.notifier = notifier
        self.messages = messages
        self.mailer = mailer
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
        hours = await availability.get(self.db, mentor_id)
        offered = availability.free_slots(
            hours, [], start, start + timedelta(seconds=1), minutes, clock.now()
        )
        if (start, start + timedelta(minutes=minutes)) not in offered:
            raise field_error("start", "Not a slot in the mentor's available hours.")
        end = start + timedelta(minutes=minutes)
        taken = [
            b
            for b in await bookings.busy(self.db, mentor_id, start, end)
            if moving is None or b != (moving["start"], moving["end"])
        ]
        if taken:
            raise ApiError("slot_taken", "That time is booked: choose another slot.")

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
            await self._changed(mentorship, booking, user_id, "booked")
        return booking

    async def _changeable(
        self, user_id: ObjectId, mentorship_id: ObjectId, booking_id: ObjectId
    ) -> tuple[mentorships.MentorshipDocument, BookingDocument]:
        mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
        booking = await bookings.get(self.db, booking_id)
        if booking is None or booking["mentorship_id"] != mentorship_id:
            raise not_found("session")
        if booking["state"] != "booked":
            raise ApiError("conflict", "This session is cancelled.", extra={"state": "cancelled"})
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
            await self._changed(mentorship, moved, user_id, "rescheduled")
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
                raise ApiError(
                    "conflict", "This session is cancelled.", extra={"state": "cancelled"}
                )
            await self._changed(mentorship, cancelled, user_id, "cancelled")

    async def cancel_all(self, mentorship: MentorshipDocument, user_id: ObjectId) -> None:
        """The mentorship ended: its sessions to come are cancelled (in the caller's unit)."""
        for booking in await bookings.cancel_upcoming(
            self.db, mentorship["_id"], user_id, clock.now()
        ):
            await self._changed(mentorship, booking, user_id, "cancelled", message=False)

    async def _changed(
        self,
        mentorship: MentorshipDocument,
        booking: BookingDocument,
        actor_id: ObjectId,
        event: str,
        *,
        message: bool = True,
    ) -> None:
        """What a booking, a move or a cancellation causes, in the caller's unit: the card in
        the conversation, the other side's notification, both invitations, the reminders."""
        mentor_id, mentee_id = mentorship["mentor_id"], mentorship["mentee_id"]
        people = {u["_id"]: u for u in await users.with_settings(self.db, [mentor_id, mentee_id])}
        names = {
            uid: people[uid]["display_name"] if uid in people else "Someone"
            for uid in (mentor_id, mentee_id)
        }
        other = mentee_id if actor_id == mentor_id else mentor_id
        meeting_url = await self.meeting_url(mentor_id)
        if message and mentorship.get("conversation_id"):
            card = {
                "type": f"session_{event}",
                "session_id": str(booking["_id"]),
                "mentorship_id": str(mentorship["_id"]),
                "start": booking["start"].isoformat(),
                "minutes": booking["minutes"],
                "meeting_url": meeting_url,
            }
            body = f"{names[actor_id]} {event} a session ({booking['minutes']} minutes)"
            await self.messages.post_system(mentorship["conversation_id"], actor_id, card, body)
        data = {
            "event": event,
            "mentorship_id": str(mentorship["_id"]),
            "session_id": str(booking["_id"]),
            "start": booking["start"].isoformat(),
            "minutes": booking["minutes"],
            "actor_name": names[actor_id],
        }
        # The invitations below are the emails about it.
        await self.notifier.notify(other, "session", data, actor_id=actor_id, email=False)
        for person_id in (mentor_id, mentee_id):
            person = people.get(person_id)
            if person is not None:
                partner = names[mentee_id if person_id == mentor_id else mentor_id]
                await self._invite(person, booking, event, partner, names[mentor_id], meeting_url)
        for before in REMINDERS:
            await jobs.cancel(self.db, reminder_key(booking["_id"], before))
            due = booking["start"] - before
            if booking["state"] == "booked" and due > clock.now():
                await jobs.schedule(
                    self.db,
                    key=reminder_key(booking["_id"], before),
                    kind=jobs.SESSION_REMINDER,
                    user_id=mentee_id,
                    due_at=due,
                    data={"session_id": booking["_id"], "start": booking["start"]},
                )

    async def meeting_url(self, mentor_id: ObjectId) -> str | None:
        found = await users.get_user(self.db, mentor_id)
        profile = (found or {}).get("mentor") or (found or {}).get("mentor_suspended") or {}
        url = profile.get("meeting_url")
        return str(url) if url else None

    async def _invite(
        self,
        person: dict[str, Any],
        booking: BookingDocument,
        event: str,
        partner: str,
        mentor_name: str,
        meeting_url: str | None,
    ) -> None:
        """The invitation email (with its .ics) to one of the two, as their settings allow."""
        settings = notification_settings.of(person)
        if not (
            person.get("email_verified")
            and person.get("email")
            and notification_settings.wants(settings, "email", "mentorship")
        ):
            return
        method = "CANCEL" if event == "cancelled" else "REQUEST"
        ics = invitations.invitation(
            booking,
            method=method,
            summary=f"Hypee: {partner}",
            description=f"Mentoring session with {partner} on Hypee.",
            sender=self.mailer.sender,
            organizer_name=f"{mentor_name} (Hypee)",
            attendee=(person["display_name"], person["email"]),
            now=clock.now(),
            meeting_url=meeting_url,
        )
        context = {
            "event": event,
            "other": partner,
            "when": notice_emails.local_time(booking["start"], settings),
            "minutes": booking["minutes"],
            "meeting_url": meeting_url or "",
            "link": self.mailer.link(f"/mentorships/{booking['mentorship_id']}"),
        }
        await self.mailer.queue(
            "session_invitation", person, context, calendar={"method": method, "ics": ics}
        )

    # -- reminders -------------------------------------------------------------------------

    async def remind(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        """A reminder came due: both people are notified (in-app, and push or email as their
        settings allow), unless the session moved or was cancelled since."""
        async with self.store.atomic():
            booking = await bookings.get(self.db, job["data"]["session_id"])
            current = (
                booking is not None
                and booking["state"] == "booked"
                and booking["start"] == job["data"]["start"]
            )
            if booking is not None and current:
                mentor_id, mentee_id = booking["mentor_id"], booking["mentee_id"]
                names = {u: await users.display_name(self.db, u) for u in (mentor_id, mentee_id)}
                for person_id, other in ((mentor_id, mentee_id), (mentee_id, mentor_id)):
                    data = {
                        "event": "reminder",
                        "mentorship_id": str(booking["mentorship_id"]),
                        "session_id": str(booking["_id"]),
                        "start": booking["start"].isoformat(),
                        "minutes": booking["minutes"],
                        "actor_name": names[other],
                    }
                    await self.notifier.notify(person_id, "session", data, actor_id=other)
            await jobs.done(self.db, job)
