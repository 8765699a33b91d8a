"""Mentorships over real sockets: requests and every transition (and every refused one),
capacity and its races, expiry with a clock the test moves, responsiveness measured on a
scripted history, goals, reviews, and 404 for people outside a mentorship."""

from __future__ import annotations

import asyncio

from bson import ObjectId

from hypee import clock
from tests.client import Account, ApiClient
from tests.helpers import PROFILE, assert_error, history, open_direct, send
from tests.mailbox import settle
from tests.mentoring import accepted, act, ask, make_mentor, requested
from tests.test_moderation import act as moderate
from tests.test_moderation import make_staff, report

DAY = 24 * 3600


async def notifications_of(
    api: ApiClient, account: Account, kind: str = "mentorship"
) -> list[dict]:
    response = await api.get("/api/notifications/", token=account.access)
    assert response.status == 200, response
    return [n for n in response.json["results"] if n["kind"] == kind]


async def profile_of(api: ApiClient, mentor: Account) -> dict:
    response = await api.get(f"/api/mentors/{mentor.id}/")
    assert response.status == 200, response
    return response.json["mentor"]


async def capacity_of(api: ApiClient, mentor: Account) -> tuple[int, int]:
    """(mentees now, places in all): the mentor's own view."""
    me = (await api.get("/api/me", token=mentor.access)).json["mentor"]
    return me["mentee_count"], me["max_mentees"]


async def test_a_request_accepted_opens_the_conversation_with_a_system_message(api: ApiClient):
    mentor = await make_mentor(api, "Marie")
    mentee = await api.register("Sam")
    created = await ask(
        api, mentee, mentor, goals=["Learn Python", "  Find a job  "], message="Hello!"
    )
    assert created.status == 201, created
    mentorship = created.json
    assert mentorship["state"] == "pending" and mentorship["role"] == "mentee"
    assert mentorship["mentor"] == {"id": mentor.id, "display_name": "Marie"}
    assert mentorship["message"] == "Hello!" and mentorship["conversation_id"] is None
    assert mentorship["expires_at"] is not None

    incoming = await api.get("/api/mentorships/?role=mentor&state=pending", token=mentor.access)
    assert [m["id"] for m in incoming.json["results"]] == [mentorship["id"]]
    assert incoming.json["results"][0]["role"] == "mentor"
    outgoing = await api.get("/api/mentorships/?role=mentor", token=mentee.access)
    assert outgoing.json["results"] == []
    [told] = await notifications_of(api, mentor)
    assert told["kind"] == "mentorship" and told["data"]["event"] == "requested"
    assert told["data"]["actor_name"] == "Sam"

    accepted_now = await act(api, mentor, mentorship["id"], "accept")
    assert accepted_now.status == 200, accepted_now
    assert accepted_now.json["state"] == "accepted" and accepted_now.json["answered_at"]
    cid = accepted_now.json["conversation_id"]
    [system] = (await history(api, mentee, cid))["results"]
    assert system["kind"] == "system"
    assert system["event"] == {"type": "mentorship_accepted", "mentorship_id": mentorship["id"]}
    detail = (await api.get(f"/api/mentorships/{mentorship['id']}", token=mentee.access)).json
    assert [g["text"] for g in detail["goals"]] == ["Learn Python", "Find a job"]
    assert detail["sessions"] == [] and detail["review"] is None
    [told] = await notifications_of(api, mentee)
    assert told["data"]["event"] == "accepted" and told["data"]["mentorship_id"] == detail["id"]
    assert await capacity_of(api, mentor) == (1, 3)

    # An existing direct conversation is reused by the next mentorship of the pair.
    done = await act(api, mentee, mentorship["id"], "complete")
    assert done.json["state"] == "completed" and done.json["ended_at"]
    again = await accepted(api, mentee, mentor)
    assert again["conversation_id"] == cid


