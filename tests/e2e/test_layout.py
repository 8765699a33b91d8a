"""Every page at a 360x740 phone fits without horizontal scrolling, every control on it has a
name a screen reader can say, and axe-core finds nothing serious or critical on it, at phone and
desktop sizes; every page is saved as a screenshot at both sizes (tests/e2e/screenshots/, to
look at)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.chat import png
from tests.e2e.conftest import DESKTOP, MODULE_LOOP, PHONE, Person, WebServer
from tests.helpers import send

pytestmark = MODULE_LOOP
MENTEE = "mentee2@demo.hypee.dev"


async def a_lived_in_account(server: WebServer) -> dict[str, str]:
    """A mentee with a conversation (text, an image, a reply), a question of their own with an
    answer, and unread notifications; the ids of what the pages show."""
    mentee = await server.login(MENTEE)
    mentor = await server.login("mentor3@demo.hypee.dev")
    api = server.api
    opened = await api.post(
        "/api/conversations/", {"participant_ids": [mentor.id]}, token=mentee.access
    )
    conversation = opened.json["id"]
    messages = f"/api/conversations/{conversation}/messages/"
    for who, body in [
        (mentee, "Hi! I would love some advice on moving from support to backend work."),
        (mentor, "Happy to help. What do you work with today?"),
        (mentee, "Mostly SQL and a bit of Python. Here is my current plan:"),
    ]:
        sent = await send(api, who, conversation, body)
        assert sent.status == 201, sent
    ticket = await api.post(
        "/api/uploads/",
        {
            "filename": "plan.png",
            "content_type": "image/png",
            "size": len(image := png(320, 200, (14, 116, 144))),
            "conversation_id": conversation,
        },
        token=mentee.access,
    )
    assert ticket.status == 201, ticket
    put = await api.request(
        "PUT",
        ticket.json["url"].removeprefix(server.url),
        body=image,
        headers=ticket.json["headers"],
    )
    assert put.status in (200, 201, 204), put
    with_image = {"client_id": "plan", "body": "", "attachments": [ticket.json["upload_id"]]}
    assert (await api.post(messages, with_image, token=mentee.access)).status == 201
    await send(api, mentor, conversation, "Looks solid. Start with the API project 👍")
    asked = await api.post(
        "/api/questions/",
        {
            "title": "Which backend language should I learn after SQL?",
            "body": "I know SQL well and some Python. What would you learn next, and why?",
            "tags": ["career", "backend"],
        },
        token=mentee.access,
    )
    await api.post(
        "/api/answers/",
        {
            "question_id": asked.json["id"],
            "body": "Go deeper into Python first: you already know it.",
        },
        token=mentor.access,
    )
    stranger = await server.login("mentor4@demo.hypee.dev")  # no conversation with them yet
    return {
        "conversation": conversation,
        "question": asked.json["id"],
        "mentor": mentor.id,
        "stranger": stranger.id,
    }


PAGES = [
    ("login", "/login", False),
    ("register", "/register", False),
    ("mentors", "/mentors", True),
    ("mentor-profile", "/mentors/{mentor}", True),
    ("chat-inbox", "/chat", True),
    ("chat-conversation", "/chat/{conversation}", True),
    ("chat-first-message", "/chat/to/{stranger}", True),
    ("questions", "/questions", True),
    ("question", "/questions/{question}", True),
    ("new-question", "/questions/new", True),
    ("notifications", "/notifications", True),
    ("me", "/me", True),
    ("settings", "/settings", True),
    ("forgot-password", "/forgot-password", False),
    ("reset-password", "/reset-password?token=unused", False),
    ("unsubscribe", "/unsubscribe?token=unused", False),
    ("not-found", "/no/such/page", True),
]


async def settled(person: Person) -> None:
    """Wait until nothing shows as loading and every image has arrived."""
    loading = person.page.locator(".skeleton, .skeleton-card, .attachment-image.placeholder")
    await expect(loading).to_have_count(0)
    await person.page.wait_for_function("() => [...document.images].every(image => image.complete)")
    await person.page.wait_for_timeout(200)  # let fonts and transitions settle for the picture


UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter(el => el.getClientRects().length > 0)
  .filter(el => {
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || el.getAttribute('title');
    if (el.matches('input, select, textarea')) return !(named || el.labels.length);
    const text = el.textContent.trim() || [...el.querySelectorAll('img')].some(i => i.alt);
    return !(named || text);
  })
  .map(el => el.outerHTML.slice(0, 120))"""


async def page_fits(person: Person) -> int:
    return await person.page.evaluate("() => document.documentElement.scrollWidth")


async def test_every_page_fits_a_phone_is_accessible_and_is_saved_at_both_sizes(
    people, web_server: WebServer
):
    found = await a_lived_in_account(web_server)
    too_wide, unnamed, inaccessible = [], [], []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        visitor = await people(viewport=viewport)
        member = await people(viewport=viewport)
        await member.sign_in(MENTEE)
        for name, path, signed_in in PAGES:
            person = member if signed_in else visitor
            await person.goto(path.format(**found))
            await expect(person.page.locator("main :is(h1, h2):visible").first).to_be_visible()
            await settled(person)
            await person.screenshot(f"{name}-{size}")
            width = await page_fits(person)
            if size == "phone" and width > PHONE["width"]:
                too_wide.append((name, width))
            unnamed += [(name, size, html) for html in await person.page.evaluate(UNNAMED_CONTROLS)]
            inaccessible += [(name, size, v) for v in await person.accessibility_violations()]
    assert not too_wide, too_wide
    assert not unnamed, unnamed
    assert not inaccessible, "\n".join(map(str, inaccessible))
