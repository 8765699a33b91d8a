"""Availability, free slots and booked sessions over real sockets: slots and bookings across
the daylight-saving changes of America/New_York and Europe/Paris, booking races, the
iCalendar invitations parsed back, rescheduling and cancelling with their limits, reminders
sent once each, and bad input named by field."""

from __future__ import annotations

import asyncio
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from icalendar import Calendar
from pymongo import AsyncMongoClient

from hypee import clock
from hypee.errors import ApiError
from models import bookings
from tests.client import Account, ApiClient
from tests.helpers import PROFILE, assert_error, history
from tests.mailbox import Mailbox, settle, verify
from tests.mentoring import accepted, book, iso, make_mentor, parse, set_hours, slots
from tests.processes import two_process_cluster

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def move_clock_to(moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


async def test_availability_refuses_bad_input_naming_the_field(api: ApiClient):
    mentor = await make_mentor(api)
    mentee = await api.register()
    cases = {
        "time_zone": {"time_zone": "Mars/Olympus", "weekly": []},
        "weekly": {
            "time_zone": "UTC",
            "weekly": [
                {"weekday": 0, "start": "09:00", "end": "12:00"},
                {"weekday": 0, "start": "11:00", "end": "13:00"},
            ],
        },
    }
    for field, body in cases.items():
        response = await api.put("/api/me/availability", body, token=mentor.access)
        error = assert_error(response, 400, "validation_error")
        assert field in error["fields"], error
    overlap = await api.put("/api/me/availability", cases["weekly"], token=mentor.access)
    assert "Monday" in str(overlap.json["error"]["fields"]["weekly"])
    for window in (
        {"weekday": 7, "start": "09:00", "end": "10:00"},
        {"weekday": 1, "start": "09:15", "end": "10:00"},
        {"weekday": 1, "start": "10:00", "end": "09:00"},
        {"weekday": 1, "start": "25:00", "end": "26:00"},
    ):
        body = {"time_zone": "UTC", "weekly": [window]}
        response = await api.put("/api/me/availability", body, token=mentor.access)
        assert "weekly" in assert_error(response, 400, "validation_error")["fields"], window
    not_mentor = await set_hours(api, mentee, "UTC")
    assert_error(not_mentor, 400, "validation_error")
    stored = await set_hours(api, mentor, "Europe/Paris", days_off=["2027-03-29"])
    assert stored.status == 200 and stored.json["days_off"] == ["2027-03-29"]
    assert (await api.get("/api/me/availability", token=mentor.access)).json == stored.json

    query = f"/api/mentors/{mentor.id}/slots/"
    for params, field in (
        ("?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z", "to"),
        ("?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", "to"),
        ("?from=yesterday", "from"),
        ("?minutes=45", "minutes"),
    ):
        error = assert_error(await api.get(query + params), 400, "validation_error")
        assert field in error["fields"], (params, error)


async def test_slots_follow_each_zone_across_daylight_saving_changes(api: ApiClient):
    mentor = await make_mentor(api)
    # Every day 09:00-10:00 in New York, which moves to summer time on 14 March 2027; Paris
    # follows on 28 March, so a Parisian sees the slot at 15:00, then 14:00, then 15:00.
    weekly = [{"weekday": day, "start": "09:00", "end": "10:00"} for day in range(7)]
    assert (await set_hours(api, mentor, "America/New_York", weekly, ["2027-03-20"])).status == 200
    start = datetime(2027, 3, 10, tzinfo=UTC)
    found = await slots(api, mentor, start, start + timedelta(days=21), minutes=30)
    assert all(s.astimezone(NEW_YORK).strftime("%H:%M") in ("09:00", "09:30") for s in found)
    by_day = {s.astimezone(NEW_YORK).date().isoformat(): s for s in found if s.minute == 0}
    assert "2027-03-20" not in by_day  # a day off
    assert by_day["2027-03-13"].hour == 14 and by_day["2027-03-15"].hour == 13  # UTC
    paris = {day: s.astimezone(PARIS).strftime("%H:%M") for day, s in by_day.items()}
    assert (paris["2027-03-13"], paris["2027-03-15"], paris["2027-03-29"]) == (
        "15:00",
        "14:00",
        "15:00",
    )
    hour_long = await slots(api, mentor, start, start + timedelta(days=2), minutes=60)
    assert [s.astimezone(NEW_YORK).strftime("%H:%M") for s in hour_long] == ["09:00", "09:00"]

    # A Paris window over the night the clocks go forward (02:00 becomes 03:00): the skipped
    # half hours have no slot, and the window holds one real hour less.
    night = [{"weekday": 6, "start": "01:00", "end": "04:00"}]
    assert (await set_hours(api, mentor, "Europe/Paris", night)).status == 200
    sunday = datetime(2027, 3, 28, tzinfo=UTC)
    local = [
        s.astimezone(PARIS).strftime("%H:%M")
        for s in await slots(
            api, mentor, sunday - timedelta(hours=2), sunday + timedelta(hours=12), minutes=60
        )
    ]
    assert local == ["01:00", "01:30", "03:00"]
    # A window wholly inside the skipped hour offers nothing (not 03:00, where its times land).
    gap = [
        {"weekday": 6, "start": "01:00", "end": "02:00"},
        {"weekday": 6, "start": "02:00", "end": "02:30"},
    ]
    assert (await set_hours(api, mentor, "Europe/Paris", gap)).status == 200
    found = await slots(api, mentor, sunday - timedelta(hours=2), sunday + timedelta(hours=12))
    assert [s.astimezone(PARIS).strftime("%H:%M") for s in found] == ["01:00", "01:30"]


async def _booked_pair(api: ApiClient) -> tuple[Account, Account, dict]:
    mentor = await make_mentor(api, "Marie")
    mentee = await api.register("Sam")
    assert (await set_hours(api, mentor, "America/New_York")).status == 200
    return mentor, mentee, await accepted(api, mentee, mentor)


async def test_a_mentors_half_hours_are_held_once_whatever_was_read_before(memory_db):
    """The guard under the booking check: on an engine whose transactions do not serialize
    (MongoDB), two bookings may both have read the slot as free; the held half hours still
    let only one be stored."""
    mentor, now = ObjectId(), clock.now()
    pair = {"_id": ObjectId(), "mentor_id": mentor, "mentee_id": ObjectId()}
    other = {**pair, "_id": ObjectId(), "mentee_id": ObjectId()}
    start = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
    first = await bookings.book(memory_db, pair, start, 60, now)
    with pytest.raises(ApiError) as refused:
        await bookings.book(memory_db, other, start + timedelta(minutes=30), 30, now)
    assert refused.value.code == "slot_taken"
    assert await memory_db[bookings.COLLECTION].count_documents({}) == 1
    # Another mentor's same hour is free; a cancellation frees this one.
    await bookings.book(memory_db, {**other, "mentor_id": ObjectId()}, start, 60, now)
    await bookings.cancel(memory_db, first, pair["mentee_id"], now)
    await bookings.book(memory_db, other, start + timedelta(minutes=30), 30, now)
    # A move onto a held half hour is refused and leaves the session where it was.
    moving = await bookings.book(memory_db, pair, start + timedelta(hours=2), 30, now)
    with pytest.raises(ApiError):
        await bookings.move(memory_db, moving, start + timedelta(minutes=30), 30, now)
    kept = await bookings.get(memory_db, moving["_id"])
    assert kept is not None and kept["start"] == moving["start"]
    assert await bookings.busy(memory_db, pair["mentor_id"], start, start + timedelta(hours=3)) == [
        (start + timedelta(minutes=30), start + timedelta(hours=1)),
        (start + timedelta(hours=2), start + timedelta(hours=2, minutes=30)),
    ]


async def test_two_racing_bookings_of_one_slot_make_one_session(api: ApiClient):
    mentor = await make_mentor(api, "Marie")
    await set_hours(api, mentor, "UTC")
    mentees = [await api.register() for _ in range(4)]
    mentorships = [await accepted(api, mentee, mentor) for mentee in mentees[:3]]
    slot = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
    answers = await asyncio.gather(
        *(book(api, mentee, m["id"], slot) for mentee, m in zip(mentees, mentorships, strict=False))
    )
    assert sorted(r.status for r in answers) == [201, 409, 409], answers
    assert {r.error_code for r in answers if r.status == 409} == {"slot_taken"}
    # An hour-long session over a booked half hour is refused too, before or after it.
    winner = next(i for i, r in enumerate(answers) if r.status == 201)
    other = next(i for i in range(3) if i != winner)
    for start in (slot - timedelta(minutes=30), slot):
        refused = await book(api, mentees[other], mentorships[other]["id"], start, 60)
        assert_error(refused, 409, "slot_taken")
    free = await slots(api, mentor, slot - timedelta(hours=1), slot + timedelta(hours=2))
    assert slot not in free and slot + timedelta(minutes=30) in free
    assert (
        await book(api, mentees[other], mentorships[other]["id"], slot + timedelta(minutes=30), 60)
    ).status == 201


async def test_bookings_refuse_bad_input_and_the_wrong_people(api: ApiClient):
    mentor, mentee, mentorship = await _booked_pair(api)
    mid = mentorship["id"]
    in_hours = datetime(2030, 1, 7, 9, 0, tzinfo=NEW_YORK)
    past = await book(api, mentee, mid, clock.now() - timedelta(days=1))
    assert "start" in assert_error(past, 400, "validation_error")["fields"]
    night = await book(api, mentee, mid, in_hours.replace(hour=3))
    assert "start" in assert_error(night, 400, "validation_error")["fields"]
    for body in ({"start": "tomorrow", "minutes": 30}, {"start": iso(in_hours), "minutes": 45}):
        response = await api.post(f"/api/mentorships/{mid}/sessions/", body, token=mentee.access)
        assert set(body) & set(assert_error(response, 400, "validation_error")["fields"])
    assert_error(await book(api, mentor, mid, in_hours), 403, "forbidden")
    waiting = await api.register()
    pending = await api.post(
        "/api/mentorships/", {"mentor_id": mentor.id, "goals": ["x"]}, token=waiting.access
    )
    early = await book(api, waiting, pending.json["id"], in_hours)
    assert assert_error(early, 409, "conflict")["state"] == "pending"
    await api.post(f"/api/mentorships/{mid}/end", token=mentee.access)
    ended = await book(api, mentee, mid, in_hours)
    assert assert_error(ended, 409, "conflict")["state"] == "ended"


async def test_a_booking_across_a_clock_change_sends_invitations_that_parse_back(
    mail_api: ApiClient, mailbox: Mailbox
):
    api = mail_api
    mentor, mentee, mentorship = await _booked_pair(api)
    for account in (mentor, mentee):
        await verify(api, mailbox, account)
    settings = {"time_zone": "Europe/Paris", "language": "fr"}
    changed = await api.put("/api/me/notification-settings", settings, token=mentee.access)
    assert changed.status == 200, changed
    await api.put(
        "/api/me/mentor-profile",
        {**PROFILE, "meeting_url": "https://meet.example.com/marie"},
        token=mentor.access,
    )
    # 29 March 2027, 09:00 in New York: 13:00 UTC, 15:00 in Paris (both on summer time).
    start = datetime(2027, 3, 29, 9, 0, tzinfo=NEW_YORK)
    booked = await book(api, mentee, mentorship["id"], start, 60)
    assert booked.status == 201, booked
    session = booked.json
    assert parse(session["start"]) == datetime(2027, 3, 29, 13, 0, tzinfo=UTC)
    assert session["minutes"] == 60 and session["meeting_url"] == "https://meet.example.com/marie"

    await settle(api)()
    for account, local in ((mentee, "2027-03-29 15:00 (Europe/Paris)"), (mentor, "13:00 (UTC)")):
        received = await mailbox.wait_for(account.email, 2)
        invitations = [m for m in received if m.get_content_type() == "multipart/mixed"]
        assert len(invitations) == 1, [m["Subject"] for m in received]
        [email] = invitations
        assert local in email.get_body(("plain",)).get_content()
        event = _event(email, "REQUEST")
        assert event.decoded("dtstart") == parse(session["start"])
        assert event.decoded("dtend") == parse(session["end"])
        assert int(event["sequence"]) == 0 and str(event["location"]).endswith("/marie")
        attendees = event.get("attendee")
        assert str(attendees) == f"mailto:{account.email}"  # nobody else's address
    # The card in the conversation carries what each viewer needs to show it in their zone.
    messages = (await history(api, mentee, mentorship["conversation_id"]))["results"]
    card = messages[-1]["event"]
    assert card["type"] == "session_booked" and card["session_id"] == session["id"]
    assert parse(card["start"]) == parse(session["start"]) and card["minutes"] == 60

    # Moved (by the mentor) to the week between the two changes, when New York is on summer
    # time and Paris not yet: 09:00 there is 13:00 UTC and 14:00 in Paris. An update with a
    # higher sequence.
    url = f"/api/mentorships/{mentorship['id']}/sessions/{session['id']}"
    between = datetime(2027, 3, 22, 9, 0, tzinfo=NEW_YORK)
    moved = await api.patch(url, {"start": iso(between), "minutes": 30}, token=mentor.access)
    assert moved.status == 200 and moved.json["minutes"] == 30
    await settle(api)()
    emails = await mailbox.wait_for(mentee.email, 3)
    assert "2027-03-22 14:00 (Europe/Paris)" in emails[-1].get_body(("plain",)).get_content()
    event = _event(emails[-1], "REQUEST")
    assert int(event["sequence"]) == 1
    assert event.decoded("dtstart") == datetime(2027, 3, 22, 13, 0, tzinfo=UTC)
    assert str(event["uid"]) == str(_event(emails[-2], "REQUEST")["uid"])
    # Cancelled: a CANCEL with the same UID and a higher sequence.
    assert (await api.delete(url, token=mentee.access)).status == 204
    await settle(api)()
    emails = await mailbox.wait_for(mentee.email, 4)
    event = _event(emails[-1], "CANCEL")
    assert int(event["sequence"]) == 2 and str(event["status"]) == "CANCELLED"
    assert_error(await api.delete(url, token=mentee.access), 409, "conflict")
    listed = await api.get(f"/api/mentorships/{mentorship['id']}/sessions/", token=mentor.access)
    assert [s["state"] for s in listed.json["results"]] == ["cancelled"]


def _event(email, method: str):
    [part] = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == method
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["method"]) == method
    [event] = calendar.walk("VEVENT")
    return event