async def test_every_transition_and_every_refused_one(api: ApiClient):
    mentor = await make_mentor(api, "Marie")
    mentee = await api.register("Sam")

    declined = await requested(api, mentee, mentor)
    mid = declined["id"]
    for account, action in ((mentee, "accept"), (mentee, "decline"), (mentor, "withdraw")):
        assert_error(await act(api, account, mid, action), 403, "forbidden")
    for action in ("complete", "end"):
        error = assert_error(await act(api, mentee, mid, action), 409, "conflict")
        assert error["state"] == "pending"
    answer = await act(api, mentor, mid, "decline", reason="I am away this month")
    assert answer.status == 200 and answer.json["state"] == "declined"
    assert answer.json["reason"] == "I am away this month"
    for account, action in ((mentor, "accept"), (mentor, "decline"), (mentee, "withdraw")):
        error = assert_error(await act(api, account, mid, action), 409, "conflict")
        assert error["state"] == "declined"
    [told] = await notifications_of(api, mentee)
    assert told["data"]["event"] == "declined"
    assert told["data"]["reason"] == "I am away this month"

    withdrawn = await requested(api, mentee, mentor)
    assert (await act(api, mentee, withdrawn["id"], "withdraw")).json["state"] == "withdrawn"
    error = assert_error(await act(api, mentor, withdrawn["id"], "accept"), 409, "conflict")
    assert error["state"] == "withdrawn"

    ended = await accepted(api, mentee, mentor)
    assert_error(await act(api, mentor, ended["id"], "withdraw"), 403, "forbidden")
    assert_error(await ask(api, mentee, mentor), 409, "conflict")  # already their mentor
    finished = await act(api, mentor, ended["id"], "end", reason="Moving abroad")
    assert finished.json["state"] == "ended" and finished.json["reason"] == "Moving abroad"
    for account, action in ((mentee, "complete"), (mentee, "end"), (mentor, "accept")):
        error = assert_error(await act(api, account, ended["id"], action), 409, "conflict")
        assert error["state"] == "ended"

    bad = await act(api, mentor, (await requested(api, mentee, mentor))["id"], "decline", reason=5)
    assert assert_error(bad, 400, "validation_error")["fields"]["reason"]
    assert_error(await ask(api, mentee, mentee), 400, "validation_error")
    missing = await ask(api, mentee, mentor, goals=[])
    assert "goals" in assert_error(missing, 400, "validation_error")["fields"]


async def test_people_outside_a_mentorship_get_404_everywhere(api: ApiClient):
    mentor = await make_mentor(api)
    mentee, stranger = await api.register("Sam"), await api.register("Eve")
    mentorship = await accepted(api, mentee, mentor)
    mid = mentorship["id"]
    goal = (await api.get(f"/api/mentorships/{mid}", token=mentee.access)).json["goals"][0]
    token = stranger.access
    calls = [
        api.get(f"/api/mentorships/{mid}", token=token),
        api.get(f"/api/mentorships/{mid}/goals/", token=token),
        api.post(f"/api/mentorships/{mid}/goals/", {"text": "mine"}, token=token),
        api.patch(f"/api/goals/{goal['id']}", {"done": True}, token=token),
        api.get(f"/api/mentorships/{mid}/sessions/", token=token),
        api.post(
            f"/api/mentorships/{mid}/sessions/",
            {"start": "2030-01-01T10:00:00Z", "minutes": 30},
            token=token,
        ),
        api.patch(
            f"/api/mentorships/{mid}/sessions/{goal['id']}",
            {"start": "2030-01-01T10:00:00Z", "minutes": 30},
            token=token,
        ),
        api.delete(f"/api/mentorships/{mid}/sessions/{goal['id']}", token=token),
        api.put(f"/api/mentorships/{mid}/review", {"rating": 5, "text": "x"}, token=token),
        api.put(f"/api/mentorships/{mid}/review/reply", {"text": "x"}, token=token),
        *(api.post(f"/api/mentorships/{mid}/{a}", token=token) for a in ("accept", "end")),
    ]
    for response in await asyncio.gather(*calls):
        assert_error(response, 404, "not_found")
    listed = await api.get("/api/mentorships/", token=token)
    assert listed.json["results"] == []


