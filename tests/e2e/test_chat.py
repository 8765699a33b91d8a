"""Chatting in two browsers: live delivery, typing and "seen"; going offline and back; an image
attached in one and shown inline in the other."""

from __future__ import annotations

import re
import time

from playwright.async_api import expect

from tests.e2e.chat import eventually, open_chat, png, send, shown, stored, wait_online
from tests.e2e.conftest import MODULE_LOOP, WebServer
from tests.helpers import send as send_rest

pytestmark = MODULE_LOOP


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
    # Their message ends their "typing" at once (it would otherwise linger for seconds).
    typing = mentor.page.get_by_text(f"{me['display_name']} is typing…")
    await expect(typing).to_be_hidden(timeout=300)
    # The mentor's page is open and visible: the message is read, and the mentee sees it.
    mine = mentee.page.get_by_test_id("message").filter(has_text="free on Thursday")
    await expect(mine.get_by_text("Seen")).to_be_visible(timeout=3000)


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
    await edited.get_by_role("button", name="Message actions").click()
    await edited.get_by_role("button", name="Edit").click()
    await edited.get_by_label("Edit your message").fill("before one, edited")
    await edited.get_by_role("button", name="Save").click()
    deleted = mentee.page.get_by_test_id("message").filter(has_text="before two")
    await deleted.hover()
    await deleted.get_by_role("button", name="Message actions").click()
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


async def test_emoji_picker_paste_and_drop_all_reach_the_composer(people, web_server: WebServer):
    mentee, mentor, _, _, _ = await open_chat(
        people, web_server, "mentee5@demo.hypee.dev", "mentor14@demo.hypee.dev"
    )
    page = mentee.page
    await page.get_by_role("button", name="Insert an emoji").click()
    picker = page.locator("emoji-picker")
    await expect(picker).to_be_visible()
    first = picker.locator("button.emoji[role=menuitem]").first  # through its shadow root
    await expect(first).to_be_visible()
    emoji = (await first.text_content() or "").strip()
    await first.click()
    await expect(page.get_by_label("Write a message")).to_have_value(emoji)

    # A file pasted into the box, then one dropped on the composer: both upload.
    for event, target, name in (
        ("paste", "textarea", "pasted.png"),
        ("drop", ".composer", "dropped.png"),
    ):
        await page.evaluate(
            """([event, target, name, bytes]) => {
                const file = new File([new Uint8Array(bytes)], name, { type: 'image/png' });
                const data = new DataTransfer();
                data.items.add(file);
                const init = { bubbles: true, cancelable: true };
                const fired = event === 'paste'
                    ? new ClipboardEvent('paste', { ...init, clipboardData: data })
                    : new DragEvent('drop', { ...init, dataTransfer: data });
                document.querySelector(target).dispatchEvent(fired);
            }""",
            [event, target, name, list(png(40, 30, (200, 80, 40)))],
        )
        await expect(page.locator(".upload").filter(has_text=name)).to_be_visible()
    send_button = page.get_by_role("button", name="Send")
    await expect(send_button).to_be_enabled()
    await send_button.click()
    images = mentor.page.get_by_test_id("message").filter(has_text=emoji).locator("img")
    await expect(images).to_have_count(2)


async def test_history_loads_on_scroll_up_and_keeps_the_place(people, web_server: WebServer):
    _, mentor, conversation_id, _, _ = await open_chat(
        people, web_server, "mentee6@demo.hypee.dev", "mentor15@demo.hypee.dev"
    )
    account = await web_server.login("mentee6@demo.hypee.dev")
    for number in range(1, 121):
        sent = await send_rest(web_server.api, account, conversation_id, f"note {number}")
        assert sent.status == 201, sent
    await mentor.page.reload()
    messages = mentor.page.get_by_test_id("message")
    await expect(messages.last).to_contain_text("note 120")
    await expect(messages).to_have_count(50)  # one page, the newest
    await expect(messages.last).to_be_in_viewport()
    oldest_shown = messages.first
    await expect(oldest_shown).to_contain_text("note 71")
    await mentor.page.locator(".messages").evaluate("list => list.scrollTo(0, 0)")  # the reader
    await expect(messages).to_have_count(100)
    # The message that was at the top stays where the reader was, older ones above it.
    note_71 = messages.filter(has=mentor.page.locator(".body", has_text=re.compile(r"^note 71$")))
    await expect(note_71).to_be_in_viewport()
    await mentor.page.locator(".messages").evaluate("list => list.scrollTo(0, 0)")
    await expect(messages).to_have_count(120)
    await expect(mentor.page.get_by_text("This is the start of the conversation.")).to_be_visible()


