"""Steps the mentorship tests share: listing a mentor, asking, answering, availability."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.client import Account, ApiClient, Response
from tests.helpers import PROFILE

# Every day, 09:00-12:00 local.
MORNINGS = [{"weekday": day, "start": "09:00", "end": "12:00"} for day in range(7)]


async def make_mentor(api: ApiClient, name: str = "Mentor", **profile) -> Account:
    mentor = await api.register(name)
    response = await api.put("/api/me/mentor-profile", {**PROFILE, **profile}, token=mentor.access)
    assert response.status == 200, response
    return mentor


async def ask(
    api: ApiClient, mentee: Account, mentor: Account, goals: list[str] | None = None, **extra
) -> Response:
    body = {
        "mentor_id": mentor.id,
        "goals": ["Find a first job"] if goals is None else goals,
        **extra,
    }
    return await api.post("/api/mentorships/", body, token=mentee.access)


async def requested(api: ApiClient, mentee: Account, mentor: Account, **extra) -> dict:
    response = await ask(api, mentee, mentor, **extra)
    assert response.status == 201, response
    return response.json


async def act(
    api: ApiClient, account: Account, mentorship_id: str, action: str, **body
) -> Response:
    return await api.post(
        f"/api/mentorships/{mentorship_id}/{action}", body or None, token=account.access
    )


async def accepted(api: ApiClient, mentee: Account, mentor: Account) -> dict:
    """A mentorship of `mentee` with `mentor`, accepted."""
    mentorship = await requested(api, mentee, mentor)
    response = await act(api, mentor, mentorship["id"], "accept")
    assert response.status == 200, response
    return response.json


async def set_hours(
    api: ApiClient, mentor: Account, time_zone: str, weekly=None, days_off=None
) -> Response:
    body = {"time_zone": time_zone, "weekly": MORNINGS if weekly is None else weekly}
    if days_off is not None:
        body["days_off"] = days_off
    return await api.put("/api/me/availability", body, token=mentor.access)


async def slots(
    api: ApiClient, mentor: Account, start: datetime, end: datetime, minutes: int = 30
) -> list[datetime]:
    query = f"from={iso(start)}&to={iso(end)}&minutes={minutes}"
    response = await api.get(f"/api/mentors/{mentor.id}/slots/?{query}")
    assert response.status == 200, response
    return [parse(slot["start"]) for slot in response.json["results"]]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def book(
    api: ApiClient, mentee: Account, mentorship_id: str, start: datetime, minutes: int = 30
) -> Response:
    return await api.post(
        f"/api/mentorships/{mentorship_id}/sessions/",
        {"start": iso(start), "minutes": minutes},
        token=mentee.access,
    )
