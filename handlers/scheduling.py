"""Availability, free slots and booked sessions."""

from __future__ import annotations

from datetime import UTC, timedelta

from handlers.base import BaseHandler
from hypee import clock
from hypee.errors import field_error, not_found
from hypee.openapi import Operation
from models import availability, bookings, mentors, mentorships


class AvailabilityHandler(BaseHandler):
    docs = {
        "GET": Operation("The caller's availability", response=availability.AvailabilitySchema),
        "PUT": Operation(
            "Set the caller's weekly hours and days off",
            body=availability.AvailabilitySchema,
            response=availability.AvailabilitySchema,
            description="Hours are local to `time_zone` (an IANA name), on the hour or half "
            "hour; windows of one weekday may not overlap (400 naming `weekly`). Slots follow "
            "the zone's daylight-saving changes. Only mentors have availability (403).",
        ),
    }

    async def get(self) -> None:
        self.write_json(availability.view(await availability.get(self.db, self.user_id)))

    async def put(self) -> None:
        data = self.load_body(availability.AvailabilitySchema)
        if await mentors.get_mentor(self.db, self.user_id) is None:
            raise field_error("time_zone", "Only mentors set availability: list yourself first.")
        stored = await availability.put(self.db, self.user_id, data, clock.now())
        self.write_json(availability.view(stored))


class SlotListHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "A mentor's free slots, in UTC",
            query=availability.SlotQuerySchema,
            response=availability.SlotListSchema,
            description="Slots of `minutes` (30 or 60) that start between `from` and `to` "
            "(at most 31 days apart), from the mentor's weekly hours minus days off and booked "
            "sessions; never in the past. Clients show them in the viewer's time zone.",
        )
    }

    async def get(self, mentor_id: str) -> None:
        params = self.load_query(availability.SlotQuerySchema)
        mentor = await mentors.get_mentor(self.db, self.path_id(mentor_id, "mentor"))
        if mentor is None:
            raise not_found("mentor")
        start = params.get("from_", clock.now()).astimezone(UTC)
        end = params.get("to", start + timedelta(days=14)).astimezone(UTC)
        if end <= start:
            raise field_error("to", "Must be after from.")
        if end - start > availability.MAX_RANGE:
            raise field_error("to", "Must be at most 31 days after from.")
        slots = await self.services.scheduling.slots(mentor["_id"], start, end, params["minutes"])
        hours = await availability.get(self.db, mentor["_id"])
        self.write_json(
            {
                "results": [{"start": s, "end": e} for s, e in slots],
                "time_zone": availability.view(hours)["time_zone"],
            }
        )


class SessionListHandler(BaseHandler):
    docs = {
        "GET": Operation("A mentorship's sessions, by start", response=bookings.SessionListSchema),
        "POST": Operation(
            "Book a session (the mentee)",
            body=bookings.NewSessionSchema,
            response=bookings.SessionSchema,
            status=201,
            errors=(403, 409),
            description="`start` must be one of the mentor's free slots of `minutes` (400 "
            "naming `start` otherwise, or when it is past). Two bookings racing for one slot: "
            "one wins, the other is 409 `slot_taken`. Both people get an email with an "
            "iCalendar invitation; reminders follow 24 hours and 1 hour before.",
        ),
    }

    async def get(self, mentorship_id: str) -> None:
        mentorship = await mentorships.of_member(
            self.db, self.path_id(mentorship_id, "mentorship"), self.user_id
        )
        scheduling = self.services.scheduling
        meeting_url = await scheduling.notices.meeting_url(mentorship["mentor_id"])
        found = await bookings.of_mentorship(self.db, mentorship["_id"])
        self.write_json(
            {"results": [bookings.view(b, meeting_url, scheduling.change_notice) for b in found]}
        )

    async def post(self, mentorship_id: str) -> None:
        data = self.load_body(bookings.NewSessionSchema)
        scheduling = self.services.scheduling
        booking = await scheduling.book(
            self.user_id,
            self.path_id(mentorship_id, "mentorship"),
            data["start"].astimezone(UTC),
            data["minutes"],
        )
        meeting_url = await scheduling.notices.meeting_url(booking["mentor_id"])
        self.write_json(bookings.view(booking, meeting_url, scheduling.change_notice), 201)


class SessionHandler(BaseHandler):
    docs = {
        "PATCH": Operation(
            "Move a session to another free slot",
            body=bookings.NewSessionSchema,
            response=bookings.SessionSchema,
            errors=(409,),
            description="Either side, up to HYPEE_SESSION_CHANGE_HOURS (12) before it starts "
            "(409 `too_late` after). Both get an updated invitation.",
        ),
        "DELETE": Operation(
            "Cancel a session",
            response=None,
            errors=(409,),
            description="Either side, up to HYPEE_SESSION_CHANGE_HOURS before it starts. Both "
            "get a cancellation (METHOD:CANCEL).",
        ),
    }

    async def patch(self, mentorship_id: str, session_id: str) -> None:
        data = self.load_body(bookings.NewSessionSchema)
        scheduling = self.services.scheduling
        moved = await scheduling.reschedule(
            self.user_id,
            self.path_id(mentorship_id, "mentorship"),
            self.path_id(session_id, "session"),
            data["start"].astimezone(UTC),
            data["minutes"],
        )
        meeting_url = await scheduling.notices.meeting_url(moved["mentor_id"])
        self.write_json(bookings.view(moved, meeting_url, scheduling.change_notice))

    async def delete(self, mentorship_id: str, session_id: str) -> None:
        await self.services.scheduling.cancel(
            self.user_id,
            self.path_id(mentorship_id, "mentorship"),
            self.path_id(session_id, "session"),
        )
        self.no_content()
