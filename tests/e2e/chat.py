"""What the chat tests share: two people on their conversation, sending, and reading what a
page shows against what the server stored."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.conftest import WebServer


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