async def test_changes_stop_twelve_hours_before_and_reminders_come_once_each(api: ApiClient):
    mentor, mentee, mentorship = await _booked_pair(api)
    start = datetime(2030, 1, 7, 9, 0, tzinfo=NEW_YORK)
    session = (await book(api, mentee, mentorship["id"], start)).json
    url = f"/api/mentorships/{mentorship['id']}/sessions/{session['id']}"

    async def reminders(account: Account) -> list[dict]:
        found = (await api.get("/api/notifications/", token=account.access)).json["results"]
        return [n for n in found if n["kind"] == "session" and n["data"]["event"] == "reminder"]

    # Moved once: the reminders of the first time do nothing.
    moved_to = start + timedelta(days=1)
    assert (
        await api.patch(url, {"start": iso(moved_to), "minutes": 30}, token=mentee.access)
    ).status == 200
    move_clock_to(start - timedelta(hours=23))
    await settle(api)()
    assert await reminders(mentee) == [] and await reminders(mentor) == []
    move_clock_to(moved_to - timedelta(hours=23, minutes=59))
    await settle(api)()
    for account in (mentor, mentee):
        [reminder] = await reminders(account)
        assert parse(reminder["data"]["start"]) == moved_to
    await settle(api)()
    assert len(await reminders(mentee)) == 1
    # Within 12 hours: no more changes.
    move_clock_to(moved_to - timedelta(hours=11))
    late = await api.patch(
        url, {"start": iso(moved_to + timedelta(days=1)), "minutes": 30}, token=mentee.access
    )
    assert_error(late, 409, "too_late")
    assert_error(await api.delete(url, token=mentor.access), 409, "too_late")
    move_clock_to(moved_to - timedelta(minutes=59))
    await settle(api)()
    await settle(api)()
    assert len(await reminders(mentee)) == 2 and len(await reminders(mentor)) == 2


