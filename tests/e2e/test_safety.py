"""Safety in the browser: a report that a moderator acts on, blocking from a conversation, and
deleting an account from the settings."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.chat import open_chat, send, wait_online
from tests.e2e.conftest import MODULE_LOOP, PHONE, WebServer

pytestmark = MODULE_LOOP
MODERATOR = "moderator@demo.hypee.dev"


async def test_a_reported_message_hidden_by_a_moderator_shows_removed_on_both_sides(
    people, web_server: WebServer
):
    mentee, mentor, conversation_id, _, _ = await open_chat(
        people, web_server, "mentee1@demo.hypee.dev", "mentor1@demo.hypee.dev"
    )
    await send(mentor.page, "buy my course at a discount, click here")
    offending = mentee.page.locator("[data-testid=message]", has_text="buy my course")
    await expect(offending).to_be_visible()

    # The mentee reports it from the message's actions.
    await offending.focus()
    await offending.get_by_role("button", name="Message actions").click()
    await offending.get_by_role("button", name="Report this message").click()
    dialog = mentee.page.get_by_role("dialog", name="Report a message")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Spam or advertising").check()
    await dialog.get_by_label("Details (optional)").fill("advertising in my chat")
    await mentee.screenshot("report-dialog-desktop")
    await dialog.get_by_role("button", name="Send the report").click()
    await expect(dialog.get_by_role("status")).to_contain_text("a moderator will look at it")
    assert await mentee.accessibility_violations() == []
    await dialog.get_by_role("button", name="Close").click()

    # The moderator finds it in the queue, reads the evidence and hides it.
    moderator = await people()
    await moderator.sign_in(MODERATOR)
    await moderator.page.get_by_role("link", name="Moderation").click()
    await expect(moderator.page).to_have_url(re.compile(r"/moderation"))
    await moderator.page.get_by_role("button", name=re.compile("buy my course")).click()
    case = moderator.page.get_by_role("article", name="Reported content")
    await expect(case.get_by_text("advertising in my chat")).to_be_visible()
    await case.get_by_label("Reason (kept in the audit log)").fill("spam in a private chat")
    await moderator.screenshot("moderation-case-desktop")
    assert await moderator.accessibility_violations() == []
    await case.get_by_role("button", name="Hide it from everyone").click()
    await expect(case.get_by_role("status")).to_have_text("Hidden.")

    # Both open conversations show it removed, without a reload.
    for person in (mentee, mentor):
        removed = person.page.locator("[data-testid=message]", has_text="Removed by a moderator")
        await expect(removed).to_have_count(1)
        await expect(person.page.get_by_text("buy my course")).to_have_count(0)
    await mentee.screenshot("message-removed-desktop")

    # The audit log says who did what.
    await moderator.page.get_by_role("button", name="Audit log").click()
    row = moderator.page.get_by_role("row", name=re.compile("spam in a private chat"))
    await expect(row).to_contain_text("Morgan Reyes")
    assert await moderator.accessibility_violations() == []

    # On a phone, the decided case reads as well.
    phone = await people(viewport=PHONE)
    await phone.sign_in(MODERATOR)
    await phone.goto("/moderation?view=closed")
    await phone.page.get_by_role("button", name=re.compile("buy my course")).click()
    await expect(phone.page.get_by_text("Hidden from everyone.")).to_be_visible()
    await phone.screenshot("moderation-case-phone")
    assert await phone.accessibility_violations() == []
    # The queue of a mentee is not theirs to see.
    await mentee.goto("/moderation")
    await expect(mentee.page).to_have_url(re.compile(r"/mentors$"))
    assert conversation_id


async def test_blocking_from_the_conversation_refuses_the_others_next_send(
    people, web_server: WebServer
):
    mentee, mentor, _, _, them = await open_chat(
        people, web_server, "mentee2@demo.hypee.dev", "mentor2@demo.hypee.dev"
    )
    mentee.page.on("dialog", lambda dialog: dialog.accept())  # the confirmation
    await mentee.page.get_by_role("button", name="Conversation actions").click()
    await mentee.page.get_by_role("button", name=f"Block {them['display_name']}").click()
    notice = mentee.page.get_by_role("status").filter(has_text="You blocked")
    await expect(notice).to_be_visible()
    await expect(mentee.page.get_by_label("Write a message")).to_have_count(0)

    await send(mentor.page, "hello? are you there?")
    refused = mentor.page.locator("[data-testid=message].pending")
    await expect(refused).to_contain_text("you cannot send messages in this conversation")
    await mentor.screenshot("send-refused-blocked-desktop")

    # Unblocking from the notice gives the composer back.
    await notice.get_by_role("button", name=f"Unblock {them['display_name']}").click()
    await expect(mentee.page.get_by_label("Write a message")).to_be_visible()


async def test_deleting_the_account_from_settings_ends_the_session(people, web_server: WebServer):
    person = await people(viewport=PHONE)
    email = "delete-me@example.com"
    password = "a passphrase to forget"
    registered = await web_server.api.post(
        "/api/auth/register", {"email": email, "password": password, "display_name": "Leaving Soon"}
    )
    assert registered.status == 201, registered
    await person.sign_in(email, password)
    await wait_online(person.page)
    await person.goto("/settings")
    danger = person.page.locator("form.danger-zone")
    await expect(danger).to_contain_text("Deleted user")
    await danger.get_by_label("Password").fill(password)
    await person.screenshot("settings-delete-phone")
    assert await person.accessibility_violations() == []
    person.page.on("dialog", lambda dialog: dialog.accept())
    await danger.get_by_role("button", name="Delete my account").click()
    await expect(person.page).to_have_url(re.compile(r"/mentors$"))
    await expect(person.page.get_by_role("link", name="Sign in")).to_be_visible()
    # A reload does not sign back in, and the old password no longer works.
    await person.page.reload()
    await expect(person.page.get_by_role("link", name="Sign in")).to_be_visible()
    login = await web_server.api.post("/api/auth/login", {"email": email, "password": password})
    assert login.status == 401