async def test_a_refused_edit_says_why_and_keeps_the_message(people, web_server: WebServer):
    mentee, _, _, _, _ = await open_chat(
        people, web_server, "mentee4@demo.hypee.dev", "mentor16@demo.hypee.dev"
    )
    await send(mentee.page, "a message to edit")
    sent = mentee.page.get_by_test_id("message").filter(has_text="a message to edit")
    await expect(sent).not_to_have_class(re.compile("pending"))
    mine = mentee.page.locator(f"[data-seq='{await sent.get_attribute('data-seq')}']")
    await mine.hover()
    await mine.get_by_role("button", name="Message actions").click()
    await mine.get_by_role("button", name="Edit").click()
    await mine.get_by_label("Edit your message").fill("   ")
    await mine.get_by_role("button", name="Save").click()
    # The API's own words, field by field; nothing thrown on the page (the fixture checks).
    await expect(mine.get_by_role("alert")).to_have_text(
        "The request is not valid. Must not be empty."
    )
    await mine.get_by_role("button", name="Cancel").click()
    await expect(mine.locator(".body")).to_have_text("a message to edit")


async def test_the_composer_is_a_few_tabs_away_whatever_the_history(people, web_server: WebServer):
    """Messages are one Tab stop (arrows move between them) with one actions button each, so
    the keyboard reaches the composer in the same few steps with 3 messages or 30."""
    mentee, _, _, _, _ = await open_chat(
        people, web_server, "mentee5@demo.hypee.dev", "mentor17@demo.hypee.dev"
    )
    page = mentee.page
    for number in range(12):
        await send(page, f"note {number}")
    await expect(page.get_by_test_id("message")).to_have_count(12)
    # All acknowledged (a message still sending is no Tab stop yet).
    await expect(page.locator("[data-testid=message].pending")).to_have_count(0)
    await page.get_by_label("Write a message").focus()
    steps = 0
    on_a_message = "() => document.activeElement?.dataset.testid === 'message'"
    while not await page.evaluate(on_a_message):
        await page.keyboard.press("Shift+Tab")
        steps += 1
        assert steps <= 4, "the message list is more than 4 Tabs from the composer"
    focused = page.locator("[data-testid=message]:focus")
    await expect(focused).to_contain_text("note 11")
    await page.keyboard.press("ArrowUp")
    await expect(focused).to_contain_text("note 10")
    await page.keyboard.press("Tab")  # its actions button, then Edit
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("Edit your message")).to_have_value("note 10")


async def test_a_message_past_the_limit_is_never_cut_and_not_sent(people, web_server: WebServer):
    mentee, _, conversation_id, _, _ = await open_chat(
        people, web_server, "mentee6@demo.hypee.dev", "mentor18@demo.hypee.dev"
    )
    page = mentee.page
    composer = page.get_by_label("Write a message")
    await composer.fill("x" * 3_990)
    await expect(page.get_by_text("10 characters left")).to_be_visible()
    long_text = "y" * 100_000
    await composer.fill(long_text)
    await composer.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("96,000 characters too many")
    assert await composer.input_value() == long_text  # all of it kept
    await expect(page.get_by_test_id("message")).to_have_count(0)
    await composer.fill("short again")
    await expect(page.get_by_text("characters too many")).to_have_count(0)
    await composer.press("Enter")
    await expect(page.get_by_test_id("message").filter(has_text="short again")).to_have_count(1)
    kept = await stored(web_server, conversation_id, "mentee6@demo.hypee.dev")
    assert [m["body"] for m in kept] == ["short again"]