@pytest.mark.slow
async def test_reminders_due_on_two_processes_are_sent_once_each(tmp_path):
    extra = {"HYPEE_DUE_WORK_POLL_SECONDS": "1"}
    async with two_process_cluster(tmp_path, "reminders", **extra) as (_, a, b):
        mentor = await make_mentor(a.client, "Marie")
        mentee = await b.client.register("Sam")
        assert (await set_hours(a.client, mentor, "UTC")).status == 200
        mentorship = await accepted(b.client, mentee, mentor)
        start = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
        session = await book(b.client, mentee, mentorship["id"], start)
        assert session.status == 201, session
        # Both reminders come due now, on both processes at once.
        client: AsyncMongoClient = AsyncMongoClient(a.env["HYPEE_MONGO_URI"])
        jobs = client[a.env["HYPEE_MONGO_DB"]]["jobs"]
        moved = await jobs.update_many(
            {"kind": "session_reminder"}, {"$set": {"due_at": datetime.now(UTC)}}
        )
        assert moved.modified_count == 2
        await asyncio.sleep(3)  # three polls on each process
        for account, server in ((mentor, a), (mentee, b)):
            found = await server.client.get("/api/notifications/", token=account.access)
            reminders = [n for n in found.json["results"] if n["data"].get("event") == "reminder"]
            assert len(reminders) == 2, reminders  # 24 hours and 1 hour before, once each
        assert await jobs.count_documents({"kind": "session_reminder"}) == 0
        await client.close()