async def test_capacity_is_enforced_shown_and_given_back(api: ApiClient):
    mentor = await make_mentor(api, "Marie", max_mentees=1)
    first, second = await api.register("Sam"), await api.register("Ana")
    one = await requested(api, first, mentor)
    two = await requested(api, second, mentor)
    assert (await act(api, mentor, one["id"], "accept")).status == 200
    full = assert_error(await act(api, mentor, two["id"], "accept"), 409, "at_capacity")
    assert "places" in full["message"]
    shown = await profile_of(api, mentor)
    assert shown["full"] is True and await capacity_of(api, mentor) == (1, 1)
    assert "mentee_count" not in shown
    available = await api.get("/api/mentors/?available=true")
    assert mentor.id not in [m["id"] for m in available.json["results"]]
    everyone = await api.get("/api/mentors/")
    assert mentor.id in [m["id"] for m in everyone.json["results"]]
    refused = assert_error(await ask(api, await api.register(), mentor), 409, "at_capacity")
    assert "full" in refused["message"]

    # Raising the capacity opens a place at once; finishing gives one back.
    raised = await api.put(
        "/api/me/mentor-profile",
        {**PROFILE, "max_mentees": 2},
        token=mentor.access,
    )
    assert raised.json["mentor"]["full"] is False
    assert (await act(api, mentor, two["id"], "accept")).status == 200
    assert (await profile_of(api, mentor))["full"] is True
    assert (await act(api, first, one["id"], "complete")).status == 200
    shown = await profile_of(api, mentor)
    assert shown["full"] is False and await capacity_of(api, mentor) == (1, 2)


async def test_twenty_racing_accepts_for_the_last_place_make_one_mentorship(api: ApiClient):
    mentor = await make_mentor(api, "Marie", max_mentees=1)
    mentees = await asyncio.gather(*(api.register() for _ in range(20)))
    requests = [await requested(api, mentee, mentor) for mentee in mentees]
    answers = await asyncio.gather(*(act(api, mentor, r["id"], "accept") for r in requests))
    statuses = sorted(r.status for r in answers)
    assert statuses == [200] + [409] * 19, statuses
    assert {r.error_code for r in answers if r.status == 409} == {"at_capacity"}
    shown = await profile_of(api, mentor)
    assert await capacity_of(api, mentor) == (1, 1) and shown["full"] is True
    current = await api.get("/api/mentorships/?role=mentor&state=accepted", token=mentor.access)
    assert len(current.json["results"]) == 1


async def test_a_transition_raced_twice_happens_once(api: ApiClient):
    mentor = await make_mentor(api)
    mentee = await api.register()
    for _ in range(3):
        mentorship = await requested(api, mentee, mentor)
        answers = await asyncio.gather(
            act(api, mentor, mentorship["id"], "accept"),
            act(api, mentor, mentorship["id"], "decline"),
            act(api, mentee, mentorship["id"], "withdraw"),
        )
        assert sorted(r.status for r in answers) == [200, 409, 409], answers
        won = next(r.json for r in answers if r.status == 200)
        for lost in (r for r in answers if r.status == 409):
            assert lost.json["error"]["state"] == won["state"]
        if won["state"] == "accepted":
            await act(api, mentor, mentorship["id"], "end")
    assert (await capacity_of(api, mentor))[0] == 0


