"""The directory in a browser: filters that narrow the list and live in the URL, infinite
scroll, the profile, and "Send a message" opening the conversation."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import MODULE_LOOP, WebServer

pytestmark = MODULE_LOOP


async def names_from_api(server: WebServer, query: str) -> list[str]:
    response = await server.api.get(f"/api/mentors/?limit=50&{query}")
    assert response.status == 200, response
    return [mentor["display_name"] for mentor in response.json["results"]]


async def test_filters_narrow_the_list_scrolling_loads_more_and_a_card_opens_the_profile(
    people, web_server: WebServer
):
    person = await people()
    page = person.page
    await person.goto("/mentors")
    cards = page.get_by_test_id("mentor-card")
    await expect(cards).to_have_count(20)  # the first page
    await cards.last.scroll_into_view_if_needed()
    await expect(cards.nth(20)).to_be_attached()  # the next page, loaded by scrolling

    french = await names_from_api(web_server, "country=FR")
    await page.get_by_label("Country").select_option("FR")
    await expect(page).to_have_url(re.compile(r"country=FR"))
    await expect(cards).to_have_count(len(french))
    await expect(cards.locator("h2")).to_have_text(french)

    pythonistas = await names_from_api(web_server, "country=FR&specialty=Python")
    assert 0 < len(pythonistas) < len(french)
    await page.get_by_role("textbox", name="Specialties").fill("Python")
    await page.get_by_role("textbox", name="Specialties").press("Enter")
    await expect(page).to_have_url(re.compile(r"specialty=Python"))
    await expect(cards.locator("h2")).to_have_text(pythonistas)

    await cards.first.click()
    await expect(page).to_have_url(re.compile(r"/mentors/[0-9a-f]{24}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(pythonistas[0])
    await expect(page.get_by_text("Python").first).to_be_visible()

    await page.go_back()  # the filters come back from the URL
    await expect(page.get_by_label("Country")).to_have_value("FR")
    await expect(cards.locator("h2")).to_have_text(pythonistas)


async def test_a_newcomer_registers_finds_a_mentor_and_their_message_is_sent_and_received(
    people, web_server: WebServer
):
    """The whole first visit: register, search, open a profile, "Send a message", write; the
    browser is on /chat/<id> with the message shown as sent, and the mentor, signed in in a
    second browser, sees it arrive."""
    mentor_account = await web_server.login("mentor7@demo.hypee.dev")
    mentor = await people()
    await mentor.sign_in("mentor7@demo.hypee.dev")
    await mentor.goto("/chat")

    newcomer = await people()
    page = newcomer.page
    await newcomer.goto("/")
    await page.get_by_role("link", name="Create account").first.click()
    await page.get_by_label("Display name").fill("Sam Newcomer")
    await page.get_by_label("Email").fill("sam@example.com")
    await page.get_by_label("Password").fill("a long enough password")
    await page.get_by_role("button", name="Create my account").click()
    await expect(page).to_have_url(re.compile(r"/mentors$"))
    await expect(page.get_by_role("link", name="Profile", exact=True)).to_be_visible()  # signed in
    hint = page.get_by_role("complementary", name=re.compile("Welcome to Hypee, Sam Newcomer"))
    await expect(hint).to_be_visible()  # where to start, once
    await expect(hint.get_by_role("link", name=re.compile("Fill in your profile"))).to_be_visible()
    await hint.get_by_role("button", name="Got it").click()
    await expect(hint).to_have_count(0)
    await page.reload()
    await expect(page.get_by_role("heading", name="Find a mentor")).to_be_visible()
    await expect(hint).to_have_count(0)

    name = mentor_account.user["display_name"]
    await page.get_by_label("Search by name, skill or topic").fill(name.split()[0])
    card = page.get_by_test_id("mentor-card").filter(has_text=name)
    await card.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await page.get_by_role("link", name="Send a message").click()
    await expect(page).to_have_url(re.compile(rf"/chat/to/{mentor_account.id}$"))
    # Nothing exists until the first message: no empty conversation, no notification.
    composer = page.get_by_label("Write a message")
    await expect(composer).to_be_visible()
    inbox = await web_server.api.get("/api/conversations/", token=mentor_account.access)
    assert inbox.json["results"] == []
    bell = await web_server.api.get("/api/notifications/", token=mentor_account.access)
    assert bell.json["unread_count"] == 0

    await composer.fill("Hello! Could you help me prepare an interview?")
    await composer.press("Enter")
    await expect(page).to_have_url(re.compile(r"/chat/[0-9a-f]{24}$"))
    conversation_id = page.url.rsplit("/", 1)[1]
    composer = page.get_by_label("Write a message")
    # Both are online, and the new conversation says so without a reload.
    header = page.locator(".conversation-header")
    await expect(header.get_by_text("online", exact=True)).to_be_visible()
    sent = page.get_by_test_id("message").filter(has_text="Could you help me")
    await expect(sent).to_have_count(1)
    await expect(sent).not_to_have_class(re.compile("pending"))
    await expect(composer).to_have_value("")

    stored = await web_server.api.get(
        f"/api/conversations/{conversation_id}/messages/", token=mentor_account.access
    )
    assert [m["body"] for m in stored.json["results"]] == [
        "Hello! Could you help me prepare an interview?"
    ]
    row = mentor.page.get_by_test_id("inbox-row").filter(has_text="Sam Newcomer")
    await expect(row).to_contain_text("Could you help me")  # live in the mentor's inbox
    await expect(row.get_by_test_id("unread-badge")).to_have_text("1")
    await row.click()
    await expect(
        mentor.page.get_by_test_id("message").filter(has_text="Could you help me")
    ).to_be_visible()
    await expect(row.get_by_test_id("unread-badge")).to_have_count(0)


async def test_the_app_speaks_the_browsers_language_and_switches(people):
    person = await people(locale="fr-FR")
    await person.goto("/mentors")
    await expect(person.page.get_by_role("heading", level=1)).to_have_text("Trouver un mentor")
    await person.page.locator("header").get_by_label("Langue").select_option("en")
    await expect(person.page.get_by_role("heading", level=1)).to_have_text("Find a mentor")
    await person.page.reload()  # the choice is remembered
    await expect(person.page.get_by_role("heading", level=1)).to_have_text("Find a mentor")


async def test_there_is_no_send_button_on_your_own_profile(people, web_server: WebServer):
    mentor = await people()
    me = await mentor.sign_in("mentor8@demo.hypee.dev")
    await mentor.goto(f"/mentors/{me['id']}")
    await expect(mentor.page.get_by_role("heading", level=1)).to_have_text(me["display_name"])
    await expect(mentor.page.get_by_role("link", name="Edit my profile")).to_be_visible()
    await expect(mentor.page.get_by_role("link", name="Send a message")).to_have_count(0)


@pytest.mark.parametrize("path", ["/mentors/" + "0" * 24, "/no/such/page"])
async def test_unknown_pages_and_mentors_say_so(people, path: str):
    person = await people()
    await person.goto(path)
    await expect(
        person.page.get_by_role("alert").or_(
            person.page.get_by_role("heading", name=re.compile("not found", re.I))
        )
    ).to_be_visible()


async def test_back_from_a_profile_returns_to_the_same_place_in_the_list(people):
    person = await people()
    page = person.page
    await person.goto("/mentors?sort=points")
    cards = page.get_by_test_id("mentor-card")
    await expect(cards).to_have_count(20)
    await cards.last.scroll_into_view_if_needed()
    chosen = cards.nth(33)
    await chosen.scroll_into_view_if_needed()
    name = await chosen.locator("h2").text_content()
    await page.wait_for_timeout(500)  # whatever the scroll made load has loaded
    loaded = await cards.count()
    where = await page.evaluate("() => window.scrollY")
    assert where > 1000
    await chosen.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name or "")
    await page.go_back()
    await expect(cards).to_have_count(loaded)
    await expect(cards.nth(33).locator("h2")).to_be_in_viewport()
    assert abs(await page.evaluate("() => window.scrollY") - where) < 50


async def test_a_new_mentor_fills_the_profile_is_found_and_talks_with_a_new_mentee(people):
    """Two people new to Hypee, in two browsers: a mentor registers and fills the profile on
    /me; a mentee registers, finds them by name, writes; the mentor answers live."""
    mentor = await people()
    page = mentor.page
    await mentor.goto("/register")
    await page.get_by_label("Display name").fill("Ines Okonkwo")
    await page.get_by_label("Email").fill("ines@example.com")
    await page.get_by_label("Password").fill("a long enough password")
    await page.get_by_label("mentor others").check()
    await page.get_by_role("button", name="Create my account").click()
    await expect(page).to_have_url(re.compile(r"/me$"))
    await page.get_by_label("Headline").fill("Staff data engineer, ex-consultant")
    await page.get_by_label("Country").select_option("NG")
    await page.get_by_label("Specialties (comma-separated)").fill("Data engineering, SQL")
    # Two fields, two names; languages are found by typing their names, never shown as codes.
    await expect(page.get_by_label("About you", exact=True)).to_have_count(1)
    languages = page.get_by_role("combobox", name="Languages you mentor in")
    await languages.fill("engl")
    await languages.press("Enter")
    await languages.fill("yoru")
    await page.get_by_role("option", name="Yoruba").click()
    await languages.fill("dzo")
    await expect(page.get_by_role("option", name="Dzongkha")).to_be_visible()
    await languages.press("Escape")
    await languages.fill("")
    chosen = page.get_by_role("button", name=re.compile("^Remove "))
    await expect(chosen).to_have_count(2)
    await expect(chosen.first).to_have_accessible_name("Remove English")
    await expect(chosen.last).to_have_accessible_name("Remove Yoruba")
    await page.get_by_label("Years of experience").fill("9")
    await page.get_by_role("button", name="Save my mentor profile").click()
    await expect(page.get_by_role("button", name="Saved")).to_be_visible()

    mentee = await people()
    await mentee.goto("/register")
    await mentee.page.get_by_label("Display name").fill("Tom Becker")
    await mentee.page.get_by_label("Email").fill("tom@example.com")
    await mentee.page.get_by_label("Password").fill("another long password")
    await mentee.page.get_by_role("button", name="Create my account").click()
    await expect(mentee.page).to_have_url(re.compile(r"/mentors$"))
    await mentee.page.get_by_label("Search by name, skill or topic").fill("Okonkwo")
    card = mentee.page.get_by_test_id("mentor-card")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("Nigeria")
    await expect(card).to_contain_text("Data engineering")
    await card.click()
    await mentee.page.get_by_role("link", name="Send a message").click()
    await mentee.page.get_by_label("Write a message").fill("Hi Ines, could we talk about SQL?")
    await mentee.page.get_by_label("Write a message").press("Enter")

    await mentor.goto("/chat")
    await mentor.page.get_by_test_id("inbox-row").filter(has_text="Tom Becker").click()
    await expect(mentor.page.get_by_test_id("message")).to_have_text(re.compile("talk about SQL"))
    await mentor.page.get_by_label("Write a message").fill("Of course, Tom!")
    await mentor.page.get_by_label("Write a message").press("Enter")
    await expect(
        mentee.page.get_by_test_id("message").filter(has_text="Of course, Tom!")
    ).to_be_visible()


async def test_signing_out_ends_the_login_in_the_browser_and_on_the_server(people):
    person = await people()
    await person.sign_in("mentee3@demo.hypee.dev")
    icons: list[str] = []
    person.page.on("request", lambda r: icons.append(r.url) if "favicon" in r.url else None)
    await person.goto("/chat")
    await expect(person.page.get_by_role("heading", name="Messages")).to_be_visible()
    assert len(icons) == 1, icons  # the page icon once (the header draws its own copy)
    # Signing out makes no request that fails: nothing refreshes a login being ended.
    failed: list[str] = []
    person.page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    person.page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    await person.page.get_by_role("button", name="Sign out").click()
    await expect(person.page).to_have_url(re.compile(r"/login"))
    await person.page.wait_for_timeout(1000)  # the socket's close, and anything after it
    assert failed == []
    await person.goto("/chat")  # a reload does not sign them back in
    await expect(person.page).to_have_url(re.compile(r"/login\?next=%2Fchat$"))
    # The cookie the browser held is dead on the server too.
    refreshed = await person.context.request.post(
        "/api/auth/refresh", data={}, headers={"X-Hypee-Client": "web"}
    )
    assert refreshed.status == 401


async def test_a_first_visit_shows_the_cards_without_asking_for_them(people):
    """The server inlines the directory's first page in the page itself (bench/web.py times
    the first visit); pages other than the directory load when first opened."""
    visitor = await people()
    asked: list[str] = []
    visitor.page.on("request", lambda r: asked.append(r.url))
    await visitor.goto("/mentors")
    await expect(visitor.page.get_by_test_id("mentor-card")).to_have_count(20)
    assert not [url for url in asked if "/api/mentors/" in url], asked
    scripts = [url for url in asked if url.endswith(".js")]
    await visitor.page.get_by_role("link", name="Questions").first.click()
    await expect(visitor.page.get_by_role("heading", name="Questions")).to_be_visible()
    assert len([url for url in asked if url.endswith(".js")]) > len(scripts)  # loaded now
