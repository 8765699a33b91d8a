"""A mentorship in the browser, two people in two time zones: a mentee in Paris requests, the
mentor in New York accepts live, the mentee books a slot shown in Paris time, the mentor sees
the session card in New York time; after completing, the mentee reviews and the mentor's
profile shows it."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from playwright.async_api import expect

from tests.e2e.conftest import MODULE_LOOP, PHONE, WebServer
from tests.helpers import PROFILE

pytestmark = MODULE_LOOP
MENTEE, MENTOR = "mentee2@demo.hypee.dev", "mentor2@demo.hypee.dev"
PARIS, NEW_YORK = "Europe/Paris", "America/New_York"


def local_clock(iso: str, zone: str) -> str:
    """`iso` in `zone` as the app shows a time in American English ("03:00 PM")."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%I:%M %p").lstrip("0")


async def test_request_accept_book_complete_and_review(people, web_server: WebServer):
    # The mentor takes mentees, in New York's hours.
    api = web_server.api
    mentor_account = await web_server.login(MENTOR)
    listed = await api.put(
        "/api/me/mentor-profile",
        {**PROFILE, "available": True, "meeting_url": "https://meet.example.com/mentor2"},
        token=mentor_account.access,
    )
    assert listed.status == 200, listed
    hours = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]
    body = {"time_zone": NEW_YORK, "weekly": hours}
    assert (await api.put("/api/me/availability", body, token=mentor_account.access)).status == 200
    mentor_id = mentor_account.id

    mentee = await people(timezone_id=PARIS)
    mentor = await people(timezone_id=NEW_YORK)
    await mentee.sign_in(MENTEE)
    await mentor.sign_in(MENTOR)

    # The mentee asks from the mentor's profile.
    await mentee.goto(f"/mentors/{mentor_id}")
    await mentee.page.get_by_role("button", name="Request mentorship").click()
    dialog = mentee.page.get_by_role("dialog", name=re.compile("to mentor you"))
    await dialog.get_by_label("Your goals, one per line").fill(
        "Prepare for interviews\nLearn system design"
    )
    await dialog.get_by_label("A note for the mentor (optional)").fill("I am a junior developer.")
    assert await mentee.accessibility_violations() == []
    await mentee.screenshot("mentorship-request-desktop")
    await dialog.get_by_role("button", name="Send my request").click()
    await expect(mentee.page).to_have_url(re.compile(r"/mentorships/[0-9a-f]{24}$"))
    state = mentee.page.get_by_test_id("mentorship-state")
    await expect(state).to_have_text("Waiting for an answer")

    # The mentor accepts from the incoming requests; the mentee's page follows live.
    await mentor.page.get_by_role("link", name="Mentorships").click()
    await mentor.page.get_by_role("tab", name="Incoming").click()
    card = mentor.page.get_by_test_id("mentorship-card").filter(has_text="I am a junior developer")
    await expect(card).to_be_visible()
    assert await mentor.accessibility_violations() == []
    await mentor.screenshot("mentorships-incoming-desktop")
    await card.get_by_role("button", name="Accept").click()
    await expect(state).to_have_text("Under way")

    # The mentee books a slot, shown in Paris time.
    mentorship_id = mentee.page.url.rsplit("/", 1)[-1]
    await expect(mentee.page.get_by_text(f"in your time zone ({PARIS})")).to_be_visible()
    first = mentee.page.locator(".slot").first
    shown = (await first.inner_text()).strip()
    slots = await api.get(f"/api/mentors/{mentor_id}/slots/?minutes=30")
    expected = [local_clock(slot["start"], PARIS) for slot in slots.json["results"]]
    assert shown in expected, (shown, expected[:5])
    await first.click()
    await mentee.page.get_by_role("button", name="Book this time").click()
    sessions = mentee.page.get_by_role("region", name="Sessions")
    await expect(sessions.locator("li")).to_have_count(1)
    assert await mentee.accessibility_violations() == []
    await mentee.page.evaluate("window.scrollTo(0, 0)")
    await mentee.screenshot("mentorship-booked-desktop")
    booked = await api.get(
        f"/api/mentorships/{mentorship_id}/sessions/", token=mentor_account.access
    )
    [session] = booked.json["results"]
    assert local_clock(session["start"], PARIS) == shown

    # The mentor sees the session card in the conversation, in New York time.
    await mentor.goto(f"/mentorships/{mentorship_id}")
    await mentor.page.get_by_role("link", name="Open the conversation").click()
    await expect(mentor.page.get_by_role("link", name="Book a session")).to_be_visible()
    session_card = mentor.page.get_by_test_id("session-card").last
    await expect(session_card).to_contain_text("Session booked")
    await expect(session_card).to_contain_text(local_clock(session["start"], NEW_YORK))
    await expect(session_card.get_by_role("link", name="Join the call")).to_have_attribute(
        "href", "https://meet.example.com/mentor2"
    )
    await mentor.screenshot("session-card-desktop")

    # Completed, the mentee reviews; the profile shows it.
    await mentee.page.get_by_role("button", name="Mark completed").click()
    await expect(state).to_have_text("Completed")
    form = mentee.page.locator(".review-form")
    await form.get_by_label("5").check()
    await form.get_by_label("Your review").fill("Clear, kind and practical advice.")
    await form.get_by_role("button", name="Publish my review").click()
    await expect(mentee.page.locator(".review")).to_contain_text("Clear, kind and practical")
    await mentee.goto(f"/mentors/{mentor_id}")
    reviews = mentee.page.get_by_test_id("reviews")
    await expect(reviews).to_contain_text("Clear, kind and practical advice.")
    assert await mentee.accessibility_violations() == []
    await mentee.screenshot("mentor-profile-reviews-desktop")

    # The same pages on a phone.
    phone = await people(viewport=PHONE, timezone_id=PARIS)
    await phone.sign_in(MENTEE)
    await phone.goto(f"/mentorships/{mentorship_id}")
    await expect(phone.page.get_by_test_id("mentorship-state")).to_have_text("Completed")
    assert await phone.accessibility_violations() == []
    await phone.screenshot("mentorship-phone")
    await phone.goto("/mentorships?tab=past")
    await expect(phone.page.get_by_test_id("mentorship-card")).to_have_count(1)
    await phone.screenshot("mentorships-phone")

    # In French, on the mentor's side.
    french = await people(viewport=PHONE, timezone_id=NEW_YORK)
    await french.sign_in(MENTOR)
    await french.page.locator("select#language").select_option(label="Français")
    await french.goto(f"/mentorships/{mentorship_id}")
    await expect(french.page.get_by_test_id("mentorship-state")).to_have_text("Terminé")
    await expect(
        french.page.get_by_role("heading", name=re.compile("^Mentorat de"))
    ).to_be_visible()
    assert await french.accessibility_violations() == []
    await french.screenshot("mentorship-phone-fr")


async def test_a_mentor_sets_hours_on_their_profile_page(people, web_server: WebServer):
    mentor = await people(timezone_id=NEW_YORK)
    await mentor.sign_in("mentor3@demo.hypee.dev")
    await mentor.goto("/me")
    editor = mentor.page.locator("form.availability")
    await expect(editor.get_by_role("heading", name="When you can meet")).to_be_visible()
    await editor.get_by_role("button", name="Add hours").click()
    rows = editor.locator(".hours-row")
    count = await rows.count()
    await rows.nth(count - 1).get_by_label("Day").select_option(label="Saturday")
    await editor.get_by_role("button", name="Save my hours").click()
    await expect(editor.get_by_role("button", name="Saved")).to_be_visible()
    assert await mentor.accessibility_violations() == []
    await mentor.screenshot("availability-desktop")
