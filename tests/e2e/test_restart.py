"""The server restarts (SIGTERM, then started again) while two people have the chat open:
both reconnect by themselves, and nothing is lost or duplicated, including a message written
while the server was down."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.chat import eventually, open_chat, send, shown, stored, wait_online
from tests.e2e.conftest import MODULE_LOOP, WebServer

pytestmark = MODULE_LOOP
EMAIL = "mentee1@demo.hypee.dev"


async def test_both_reconnect_after_a_restart_and_every_message_is_shown_once(
    people, web_server: WebServer
):
    mentee, mentor, conversation_id, _, _ = await open_chat(
        people, web_server, EMAIL, "mentor40@demo.hypee.dev"
    )
    await send(mentee.page, "before the restart")
    await send(mentor.page, "me too, before")
    await expect(mentee.page.get_by_test_id("message")).to_have_count(2)

    assert await web_server.process.stop() == 0
    for person in (mentee, mentor):
        await expect(person.page.locator("html[data-realtime='online']")).to_have_count(0)
    await send(mentee.page, "written while the server was down")
    await web_server.process.start()

    for person in (mentee, mentor):
        await wait_online(person.page)
    waited = mentee.page.get_by_test_id("message").filter(has_text="while the server was down")
    await expect(waited).not_to_have_class(re.compile("pending"))  # the outbox was sent
    await send(mentor.page, "after the restart")
    expected = [
        "before the restart",
        "me too, before",
        "written while the server was down",
        "after the restart",
    ]

    async def bodies() -> list[str | None]:
        return [m["body"] for m in await stored(web_server, conversation_id, EMAIL)]

    await eventually(bodies, expected)
    history = await stored(web_server, conversation_id, EMAIL)
    assert [m["seq"] for m in history] == [1, 2, 3, 4]
    for person in (mentee, mentor):
        await eventually(lambda p=person: shown(p.page), history)
