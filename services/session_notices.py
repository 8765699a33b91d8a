"""What a session's booking, move or cancellation tells people, and its reminders.

In the caller's unit of work: the session card (a system message in the pair's conversation),
the other side's `session` notification (in-app and push; the invitations are its emails), an
invitation email to each of the two with an iCalendar file (METHOD REQUEST when booked or
moved, CANCEL when cancelled; services/invitations.py), and the reminder jobs, 24 hours and
1 hour before. A reminder job carries the start it was made for, so the reminders of a moved
or cancelled session do nothing when they come due; each is claimed by one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from models import bookings, jobs, notification_settings, users
from models.bookings import BookingDocument
from models.mentorships import MentorshipDocument
from services import invitations, notice_emails
from services.mail import Mailer
from services.messages import MessageService
from services.notifier import Notifier

REMINDERS = (timedelta(hours=24), timedelta(hours=1))


def reminder_key(booking_id: ObjectId, before: timedelta) -> str:
    return f"reminder:{booking_id}:{int(before.total_seconds())}"


@dataclass(frozen=True)
class Pair:
    """The two people of a session, as its notices name them."""

    mentor_id: ObjectId
    mentee_id: ObjectId
    names: dict[ObjectId, str]
    meeting_url: str | None

    def other(self, person_id: ObjectId) -> ObjectId:
        return self.mentee_id if person_id == self.mentor_id else self.mentor_id


class SessionNotices:
    """The cards, notifications, invitations and reminders of sessions."""

    def __init__(self, store: Store, notifier: Notifier, messages: MessageService, mailer: Mailer):
        self.store = store
        self.db = store.db
        self.notifier = notifier
        self.messages = messages
        self.mailer = mailer

    async def meeting_url(self, mentor_id: ObjectId) -> str | None:
        """The mentor's video-call link (their profile's, also while suspended)."""
        found = await users.get_user(self.db, mentor_id) or {}
        profile = found.get("mentor") or found.get("mentor_suspended") or {}
        url = profile.get("meeting_url")
        return str(url) if url else None

    async def changed(
        self,
        mentorship: MentorshipDocument,
        booking: BookingDocument,
        actor_id: ObjectId,
        event: str,
        *,
        card: bool = True,
    ) -> None:
        """`actor_id` booked, rescheduled or cancelled (`event`) `booking`: everything it
        tells people, in the caller's unit (see the module docstring)."""
        mentor_id, mentee_id = mentorship["mentor_id"], mentorship["mentee_id"]
        people = {u["_id"]: u for u in await users.with_settings(self.db, [mentor_id, mentee_id])}
        pair = Pair(
            mentor_id,
            mentee_id,
            {u: people[u]["display_name"] if u in people else "Someone" for u in people},
            await self.meeting_url(mentor_id),
        )
        if card and mentorship.get("conversation_id"):
            await self._card(mentorship, booking, actor_id, event, pair)
        data = _data(booking, event, pair.names.get(actor_id, "Someone"))
        # The invitations below are the emails about it.
        other = pair.other(actor_id)
        await self.notifier.notify(other, "session", data, actor_id=actor_id, email=False)
        for person in people.values():
            await self._invite(person, booking, event, pair)
        await self._schedule_reminders(booking)

    async def _card(
        self,
        mentorship: MentorshipDocument,
        booking: BookingDocument,
        actor_id: ObjectId,
        event: str,
        pair: Pair,
    ) -> None:
        """The session card: a system message the clients show in each viewer's time zone."""
        shown = {
            "type": f"session_{event}",
            "session_id": str(booking["_id"]),
            "mentorship_id": str(mentorship["_id"]),
            "start": booking["start"].isoformat(),
            "minutes": booking["minutes"],
            "meeting_url": pair.meeting_url,
        }
        actor = pair.names.get(actor_id, "Someone")
        body = f"{actor} {event} a session ({booking['minutes']} minutes)"
        await self.messages.post_system(mentorship["conversation_id"], actor_id, shown, body)

    async def _schedule_reminders(self, booking: BookingDocument) -> None:
        """The reminders of `booking` as it is now (none once cancelled or too close)."""
        for before in REMINDERS:
            key = reminder_key(booking["_id"], before)
            await jobs.cancel(self.db, key)
            due = booking["start"] - before
            if booking["state"] == "booked" and due > clock.now():
                await jobs.schedule(
                    self.db,
                    key=key,
                    kind=jobs.SESSION_REMINDER,
                    user_id=booking["mentee_id"],
                    due_at=due,
                    data={"session_id": booking["_id"], "start": booking["start"]},
                )

    async def _invite(
        self, person: dict[str, Any], booking: BookingDocument, event: str, pair: Pair
    ) -> None:
        """The invitation email (with its .ics) to one of the two, as their settings allow."""
        settings = notification_settings.of(person)
        if not (
            person.get("email_verified")
            and person.get("email")
            and notification_settings.wants(settings, "email", "mentorship")
        ):
            return
        partner = pair.names.get(pair.other(person["_id"]), "Someone")
        method = "CANCEL" if event == "cancelled" else "REQUEST"
        invitee = invitations.Invitee(
            summary=f"Hypee: {partner}",
            description=f"Mentoring session with {partner} on Hypee.",
            organizer=(f"{pair.names.get(pair.mentor_id, 'Hypee')} (Hypee)", self.mailer.sender),
            attendee=(person["display_name"], person["email"]),
            meeting_url=pair.meeting_url,
        )
        ics = invitations.invitation(booking, method, invitee, clock.now())
        context = {
            "event": event,
            "other": partner,
            "when": notice_emails.local_time(booking["start"], settings),
            "minutes": booking["minutes"],
            "meeting_url": pair.meeting_url or "",
            "link": self.mailer.link(f"/mentorships/{booking['mentorship_id']}"),
        }
        calendar = {"method": method, "ics": ics}
        await self.mailer.queue("session_invitation", person, context, calendar=calendar)

    async def remind(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        """A reminder came due: both people are notified (in-app, and push or email as their
        settings allow), unless the session moved or was cancelled since."""
        async with self.store.atomic():
            booking = await bookings.get(self.db, job["data"]["session_id"])
            if (
                booking is not None
                and booking["state"] == "booked"
                and booking["start"] == job["data"]["start"]
            ):
                mentor_id, mentee_id = booking["mentor_id"], booking["mentee_id"]
                names = {u: await users.display_name(self.db, u) for u in (mentor_id, mentee_id)}
                for person_id, other in ((mentor_id, mentee_id), (mentee_id, mentor_id)):
                    data = _data(booking, "reminder", names[other])
                    await self.notifier.notify(person_id, "session", data, actor_id=other)
            await jobs.done(self.db, job)


def _data(booking: BookingDocument, event: str, actor_name: str) -> dict[str, Any]:
    """A `session` notification's data."""
    return {
        "event": event,
        "mentorship_id": str(booking["mentorship_id"]),
        "session_id": str(booking["_id"]),
        "start": booking["start"].isoformat(),
        "minutes": booking["minutes"],
        "actor_name": actor_name,
    }
