"""The forum in two browsers: ask, answer as someone else, upvote and accept; the scores and
both people's points change on screen, live on the other side too."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import MODULE_LOOP, WebServer

pytestmark = MODULE_LOOP


async def points_of(server: WebServer, user_id: str) -> int:
    response = await server.api.get(f"/api/users/{user_id}")
    assert response.status == 200, response
    return response.json["points"]


def points_text(points: int) -> str:
    return f"{points} point" if points == 1 else f"{points} points"


async def test_ask_answer_upvote_and_accept_change_scores_and_points_on_screen(
    people, web_server: WebServer
):
    asker, answerer = await people(), await people()
    me = await asker.sign_in("mentee5@demo.hypee.dev")
    them = await answerer.sign_in("mentor21@demo.hypee.dev")
    asker_points = await points_of(web_server, me["id"])
    answerer_points = await points_of(web_server, them["id"])

    page = asker.page
    await asker.goto("/questions")
    await page.get_by_role("link", name="Ask a question").click()
    await page.get_by_label("Title").fill(
        "How do I prepare for a system design interview in two weeks?"
    )
    await page.get_by_label("Details").fill("I have two weeks. What should I read first?")
    await page.get_by_label("Tags").fill("interviews, career")
    await page.get_by_role("button", name="Post my question").click()
    await expect(page).to_have_url(re.compile(r"/questions/[0-9a-f]{24}$"))
    question_path = page.url.removeprefix(web_server.url)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "How do I prepare for a system design interview in two weeks?"
    )

    await answerer.goto(question_path)
    await answerer.page.get_by_label("Your answer").fill("Start with the classic trade-offs.")
    await answerer.page.get_by_role("button", name="Post my answer").click()
    answer_there = answerer.page.get_by_test_id("answer")
    await expect(answer_there).to_have_count(1)

    answer = page.get_by_test_id("answer")  # live on the asker's page, no reload
    await expect(answer).to_contain_text("Start with the classic trade-offs.")
    await expect(answer.get_by_test_id(f"points-{them['id']}")).to_have_text(
        points_text(answerer_points)
    )

    upvote = answer.get_by_role("button", name="Upvote")
    await upvote.click()
    await expect(upvote).to_have_attribute("aria-pressed", "true")
    await expect(answer.get_by_test_id("score")).to_have_text("1")
    await expect(answer.get_by_test_id(f"points-{them['id']}")).to_have_text(
        points_text(answerer_points + 10)
    )
    await expect(answer_there.get_by_test_id("score")).to_have_text("1")  # live there too

    await answer.get_by_role("button", name="Accept this answer").click()
    await expect(answer.get_by_test_id("accepted-badge")).to_be_visible()
    await expect(answer.get_by_test_id(f"points-{them['id']}")).to_have_text(
        points_text(answerer_points + 25)
    )
    byline = page.locator("header.post").get_by_test_id(f"points-{me['id']}")
    await expect(byline).to_have_text(points_text(asker_points + 2))
    await expect(answer_there.get_by_test_id("accepted-badge")).to_be_visible()
    await expect(answer_there.get_by_test_id(f"points-{them['id']}")).to_have_text(
        points_text(answerer_points + 25)
    )
    assert await points_of(web_server, them["id"]) == answerer_points + 25
    assert await points_of(web_server, me["id"]) == asker_points + 2

    await asker.goto("/questions")  # the list shows it answered, with its tags
    listed = page.get_by_test_id("question-row").filter(has_text="interview in two weeks")
    await expect(listed).to_contain_text("1 answer")
    await expect(listed).to_contain_text("interviews")
