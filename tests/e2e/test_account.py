"""Account flows in the browser, with emails read from a real SMTP server on loopback: a
forgotten password end to end, verifying the address from the banner, and quiet hours set on
the settings page holding emails back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, MODULE_LOOP, PHONE, WebServer, demo_server
from tests.helpers import answer, ask, open_direct, send
from tests.mailbox import Mailbox, link_in

pytestmark = MODULE_LOOP
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web_server(tmp_path_factory, mailbox: Mailbox) -> AsyncIterator[WebServer]:
    """The demo server of the other browser tests, sending its emails to `mailbox`, with a
    one-second missed-message delay."""
    async with demo_server(
        tmp_path_factory.mktemp("web-account"),
        HYPEE_SMTP_URL=mailbox.url,
        HYPEE_MISSED_MESSAGE_DELAY_SECONDS="1",
        HYPEE_DUE_WORK_POLL_SECONDS="1",
    ) as server:
        yield server


async def test_a_forgotten_password_is_reset_from_the_email_and_signs_out_everywhere(
    people, web_server: WebServer, mailbox: Mailbox
):
    email = "mentee3@demo.hypee.dev"
    elsewhere = await people()
    await elsewhere.sign_in(email)
    await elsewhere.goto("/chat")
    person = await people(viewport=PHONE)
    await person.goto("/login")
    await person.page.get_by_role("link", name="Forgot your password?").click()
    await expect(person.page).to_have_url(re.compile(r"/forgot-password$"))
    await person.page.get_by_label("Email").fill(email)
    await person.page.get_by_role("button", name="Email me a link").click()
    await expect(person.page.get_by_role("status")).to_contain_text("a link is on its way")
    [reset_email] = await mailbox.wait_for(email, timeout=15)
    await person.goto(f"/reset-password?token={link_in(reset_email, '/reset-password')}")
    await person.page.get_by_label("New password").fill(NEW_PASSWORD)
    await person.page.get_by_role("button", name="Set my password").click()
    await expect(person.page.get_by_role("status")).to_contain_text("Your password is changed")
    await person.screenshot("reset-password-done-phone")
    # The other browser's login ended: its socket was closed, its refresh refused.
    await expect(elsewhere.page).to_have_url(re.compile(r"/login"), timeout=15_000)
    await person.sign_in(email, NEW_PASSWORD)
    changed = await mailbox.wait_for(email, 2, timeout=15)
    assert changed[1]["Subject"] == "Your Hypee password was changed"


async def test_a_new_account_verifies_its_address_from_the_banner(
    people, web_server: WebServer, mailbox: Mailbox
):
    person = await people()
    await person.goto("/register")
    await person.page.get_by_label("Display name").fill("Banner Test")
    await person.page.get_by_label("Email").fill("banner@example.com")
    await person.page.get_by_label("Password").fill(DEMO_PASSWORD)
    await person.page.get_by_role("button", name="Create my account").click()
    banner = person.page.get_by_role("region", name="Email address")
    await expect(banner).to_contain_text("we sent a link to banner@example.com")
    assert await person.accessibility_violations() == []
    await banner.get_by_role("button", name="Send a new link").click()
    await expect(banner.get_by_role("status")).to_have_text("Sent: check your inbox.")
    [_, fresh] = await mailbox.wait_for("banner@example.com", 2, timeout=15)
    await person.goto(f"/verify-email?token={link_in(fresh, '/verify-email')}")
    await expect(person.page.get_by_role("status")).to_have_text(
        "Thank you: your address is confirmed."
    )
    await expect(banner).to_have_count(0)
    await person.goto("/settings")
    await expect(person.page.get_by_text("confirmed", exact=True)).to_be_visible()


async def test_quiet_hours_saved_on_the_settings_page_hold_emails_back(
    people, web_server: WebServer, mailbox: Mailbox
):
    email = "mentee4@demo.hypee.dev"
    person = await people()
    await person.sign_in(email)
    account = await web_server.login(email)
    await person.goto("/settings")
    await person.page.get_by_label("Time zone").select_option("UTC")
    quiet = person.page.get_by_role("group", name="Quiet hours")
    await quiet.get_by_role("checkbox").check()
    now = datetime.now(UTC)
    start, end = (f"{(now + timedelta(hours=h)):%H:%M}" for h in (-1, 2))
    await quiet.get_by_label("From").fill(start)
    await quiet.get_by_label("Until").fill(end)
    await person.page.get_by_role("button", name="Save").click()
    await expect(person.page.get_by_role("status")).to_have_text("Saved")
    await person.screenshot("settings-desktop")
    await person.page.reload()
    await expect(quiet.get_by_label("From")).to_have_value(start)
    saved = (await web_server.api.get("/api/me/notification-settings", token=account.access)).json
    assert saved["quiet_hours"] == {"start": start, "end": end}
    # Away (the page closed), with a verified demo address: a message would be emailed after
    # one second, but the quiet hours hold it.
    await person.goto("about:blank")
    mentor = await web_server.login("mentor2@demo.hypee.dev")
    conversation = await open_direct(web_server.api, mentor, account)
    assert (await send(web_server.api, mentor, conversation["id"], "see you soon")).status == 201
    await asyncio.sleep(3)
    assert [m["Subject"] for m in mailbox.to(email)] == []


async def test_the_unsubscribe_link_of_an_email_turns_that_kind_off(
    people, web_server: WebServer, mailbox: Mailbox
):
    email = "mentee5@demo.hypee.dev"
    asker, mentor = await web_server.login(email), await web_server.login("mentor3@demo.hypee.dev")
    question = await ask(web_server.api, asker, title="How do I prepare a first interview?")
    await answer(web_server.api, mentor, question["id"], body="Practise out loud.")
    [answered] = await mailbox.wait_for(email, timeout=15)
    person = await people(viewport=PHONE, locale="fr-FR")
    await person.goto(f"/unsubscribe?token={link_in(answered, '/unsubscribe')}")
    await person.page.get_by_role("button", name="Ne plus recevoir ces e-mails").click()
    await expect(person.page.get_by_role("status")).to_have_text(
        "C'est fait : plus d'e-mails sur le forum."
    )
    settings = await web_server.api.get("/api/me/notification-settings", token=asker.access)
    assert settings.json["email"] == {"messages": True, "forum": False, "mentorship": True}
