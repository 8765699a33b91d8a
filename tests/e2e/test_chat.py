"""Chatting in two browsers: live delivery, typing and "seen"; going offline and back; an image
attached in one and shown inline in the other."""

from __future__ import annotations

import asyncio
import re
import struct
import time
import zlib
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.conftest import MODULE_LOOP, WebServer

pytestmark = MODULE_LOOP


async def open_chat(people, server: WebServer, mentee_email: str, mentor_email: str):
    """A mentee and a mentor, each in a browser of their own, on their direct conversation."""
    mentee, mentor = await people(), await people()
    me = await mentee.sign_in(mentee_email)
    them = await mentor.sign_in(mentor_email)
    account = await server.login(mentee_email)
    created = await server.api.post(
        "/api/conversations/", {"participant_ids": [them["id"]]}, token=account.access
    )
    assert created.status in (200, 201), created
    conversation_id = created.json["id"]
    for person in (mentee, mentor):
        await person.goto(f"/chat/{conversation_id}")
        await expect(person.page.get_by_label("Write a message")).to_be_visible()
    await wait_online(mentee.page)
    await wait_online(mentor.page)
    return mentee, mentor, conversation_id, me, them


async def wait_online(page: Page) -> None:
    await expect(page.locator("html[data-realtime='online']")).to_have_count(1)


async def send(page: Page, text: str) -> None:
    composer = page.get_by_label("Write a message")
    await composer.fill(text)
    await composer.press("Enter")


async def shown(page: Page) -> list[dict[str, Any]]:
    """The messages a page shows, top to bottom."""
    return await page.locator("[data-testid=message]").evaluate_all(
        """items => items.map(item => ({
            seq: item.dataset.seq ? Number(item.dataset.seq) : null,
            body: item.querySelector('.body')?.textContent ?? null,
            deleted: item.classList.contains('deleted'),
            edited: item.querySelector('.edited') !== null,
            pending: item.classList.contains('pending'),
        }))"""
    )


async def eventually(read, expected: Any, timeout: float = 5.0) -> None:
    """Wait until `await read()` equals `expected`; fail with what it last was."""
    deadline = time.monotonic() + timeout
    while (now := await read()) != expected:
        assert time.monotonic() < deadline, f"{now}\n!=\n{expected}"
        await asyncio.sleep(0.1)


async def stored(server: WebServer, conversation_id: str, email: str) -> list[dict[str, Any]]:
    """The whole history as REST gives it, in the shape `shown` reads."""
    account = await server.login(email)
    response = await server.api.get(
        f"/api/conversations/{conversation_id}/messages/?limit=100", token=account.access
    )
    assert response.status == 200, response
    return [
        {
            "seq": m["seq"],
            "body": None if m["deleted"] else m["body"],
            "deleted": m["deleted"],
            "edited": m["edited_at"] is not None and not m["deleted"],
            "pending": False,
        }
        for m in response.json["results"]
        if m["kind"] == "user"
    ]


async def test_a_message_typed_in_one_browser_appears_in_the_other_with_typing_and_seen(
    people, web_server: WebServer
):
    mentee, mentor, _, me, _ = await open_chat(
        people, web_server, "mentee2@demo.hypee.dev", "mentor11@demo.hypee.dev"
    )
    composer = mentee.page.get_by_label("Write a message")
    await composer.fill("I am typing something")
    await expect(mentor.page.get_by_text(f"{me['display_name']} is typing…")).to_be_visible(
        timeout=3000
    )
    await composer.fill("Hi! Are you free on Thursday?")
    started = time.monotonic()
    await composer.press("Enter")
    arrived = mentor.page.get_by_test_id("message").filter(has_text="free on Thursday")
    await expect(arrived).to_have_count(1, timeout=1000)
    assert time.monotonic() - started < 1.0
    # The mentor's page is open and visible: the message is read, and the mentee sees it.
    mine = mentee.page.get_by_test_id("message").filter(has_text="free on Thursday")
    await expect(mine.get_by_text("Seen")).to_be_visible(timeout=3000)
    await expect(mentor.page.get_by_text(f"{me['display_name']} is typing…")).to_be_hidden(
        timeout=6000
    )


async def test_offline_then_back_every_message_once_in_order_with_edits_and_deletions(
    people, web_server: WebServer
):
    mentee, mentor, conversation_id, _, _ = await open_chat(
        people, web_server, "mentee3@demo.hypee.dev", "mentor12@demo.hypee.dev"
    )
    for text in ("one", "two", "three"):
        await send(mentee.page, f"before {text}")
    await expect(mentor.page.get_by_test_id("message")).to_have_count(3)

    await mentor.context.set_offline(True)
    await expect(mentor.page.locator("html[data-realtime='offline']")).to_have_count(1)
    await send(mentor.page, "written while offline")
    for text in ("one", "two", "three"):
        await send(mentee.page, f"while away {text}")
    mentee.page.on("dialog", lambda dialog: dialog.accept())
    edited = mentee.page.get_by_test_id("message").filter(has_text="before one")
    await edited.hover()
    await edited.get_by_role("button", name="Edit").click()
    await edited.get_by_label("Edit your message").fill("before one, edited")
    await edited.get_by_role("button", name="Save").click()
    deleted = mentee.page.get_by_test_id("message").filter(has_text="before two")
    await deleted.hover()
    await deleted.get_by_role("button", name="Delete").click()
    await expect(mentee.page.get_by_text("This message was deleted.")).to_be_visible()
    # Still offline: the mentor has seen none of it, and their own message waits.
    offline_view = await shown(mentor.page)
    assert [m["body"] for m in offline_view] == [
        "before one",
        "before two",
        "before three",
        "written while offline",
    ], offline_view
    assert offline_view[-1]["pending"]

    await mentor.context.set_offline(False)
    await wait_online(mentor.page)
    await expect(
        mentor.page.get_by_test_id("message").filter(has_text="written while offline")
    ).not_to_have_class(re.compile("pending"))
    history = await stored(web_server, conversation_id, "mentee3@demo.hypee.dev")
    assert [(m["body"], m["deleted"]) for m in history] == [
        ("before one, edited", False),
        (None, True),
        ("before three", False),
        ("while away one", False),
        ("while away two", False),
        ("while away three", False),
        ("written while offline", False),
    ]
    for person in (mentor, mentee):
        await eventually(lambda p=person: shown(p.page), history)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small valid PNG of one color."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


async def test_an_image_attached_in_one_browser_appears_inline_in_the_other(
    people, web_server: WebServer
):
    mentee, mentor, _, _, _ = await open_chat(
        people, web_server, "mentee4@demo.hypee.dev", "mentor13@demo.hypee.dev"
    )
    await mentee.page.get_by_test_id("file-input").set_input_files(
        {"name": "whiteboard.png", "mimeType": "image/png", "buffer": png(120, 80, (79, 70, 229))}
    )
    await expect(mentee.page.get_by_text("whiteboard.png")).to_be_visible()
    send_button = mentee.page.get_by_role("button", name="Send")
    await expect(send_button).to_be_enabled()
    await mentee.page.get_by_label("Write a message").fill("Here is the diagram")
    await send_button.click()
    image = (
        mentor.page.get_by_test_id("message").filter(has_text="Here is the diagram").locator("img")
    )
    await expect(image).to_be_visible()
    await expect(image).to_have_attribute("alt", "whiteboard.png")
    width = await image.evaluate("img => img.complete && img.naturalWidth")
    assert width == 120  # the bytes came back from storage and decoded as the image
