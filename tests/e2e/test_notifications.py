"""The bell: a new message raises the other person's unread count live; opening the
notification goes to the conversation and clears it; "mark all read" clears the rest."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.client import PASSWORD
from tests.e2e.conftest import MODULE_LOOP, WebServer
from tests.helpers import PROFILE

pytestmark = MODULE_LOOP


async def test_a_new_message_raises_the_bell_live_and_opening_it_clears_it(
    people, web_server: WebServer
):
    mentor = await web_server.api.register("Noor Haddad", role="mentor")
    listed = await web_server.api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)
    assert listed.status == 200, listed
    sender, receiver = await people(), await people()
    writer = await sender.sign_in("mentee6@demo.hypee.dev")
    await receiver.sign_in(mentor.email, PASSWORD)
    await receiver.goto("/questions")
    bell = receiver.page.get_by_role("link", name=re.compile("^Notifications"))
    await expect(bell).to_have_accessible_name("Notifications")
    await expect(receiver.page.get_by_test_id("bell-count")).to_have_count(0)

    await sender.goto(f"/mentors/{mentor.id}")
    await sender.page.get_by_role("link", name="Send a message").click()
    composer = sender.page.get_by_label("Write a message")
    await composer.fill("Hello Noor, do you have time this week?")
    await composer.press("Enter")
    await expect(sender.page).to_have_url(re.compile(r"/chat/[0-9a-f]{24}$"))
    conversation_path = sender.page.url.removeprefix(web_server.url)

    # Live, without a reload: "a conversation was opened with you", then the message.
    count = receiver.page.get_by_test_id("bell-count")
    await expect(count).to_have_text("2")
    await expect(bell).to_have_accessible_name("Notifications, 2 unread")

    await bell.click()
    await expect(receiver.page).to_have_url(re.compile(r"/notifications$"))
    notification = receiver.page.get_by_test_id("notification").filter(
        has_text=f"{writer['display_name']} sent you a message"
    )
    await expect(notification).to_have_count(1)
    opened = f"{writer['display_name']} started a conversation with you"
    listed = receiver.page.get_by_test_id("notification")
    await expect(listed.filter(has_text=opened)).to_be_visible()
    await notification.click()
    await expect(receiver.page).to_have_url(re.compile(re.escape(conversation_path) + "$"))
    await expect(
        receiver.page.get_by_test_id("message").filter(has_text="do you have time")
    ).to_be_visible()
    await expect(count).to_have_count(0)

    # Two more kinds, then "mark all read" clears them at once.
    mentee = await web_server.login("mentee6@demo.hypee.dev")
    question = await web_server.api.post(
        "/api/questions/",
        {"title": "Which books on negotiation do you like?", "body": "Any?", "tags": []},
        token=mentor.access,
    )
    assert question.status == 201, question
    answered = await web_server.api.post(
        "/api/answers/",
        {"question_id": question.json["id"], "body": "Never split the difference."},
        token=mentee.access,
    )
    assert answered.status == 201, answered
    await expect(count).to_have_text("1")
    await bell.click()
    await expect(receiver.page.get_by_text("Which books on negotiation")).to_be_visible()
    await receiver.page.get_by_role("button", name="Mark all read").click()
    await expect(count).to_have_count(0)
    await expect(receiver.page.get_by_role("button", name="Mark all read")).to_have_count(0)