async def test_a_mentee_has_at_most_three_requests_waiting(api: ApiClient):
    mentors = [await make_mentor(api) for _ in range(4)]
    mentee = await api.register()
    for mentor in mentors[:3]:
        await requested(api, mentee, mentor)
    assert_error(await ask(api, mentee, mentors[0]), 409, "pending_limit")
    other = await api.register()
    waiting = await requested(api, other, mentors[0])
    repeat = assert_error(await ask(api, other, mentors[0]), 409, "conflict")
    assert repeat["mentorship_id"] == waiting["id"]
    assert_error(await ask(api, mentee, mentors[3]), 409, "pending_limit")


async def test_an_unanswered_request_expires_with_other_mentors_suggested(api: ApiClient):
    mentor = await make_mentor(api, "Marie", specialties=["Rust"])
    similar = await make_mentor(api, "Rui", specialties=["Rust", "Go"], headline="Systems")
    await make_mentor(api, "Other", specialties=["Design"])
    mentee = await api.register("Sam")
    mentorship = await requested(api, mentee, mentor)
    clock.advance(7 * DAY - 60)
    await settle(api)()
    fresh = await api.get(f"/api/mentorships/{mentorship['id']}", token=mentee.access)
    assert fresh.json["state"] == "pending"
    clock.advance(120)
    await settle(api)()
    expired = (await api.get(f"/api/mentorships/{mentorship['id']}", token=mentee.access)).json
    assert expired["state"] == "expired" and expired["expires_at"] is None
    assert [s["id"] for s in expired["suggestions"]] == [similar.id]
    assert expired["suggestions"][0]["headline"] == "Systems"
    told = await notifications_of(api, mentee)
    assert told[0]["data"]["event"] == "expired"
    assert told[0]["data"]["suggestions"][0]["id"] == similar.id
    assert_error(await act(api, mentor, mentorship["id"], "accept"), 409, "conflict")
    # The expiry counts against the mentor's answered share.
    responsiveness = (await profile_of(api, mentor))["responsiveness"]
    assert responsiveness["requests"] == 1 and responsiveness["answered_share"] is None


async def test_responsiveness_is_measured_from_a_scripted_history(api: ApiClient):
    mentor = await make_mentor(api, "Marie")
    quick = await make_mentor(api, "Quick")
    mentees = [await api.register(f"Mentee {i}") for i in range(4)]
    requests = [await requested(api, mentee, mentor) for mentee in mentees[:3]]
    # Answered after 1, 2 and 4 hours.
    for hours, mentorship, action in zip(
        (1, 1, 2), requests, ("accept", "decline", "accept"), strict=True
    ):
        clock.advance(hours * 3600)
        assert (await act(api, mentor, mentorship["id"], action)).status == 200
    shown = (await profile_of(api, mentor))["responsiveness"]
    assert shown["requests"] == 3 and shown["answered_share"] == 1.0
    assert shown["answer_median_seconds"] == 2 * 3600
    # A fourth request expires: 3 of 4 answered.
    await requested(api, mentees[3], mentor)
    clock.advance(8 * DAY)
    await settle(api)()
    shown = (await profile_of(api, mentor))["responsiveness"]
    assert shown["requests"] == 4 and shown["answered_share"] == 0.75

    # First replies to first messages: 10 minutes, 1 hour, 3 hours.
    assert shown["reply_median_seconds"] is None
    writers = [await api.register() for _ in range(3)]
    for minutes, writer in zip((10, 60, 180), writers, strict=True):
        cid = (await open_direct(api, writer, mentor, message={"body": "hi", "client_id": "a"}))[
            "id"
        ]
        clock.advance(minutes * 60)
        await send(api, mentor, cid, "hello!")
        clock.advance(60)
        await send(api, mentor, cid, "a second reply does not count")
    shown = (await profile_of(api, mentor))["responsiveness"]
    assert shown["replies"] == 3 and shown["reply_median_seconds"] == 3600

    # The directory sorts by it; a mentor below 3 samples comes after.
    ranked = await api.get("/api/mentors/?sort=responsive")
    order = [m["id"] for m in ranked.json["results"]]
    assert order.index(mentor.id) < order.index(quick.id)
    # Samples older than 90 days leave the figures at the next event.
    clock.advance(91 * DAY)
    await requested(api, await api.register(), mentor)
    clock.advance(8 * DAY)
    await settle(api)()
    shown = (await profile_of(api, mentor))["responsiveness"]
    assert shown["requests"] == 1 and shown["answered_share"] is None


