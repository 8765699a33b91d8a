"""The Q&A forum over real HTTP: questions, answers, votes, acceptance and points."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from bson import ObjectId

from tests.client import Account, ApiClient
from tests.helpers import PROFILE, QUESTION_TITLE, answer, ask, assert_error


async def vote(api: ApiClient, account: Account, kind: str, post_id: str, value) -> dict:
    response = await api.post(f"/api/{kind}/{post_id}/vote", {"value": value}, token=account.access)
    assert response.status == 200, response
    return response.json


async def points_of(api: ApiClient, account: Account) -> int:
    return (await api.get(f"/api/users/{account.id}")).json["points"]


async def history(api: ApiClient, account: Account) -> list[tuple[str, int, bool]]:
    """(reason, delta, undo) of every point event, oldest first."""
    events, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(f"/api/users/{account.id}/points{query}")).json
        events += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return [(e["reason"], e["delta"], e["undo"]) for e in reversed(events)]


async def test_ask_and_read_a_question(api: ApiClient):
    alice = await api.register("Alice")
    question = await ask(api, alice, tags=["Python", "career", "python"])
    assert question["title"] == QUESTION_TITLE
    assert question["tags"] == ["python", "career"]
    assert question["score"] == 0 and question["answer_count"] == 0
    assert question["accepted_answer_id"] is None and question["my_vote"] == 0
    assert question["author"]["id"] == alice.id and "email" not in question["author"]
    assert question["created_at"] == question["last_activity_at"]
    detail = await api.get(f"/api/questions/{question['id']}/")  # public
    assert detail.status == 200
    assert detail.json["answers"] == []
    assert {k: v for k, v in detail.json.items() if k != "answers"} == question


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Too short", "body": "x"}, "title"),
        ({"title": "x" * 201, "body": "x"}, "title"),
        ({"title": QUESTION_TITLE, "body": ""}, "body"),
        ({"title": QUESTION_TITLE, "body": "x" * 20001}, "body"),
        ({"title": QUESTION_TITLE, "body": "x", "tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"title": QUESTION_TITLE, "body": "x", "tags": ["has space"]}, "tags"),
        ({"title": QUESTION_TITLE, "body": "x", "tags": "python"}, "tags"),
        ({"title": {"$ne": ""}, "body": "x"}, "title"),
        ({"body": "x"}, "title"),
        ({"title": QUESTION_TITLE, "body": "x", "score": 100}, "score"),
    ],
)
async def test_question_validation(api: ApiClient, body: dict, field: str):
    alice = await api.register()
    error = assert_error(
        await api.post("/api/questions/", body, token=alice.access), 400, "validation_error"
    )
    assert field in error["fields"]
    assert (await api.get("/api/questions/")).json["results"] == []


async def test_only_the_author_edits_or_deletes(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    question = await ask(api, alice)
    qpath = f"/api/questions/{question['id']}/"
    assert_error(
        await api.patch(qpath, {"title": "Hijacked title here"}, token=bob.access), 403, "forbidden"
    )
    assert_error(await api.delete(qpath, token=bob.access), 403, "forbidden")
    assert_error(await api.patch(qpath, {"title": "Hijacked title here"}), 401, "unauthorized")
    edited = await api.patch(
        qpath, {"title": "A better title for my question", "tags": ["oss"]}, token=alice.access
    )
    assert edited.status == 200
    assert edited.json["title"] == "A better title for my question" and edited.json["tags"] == [
        "oss"
    ]
    assert edited.json["last_activity_at"] > question["last_activity_at"]
    assert_error(
        await api.patch(qpath, {"title": "short"}, token=alice.access), 400, "validation_error"
    )
    reply = await answer(api, alice, question["id"])
    apath = f"/api/answers/{reply['id']}/"
    assert_error(await api.patch(apath, {"body": "mine now"}, token=bob.access), 403, "forbidden")
    assert_error(await api.delete(apath, token=bob.access), 403, "forbidden")
    assert (await api.patch(apath, {"body": "Edited answer"}, token=alice.access)).json[
        "body"
    ] == "Edited answer"
    assert (await api.delete(qpath, token=alice.access)).status == 204
    assert_error(await api.get(qpath), 404, "not_found")
    assert_error(await api.patch(apath, {"body": "x"}, token=alice.access), 404, "not_found")


async def test_unknown_ids_are_404(api: ApiClient):
    alice = await api.register()
    for path in (f"/api/questions/{ObjectId()}/", "/api/questions/nope/"):
        assert_error(await api.get(path), 404, "not_found")
    for kind in ("questions", "answers"):
        response = await api.post(
            f"/api/{kind}/{ObjectId()}/vote", {"value": 1}, token=alice.access
        )
        assert_error(response, 404, "not_found")
    assert_error(
        await api.post(f"/api/answers/{ObjectId()}/accept", token=alice.access), 404, "not_found"
    )
    response = await api.post(
        "/api/answers/", {"question_id": str(ObjectId()), "body": "x"}, token=alice.access
    )
    assert_error(response, 404, "not_found")
    assert_error(await api.get(f"/api/users/{ObjectId()}/points"), 404, "not_found")


async def test_answers_update_the_question(api: ApiClient):
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    question = await ask(api, alice)
    first = await answer(api, bob, question["id"], "First")
    await asyncio.sleep(0.002)
    second = await answer(api, carol, question["id"], "Second")
    detail = (await api.get(f"/api/questions/{question['id']}/")).json
    assert detail["answer_count"] == 2
    assert detail["last_activity_at"] >= second["created_at"] > question["last_activity_at"]
    assert [a["id"] for a in detail["answers"]] == [first["id"], second["id"]]  # oldest first
    assert first["question_id"] == question["id"] and first["accepted"] is False
    assert (await api.delete(f"/api/answers/{second['id']}/", token=carol.access)).status == 204
    assert (await api.get(f"/api/questions/{question['id']}/")).json["answer_count"] == 1
    for bad in (
        {"question_id": question["id"], "body": ""},
        {"question_id": "x", "body": "y"},
        {"body": "y"},
    ):
        assert_error(
            await api.post("/api/answers/", bad, token=bob.access), 400, "validation_error"
        )


async def test_answer_order_accepted_then_score_then_age(api: ApiClient):
    asker, voter, *writers = [await api.register() for _ in range(5)]
    question = await ask(api, asker)
    old, popular, accepted = [
        await answer(api, w, question["id"], f"answer {i}") for i, w in enumerate(writers[:3])
    ]
    await vote(api, voter, "answers", popular["id"], 1)
    await api.post(f"/api/answers/{accepted['id']}/accept", token=asker.access)
    detail = (await api.get(f"/api/questions/{question['id']}/", token=voter.access)).json
    assert [a["id"] for a in detail["answers"]] == [accepted["id"], popular["id"], old["id"]]
    assert detail["accepted_answer_id"] == accepted["id"]
    assert [a["my_vote"] for a in detail["answers"]] == [0, 1, 0]
    anonymous = (await api.get(f"/api/questions/{question['id']}/")).json
    assert [a["my_vote"] for a in anonymous["answers"]] == [0, 0, 0]


async def test_votes(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    question = await ask(api, alice)
    qid = question["id"]
    assert await vote(api, bob, "questions", qid, 1) == {"score": 1, "my_vote": 1}
    assert await vote(api, bob, "questions", qid, 1) == {"score": 1, "my_vote": 1}
    assert await vote(api, bob, "questions", qid, -1) == {"score": -1, "my_vote": -1}
    assert await vote(api, bob, "questions", qid, 0) == {"score": 0, "my_vote": 0}
    assert await vote(api, bob, "questions", qid, 0) == {"score": 0, "my_vote": 0}
    await vote(api, bob, "questions", qid, -1)
    listed = (await api.get("/api/questions/", token=bob.access)).json["results"][0]
    assert listed["my_vote"] == -1 and listed["score"] == -1
    own = await api.post(f"/api/questions/{qid}/vote", {"value": 1}, token=alice.access)
    assert_error(own, 403, "forbidden")
    for bad in (2, -2, "1", True, None, 1.0, [1]):
        response = await api.post(f"/api/questions/{qid}/vote", {"value": bad}, token=bob.access)
        assert_error(response, 400, "validation_error")
    assert_error(
        await api.post(f"/api/questions/{qid}/vote", {}, token=bob.access), 400, "validation_error"
    )
    assert_error(await api.post(f"/api/questions/{qid}/vote", {"value": 1}), 401, "unauthorized")


async def test_twenty_concurrent_identical_votes_count_once(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    question = await ask(api, alice)
    reply = await answer(api, alice, question["id"])
    results = await asyncio.gather(*(vote(api, bob, "answers", reply["id"], 1) for _ in range(20)))
    assert {r["score"] for r in results} == {1}
    detail = (await api.get(f"/api/questions/{question['id']}/")).json
    assert detail["answers"][0]["score"] == 1
    assert await points_of(api, alice) == 10
    assert await history(api, alice) == [("answer_upvoted", 10, False)]


async def test_accepting_is_for_the_question_author(api: ApiClient):
    asker, writer, other = await api.register(), await api.register(), await api.register()
    question = await ask(api, asker)
    first, second = (
        await answer(api, writer, question["id"]),
        await answer(api, other, question["id"]),
    )
    assert_error(
        await api.post(f"/api/answers/{first['id']}/accept", token=writer.access), 403, "forbidden"
    )
    accepted = await api.post(f"/api/answers/{first['id']}/accept", token=asker.access)
    assert accepted.status == 200 and accepted.json["accepted"] is True
    moved = await api.post(f"/api/answers/{second['id']}/accept", token=asker.access)
    assert moved.json["accepted"] is True
    detail = (await api.get(f"/api/questions/{question['id']}/")).json
    assert detail["accepted_answer_id"] == second["id"]
    assert [a["accepted"] for a in detail["answers"]] == [True, False]
    undone = await api.delete(f"/api/answers/{second['id']}/accept", token=asker.access)
    assert undone.status == 200 and undone.json["accepted"] is False
    assert (await api.get(f"/api/questions/{question['id']}/")).json["accepted_answer_id"] is None
    assert_error(
        await api.delete(f"/api/answers/{first['id']}/accept", token=writer.access),
        403,
        "forbidden",
    )


async def test_scripted_points_scenario(api: ApiClient):
    asker, b, c, d, e = [await api.register(name) for name in ("Asker", "B", "C", "D", "E")]
    q = await ask(api, asker)
    q2 = await ask(api, e, "A question from E to earn something")
    a1 = await answer(api, b, q["id"], "B's answer")
    a2 = await answer(api, c, q["id"], "C's answer")

    await vote(api, d, "questions", q2["id"], 1)  # E +5
    await vote(api, d, "questions", q["id"], 1)  # Asker +5 -> 5
    await vote(api, e, "questions", q["id"], -1)  # Asker -2 -> 3
    await vote(api, d, "answers", a1["id"], 1)  # B +10 -> 10
    await vote(api, e, "answers", a1["id"], -1)  # B -2 -> 8; E -1 -> 4
    assert await vote(api, e, "answers", a1["id"], 1) == {
        "score": 2,
        "my_vote": 1,
    }  # B +2 +10 -> 20; E +1
    await vote(api, d, "questions", q["id"], 0)  # undo +5 from 3: only 3 can go -> 0
    await vote(api, e, "questions", q["id"], 0)  # undo -2 -> 2
    assert await points_of(api, asker) == 2

    await api.post(
        f"/api/answers/{a1['id']}/accept", token=asker.access
    )  # B +15 -> 35; Asker +2 -> 4
    await api.post(
        f"/api/answers/{a2['id']}/accept", token=asker.access
    )  # B -15 -> 20; C +15; Asker keeps
    assert (await points_of(api, asker), await points_of(api, b), await points_of(api, c)) == (
        4,
        20,
        15,
    )
    await api.delete(
        f"/api/answers/{a2['id']}/accept", token=asker.access
    )  # C -15 -> 0; Asker -2 -> 2
    await api.post(f"/api/answers/{a2['id']}/accept", token=asker.access)  # C +15; Asker +2 -> 4
    await api.delete(f"/api/answers/{a2['id']}/", token=c.access)  # C -15 -> 0; Asker -2 -> 2
    await api.delete(f"/api/answers/{a1['id']}/", token=b.access)  # B loses both upvotes -> 0
    own = await answer(api, asker, q["id"], "Answering myself")
    await api.post(f"/api/answers/{own['id']}/accept", token=asker.access)  # nothing for that

    assert {
        "asker": await points_of(api, asker),
        "b": await points_of(api, b),
        "c": await points_of(api, c),
        "d": await points_of(api, d),
        "e": await points_of(api, e),
    } == {"asker": 2, "b": 0, "c": 0, "d": 0, "e": 5}
    assert await history(api, asker) == [
        ("question_upvoted", 5, False),
        ("question_downvoted", -2, False),
        ("question_upvoted", -3, True),  # points never go below 0
        ("question_downvoted", 2, True),
        ("accepted_answer", 2, False),
        ("accepted_answer", -2, True),
        ("accepted_answer", 2, False),
        ("accepted_answer", -2, True),
    ]
    assert await history(api, b) == [
        ("answer_upvoted", 10, False),
        ("answer_downvoted", -2, False),
        ("answer_downvoted", 2, True),
        ("answer_upvoted", 10, False),
        ("answer_accepted", 15, False),
        ("answer_accepted", -15, True),
        ("answer_upvoted", -10, True),
        ("answer_upvoted", -10, True),
    ]
    assert await history(api, c) == [
        ("answer_accepted", 15, False),
        ("answer_accepted", -15, True),
        ("answer_accepted", 15, False),
        ("answer_accepted", -15, True),
    ]
    assert await history(api, d) == []
    assert await history(api, e) == [
        ("question_upvoted", 5, False),
        ("downvoted_answer", -1, False),
        ("downvoted_answer", 1, True),
    ]
    events = (await api.get(f"/api/users/{b.id}/points")).json["results"]
    assert events[-1]["ref"] == {"type": "answer", "id": a1["id"]}
    assert all(event["created_at"].endswith("Z") for event in events)


async def test_deleting_a_question_undoes_everything(api: ApiClient):
    asker, writer, voter = await api.register(), await api.register(), await api.register()
    question = await ask(api, asker)
    reply = await answer(api, writer, question["id"])
    await vote(api, voter, "questions", question["id"], 1)
    await vote(api, asker, "answers", reply["id"], 1)
    await vote(api, voter, "answers", reply["id"], -1)
    await api.post(f"/api/answers/{reply['id']}/accept", token=asker.access)
    assert await points_of(api, asker) == 5 + 2
    assert await points_of(api, writer) == 10 - 2 + 15
    assert (await api.delete(f"/api/questions/{question['id']}/", token=asker.access)).status == 204
    assert (
        await points_of(api, asker),
        await points_of(api, writer),
        await points_of(api, voter),
    ) == (0, 0, 0)
    assert_error(await api.get(f"/api/questions/{question['id']}/"), 404, "not_found")
    assert_error(
        await api.post(f"/api/answers/{reply['id']}/vote", {"value": 1}, token=voter.access),
        404,
        "not_found",
    )


async def test_question_list_filters_and_sorting(api: ApiClient):
    alice, bob, carol = (
        await api.register("Alice"),
        await api.register("Bob"),
        await api.register("Carol"),
    )
    open_q = await ask(
        api, alice, "Café culture: remote work abroad?", "Working from Besançon.", ["remote"]
    )
    answered = await ask(
        api, bob, "Which language should I learn first?", "Python or Go?", ["python", "career"]
    )
    accepted = await ask(api, alice, "How to negotiate my first salary?", "Any tips?", ["career"])
    await answer(api, carol, answered["id"])
    winner = await answer(api, carol, accepted["id"])
    await api.post(f"/api/answers/{winner['id']}/accept", token=alice.access)
    await vote(api, carol, "questions", open_q["id"], 1)
    await vote(api, carol, "questions", accepted["id"], -1)

    async def ids(**params) -> list[str]:
        response = await api.get("/api/questions/?" + urlencode(params))
        assert response.status == 200, response
        return [q["id"] for q in response.json["results"]]

    assert await ids() == [accepted["id"], answered["id"], open_q["id"]]  # newest first
    assert await ids(sort="votes") == [open_q["id"], answered["id"], accepted["id"]]
    # Activity: the accepted question got the last answer; votes are not activity.
    assert await ids(sort="active") == [accepted["id"], answered["id"], open_q["id"]]
    assert await ids(status="open") == [open_q["id"]]
    assert await ids(status="answered") == [answered["id"]]
    assert await ids(status="accepted") == [accepted["id"]]
    assert await ids(tag="career") == [accepted["id"], answered["id"]]
    assert await ids(tag="CAREER") == [accepted["id"], answered["id"]]
    assert await ids(author=alice.id) == [accepted["id"], open_q["id"]]
    assert await ids(q="cafe") == [open_q["id"]]  # accent-insensitive, title
    assert await ids(q="besancon") == [open_q["id"]]  # and body
    assert await ids(q="PYTHON go") == [answered["id"]]
    assert await ids(q="python", tag="remote") == []
    for bad in (
        {"status": "closed"},
        {"sort": "random"},
        {"author": "nope"},
        {"limit": "0"},
        {"cursor": "x"},
    ):
        assert_error(await api.get("/api/questions/?" + urlencode(bad)), 400, "validation_error")


async def test_question_pagination_has_no_duplicates_or_gaps(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    created = [await ask(api, alice, f"Question number {i} about careers") for i in range(13)]
    for i, question in enumerate(created):
        if i % 3 == 0:
            await vote(api, bob, "questions", question["id"], 1)
    for sort in ("newest", "votes", "active"):
        seen, cursor = [], None
        while True:
            query = {"sort": sort, "limit": 4, **({"cursor": cursor} if cursor else {})}
            page = (await api.get("/api/questions/?" + urlencode(query))).json
            seen += [q["id"] for q in page["results"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 13, sort
        assert set(seen) == {q["id"] for q in created}


async def test_mentor_directory_sorts_by_forum_points(api: ApiClient):
    asker, first, second = await api.register(), await api.register(), await api.register()
    for mentor in (first, second):
        await api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)
    question = await ask(api, asker)
    await vote(api, asker, "answers", (await answer(api, second, question["id"]))["id"], 1)
    listing = (await api.get("/api/mentors/?sort=points")).json["results"]
    assert [(m["id"], m["points"]) for m in listing] == [(second.id, 10), (first.id, 0)]