async def test_goals_are_added_and_ticked_off_by_either_side(api: ApiClient):
    mentor = await make_mentor(api)
    mentee = await api.register()
    mentorship = await accepted(api, mentee, mentor)
    mid = mentorship["id"]
    added = await api.post(f"/api/mentorships/{mid}/goals/", {"text": "Ship"}, token=mentor.access)
    assert added.status == 201 and added.json["added_by"] == mentor.id
    ticked = await api.patch(f"/api/goals/{added.json['id']}", {"done": True}, token=mentee.access)
    assert ticked.json["done"] is True and ticked.json["done_by"] == mentee.id
    assert ticked.json["done_at"]
    unticked = await api.patch(
        f"/api/goals/{added.json['id']}", {"done": False, "text": "Ship v2"}, token=mentor.access
    )
    assert unticked.json["done"] is False and unticked.json["done_by"] is None
    assert unticked.json["text"] == "Ship v2"
    listed = await api.get(f"/api/mentorships/{mid}/goals/", token=mentee.access)
    assert [g["text"] for g in listed.json["results"]] == ["Find a first job", "Ship v2"]
    bad = await api.post(f"/api/mentorships/{mid}/goals/", {"text": ""}, token=mentee.access)
    assert "text" in assert_error(bad, 400, "validation_error")["fields"]
    bad = await api.patch(f"/api/goals/{added.json['id']}", {"done": "yes"}, token=mentee.access)
    assert "done" in assert_error(bad, 400, "validation_error")["fields"]
    await act(api, mentee, mid, "complete")
    closed = await api.post(f"/api/mentorships/{mid}/goals/", {"text": "x"}, token=mentee.access)
    assert assert_error(closed, 409, "conflict")["state"] == "completed"


async def test_reviews_once_editable_for_two_weeks_answered_once_and_rated_from_three(
    api: ApiClient,
):
    mentor = await make_mentor(api, "Marie")
    mentees = [await api.register(f"Mentee {i}") for i in range(3)]
    mentorships = [await accepted(api, mentee, mentor) for mentee in mentees]
    first = mentorships[0]["id"]
    url = f"/api/mentorships/{first}/review"
    early = await api.put(url, {"rating": 5, "text": "Great"}, token=mentees[0].access)
    assert_error(early, 409, "conflict")
    await act(api, mentees[0], first, "complete")
    assert_error(
        await api.put(url, {"rating": 5, "text": "x"}, token=mentor.access), 403, "forbidden"
    )
    for rating in (0, 6, "5", 4.5):
        bad = await api.put(url, {"rating": rating, "text": "x"}, token=mentees[0].access)
        assert "rating" in assert_error(bad, 400, "validation_error")["fields"], rating
    written = await api.put(url, {"rating": 3, "text": "Good"}, token=mentees[0].access)
    assert written.status == 201 and written.json["rating"] == 3
    edited = await api.put(url, {"rating": 5, "text": "Great"}, token=mentees[0].access)
    assert edited.status == 200 and edited.json["id"] == written.json["id"]
    assert (await profile_of(api, mentor))["rating"] == {"average": None, "count": 1}

    reply_url = f"{url}/reply"
    assert_error(await api.put(reply_url, {"text": "x"}, token=mentees[0].access), 403, "forbidden")
    replied = await api.put(reply_url, {"text": "Thank you!"}, token=mentor.access)
    assert replied.json["reply"]["text"] == "Thank you!"
    assert_error(await api.put(reply_url, {"text": "again"}, token=mentor.access), 409, "conflict")

    for mentee, mentorship, rating in zip(mentees[1:], mentorships[1:], (4, 3), strict=True):
        await act(api, mentor, mentorship["id"], "complete")
        response = await api.put(
            f"/api/mentorships/{mentorship['id']}/review",
            {"rating": rating, "text": "Fine"},
            token=mentee.access,
        )
        assert response.status == 201
    assert (await profile_of(api, mentor))["rating"] == {"average": 4.0, "count": 3}
    listed = await api.get(f"/api/mentors/{mentor.id}/reviews/?limit=2")
    assert [r["rating"] for r in listed.json["results"]] == [3, 4]
    rest = await api.get(f"/api/mentors/{mentor.id}/reviews/?cursor={listed.json['next_cursor']}")
    assert [r["text"] for r in rest.json["results"]] == ["Great"]
    assert rest.json["results"][0]["mentee"]["display_name"] == "Mentee 0"

    clock.advance(15 * DAY)
    late = await api.put(url, {"rating": 1, "text": "Changed"}, token=mentees[0].access)
    assert_error(late, 409, "conflict")

    # A reported review a moderator hides leaves the rating and loses its text.
    moderator = await api.register("Mod")
    await make_staff(api, moderator)
    reporter = await api.register()
    review_id = written.json["id"]
    assert (await report(api, reporter, "review", review_id)).status == 201
    assert (await moderate(api, moderator, "hide", "review", review_id)).status == 201
    assert (await profile_of(api, mentor))["rating"] == {"average": None, "count": 2}
    shown = (await api.get(f"/api/mentors/{mentor.id}/reviews/")).json["results"]
    hidden = next(r for r in shown if r["id"] == review_id)
    assert hidden["hidden"] is True and hidden["text"] == "" and hidden["reply"] is None


async def test_a_deleted_account_closes_its_mentorships_and_its_export_holds_them(api: ApiClient):
    mentor = await make_mentor(api, "Marie")
    mentee, waiting = await api.register("Sam"), await api.register("Ana")
    current = await accepted(api, mentee, mentor)
    pending = await requested(api, waiting, mentor)
    hours = {"time_zone": "UTC", "weekly": [{"weekday": 0, "start": "09:00", "end": "12:00"}]}
    assert (await api.put("/api/me/availability", hours, token=mentor.access)).status == 200
    session = await api.post(
        f"/api/mentorships/{current['id']}/sessions/",
        {"start": "2030-01-07T10:00:00Z", "minutes": 30},
        token=mentee.access,
    )
    assert session.status == 201

    # The mentee's export holds the mentorship, the goal they added, the session; never the
    # mentor's address.
    services = api.server.services
    user = await services.db.users.find_one({"_id": ObjectId(mentee.id)})
    exported = await services.exports.collect(user)
    assert [m["_id"] for m in exported["mentorships"]] == [ObjectId(current["id"])]
    assert [g["text"] for g in exported["goals"]] == ["Find a first job"]
    assert [s["start"].isoformat() for s in exported["sessions"]] == ["2030-01-07T10:00:00+00:00"]
    assert mentor.email not in str(exported)

    deleted = await api.request(
        "DELETE", "/api/me", {"password": mentor.password}, token=mentor.access
    )
    assert deleted.status == 204, deleted
    ended = (await api.get(f"/api/mentorships/{current['id']}", token=mentee.access)).json
    assert ended["state"] == "ended" and ended["reason"] == "The account was deleted."
    assert [s["state"] for s in ended["sessions"]] == ["cancelled"]
    declined = (await api.get(f"/api/mentorships/{pending['id']}", token=waiting.access)).json
    assert declined["state"] == "declined"
    told = await notifications_of(api, waiting)
    assert told[0]["data"]["event"] == "declined"
    # The mentee may ask someone else at once: nothing of theirs is left waiting.
    assert (await ask(api, waiting, await make_mentor(api))).status == 201
