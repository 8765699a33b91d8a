"""Conversations and messages over REST: creation, inbox, history, edits, read markers."""

from __future__ import annotations

import asyncio

import pytest
from bson import ObjectId

from tests.client import Account, ApiClient
from tests.helpers import assert_error, history, open_direct, send


@pytest.fixture
async def trio(api: ApiClient):
    return await api.register("Alice"), await api.register("Bob"), await api.register("Carol")


async def test_direct_conversation_is_unique_per_pair(api: ApiClient, trio):
    alice, bob, _ = trio
    first = await api.post("/api/conversations/", {"participant_ids": [bob.id]}, token=alice.access)
    assert first.status == 201, first
    conversation = first.json
    assert conversation["kind"] == "direct"
    assert conversation["title"] is None
    assert {p["id"] for p in conversation["participants"]} == {alice.id, bob.id}
    assert all("email" not in p for p in conversation["participants"])
    assert conversation["last_message"] is None
    assert conversation["unread_count"] == 0
    again = await api.post("/api/conversations/", {"participant_ids": [bob.id]}, token=alice.access)
    assert again.status == 200 and again.json["id"] == conversation["id"]
    other_side = await api.post(
        "/api/conversations/", {"participant_ids": [alice.id]}, token=bob.access
    )
    assert other_side.status == 200 and other_side.json["id"] == conversation["id"]


async def test_the_inbox_finds_the_direct_conversation_with_someone_without_making_it(
    api: ApiClient, trio
):
    alice, bob, carol = trio
    path = f"/api/conversations/?with={bob.id}"
    assert (await api.get(path, token=alice.access)).json == {"results": [], "next_cursor": None}
    assert (await api.get("/api/conversations/", token=bob.access)).json["results"] == []
    opened = await api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id], "message": {"client_id": "first", "body": "Hello Bob"}},
        token=alice.access,
    )
    assert opened.status == 201
    [found] = (await api.get(path, token=alice.access)).json["results"]
    assert found["id"] == opened.json["id"] and found["last_message"]["body"] == "Hello Bob"
    assert (await api.get(f"/api/conversations/?with={alice.id}", token=bob.access)).json[
        "results"
    ][0]["id"] == found["id"]
    # Nobody else's: Carol asking about Bob finds nothing.
    assert (await api.get(path, token=carol.access)).json["results"] == []
    assert (await api.get(f"/api/conversations/?with={alice.id}", token=alice.access)).json[
        "results"
    ] == []


async def test_both_sides_creating_at_once_get_one_conversation(api: ApiClient, trio):
    alice, bob, _ = trio
    requests = [
        api.post("/api/conversations/", {"participant_ids": [other.id]}, token=me.access)
        for me, other in [(alice, bob), (bob, alice)] * 6
    ]
    responses = await asyncio.gather(*requests)
    assert sorted(r.status for r in responses) == [200] * 11 + [201]
    assert len({r.json["id"] for r in responses}) == 1
    inbox = (await api.get("/api/conversations/", token=alice.access)).json
    assert len(inbox["results"]) == 1


async def test_duplicates_and_self_are_ignored(api: ApiClient, trio):
    alice, bob, _ = trio
    response = await api.post(
        "/api/conversations/", {"participant_ids": [bob.id, bob.id, alice.id]}, token=alice.access
    )
    assert response.status == 201
    assert response.json["kind"] == "direct"
    assert len(response.json["participants"]) == 2


async def test_group_conversation(api: ApiClient, trio):
    alice, bob, carol = trio
    response = await api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id, carol.id], "title": "  Study group 📚 "},
        token=alice.access,
    )
    assert response.status == 201
    group = response.json
    assert group["kind"] == "group" and group["title"] == "Study group 📚"
    assert len(group["participants"]) == 3
    # Groups are not unique: a second one with the same people is a new conversation.
    again = await api.post(
        "/api/conversations/", {"participant_ids": [bob.id, carol.id]}, token=alice.access
    )
    assert again.status == 201 and again.json["id"] != group["id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"participant_ids": []},
        {"participant_ids": "abc"},
        {"participant_ids": ["not-an-id"]},
        {"participant_ids": [{"$ne": None}]},
        {"participant_ids": [str(ObjectId())]},
        {"participant_ids": [str(ObjectId()) for _ in range(51)]},
        {"participant_ids": ["SELF"]},
        {"participant_ids": ["BOB"], "title": "x" * 101},
        {"participant_ids": ["BOB"], "message": {"body": "no client id"}},
        {"participant_ids": ["BOB"], "message": {"client_id": "c1", "body": "   "}},
    ],
)
async def test_create_validation(api: ApiClient, trio, body: dict):
    alice, bob, _ = trio
    ids = {"SELF": alice.id, "BOB": bob.id}
    if "participant_ids" in body and isinstance(body["participant_ids"], list):
        body = {
            **body,
            "participant_ids": [
                ids.get(p, p) if isinstance(p, str) else p for p in body["participant_ids"]
            ],
        }
    error = assert_error(
        await api.post("/api/conversations/", body, token=alice.access), 400, "validation_error"
    )
    assert error["fields"]
    inbox = (await api.get("/api/conversations/", token=alice.access)).json
    assert inbox["results"] == []


async def test_unknown_participant_is_named(api: ApiClient, trio):
    alice, bob, _ = trio
    ghost = str(ObjectId())
    response = await api.post(
        "/api/conversations/", {"participant_ids": [bob.id, ghost]}, token=alice.access
    )
    error = assert_error(response, 400, "validation_error")
    assert ghost in str(error["fields"]["participant_ids"])


async def test_first_message(api: ApiClient, trio):
    alice, bob, _ = trio
    conversation = await open_direct(
        api, alice, bob, message={"client_id": "first", "body": "Hi Bob!"}
    )
    assert conversation["last_message"]["body"] == "Hi Bob!"
    assert conversation["last_message"]["seq"] == 1
    assert conversation["unread_count"] == 0  # your own message is read
    # Asking again with the same first message does not store it twice.
    again = await open_direct(api, alice, bob, message={"client_id": "first", "body": "Hi Bob!"})
    assert again["id"] == conversation["id"]
    assert [m["seq"] for m in (await history(api, alice, conversation["id"]))["results"]] == [1]
    bob_view = (await api.get(f"/api/conversations/{conversation['id']}/", token=bob.access)).json
    assert bob_view["unread_count"] == 1


async def test_send_and_idempotent_retry(api: ApiClient, trio):
    alice, bob, _ = trio
    conversation = await open_direct(api, alice, bob)
    cid = conversation["id"]
    first = await send(api, alice, cid, "Hello 👋", client_id="c-1")
    assert first.status == 201, first
    message = first.json
    assert message["seq"] == 1
    assert message["conversation_id"] == cid
    assert message["sender_id"] == alice.id
    assert message["client_id"] == "c-1"
    assert (
        message["attachments"] == []
        and message["deleted"] is False
        and message["edited_at"] is None
    )
    retry = await send(api, alice, cid, "Hello 👋", client_id="c-1")
    assert retry.status == 200 and retry.json == message
    # The same client id from another sender is another message.
    bobs = await send(api, bob, cid, "Hi!", client_id="c-1")
    assert bobs.status == 201 and bobs.json["seq"] == 2
    assert [m["seq"] for m in (await history(api, alice, cid))["results"]] == [1, 2]


async def test_concurrent_retries_store_one_message(api: ApiClient, trio):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    responses = await asyncio.gather(
        *(send(api, alice, cid, "once", client_id="same") for _ in range(10))
    )
    assert sorted(r.status for r in responses) == [200] * 9 + [201]
    assert len({r.json["id"] for r in responses}) == 1
    assert len((await history(api, alice, cid))["results"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_id": "c", "body": ""}, "body"),
        ({"client_id": "c", "body": "   \n "}, "body"),
        ({"client_id": "c", "body": "x" * 4001}, "body"),
        ({"client_id": "c", "body": 42}, "body"),
        ({"client_id": "c", "body": {"$ne": ""}}, "body"),
        ({"body": "no client id"}, "client_id"),
        ({"client_id": "", "body": "x"}, "client_id"),
        ({"client_id": {"$gt": ""}, "body": "x"}, "client_id"),
        ({"client_id": "c", "body": "x", "attachments": [str(ObjectId())]}, "attachments"),
        ({"client_id": "c", "body": "x", "attachments": "nope"}, "attachments"),
        ({"client_id": "c", "body": "x", "sender_id": "someone"}, "sender_id"),
    ],
)
async def test_send_validation(api: ApiClient, trio, body: dict, field: str):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    response = await api.post(f"/api/conversations/{cid}/messages/", body, token=alice.access)
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert (await history(api, alice, cid))["results"] == []


async def test_4000_characters_is_the_limit(api: ApiClient, trio):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    assert (await send(api, alice, cid, "é" * 4000)).status == 201


async def test_other_peoples_conversations_are_404(api: ApiClient, trio):
    alice, bob, carol = trio
    cid = (await open_direct(api, alice, bob, message={"client_id": "x", "body": "private"}))["id"]
    for response in [
        await api.get(f"/api/conversations/{cid}/", token=carol.access),
        await api.get(f"/api/conversations/{cid}/messages/", token=carol.access),
        await send(api, carol, cid, "let me in"),
        await api.patch(f"/api/conversations/{cid}/messages/1/", {"body": "x"}, token=carol.access),
        await api.delete(f"/api/conversations/{cid}/messages/1/", token=carol.access),
        await api.post(f"/api/conversations/{cid}/read", {"seq": 1}, token=carol.access),
        await api.get(f"/api/conversations/{ObjectId()}/", token=alice.access),
        await api.get("/api/conversations/not-an-id/", token=alice.access),
        await api.get(f"/api/conversations/{cid}/messages/99/", token=alice.access),
    ]:
        assert response.status in (404, 405), response
        if response.status == 404:
            assert_error(response, 404, "not_found")
    assert (await api.get("/api/conversations/", token=carol.access)).json["results"] == []
    assert_error(await api.get(f"/api/conversations/{cid}/"), 401, "unauthorized")


async def test_history_pages_back_through_1000_messages(start_server):
    api = await start_server(send_rate_per_10s=0)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    for i in range(1000):
        response = await send(api, alice if i % 3 else bob, cid, f"message {i + 1}")
        assert response.status == 201
    seen: list[int] = []
    page = await history(api, bob, cid, limit=100)
    while True:
        seqs = [m["seq"] for m in page["results"]]
        assert seqs == sorted(seqs)  # ascending within a page
        seen = seqs + seen
        if page["next_cursor"] is None:
            break
        page = await history(api, bob, cid, limit=100, cursor=page["next_cursor"])
    assert seen == list(range(1, 1001))
    # Explicit before/after.
    assert [m["seq"] for m in (await history(api, bob, cid, before=201, limit=3))["results"]] == [
        198,
        199,
        200,
    ]
    after = await history(api, bob, cid, after=995, limit=10)
    assert [m["seq"] for m in after["results"]] == [996, 997, 998, 999, 1000]
    assert after["next_cursor"] is None
    forward = await history(api, bob, cid, after=0, limit=100)
    collected = [m["seq"] for m in forward["results"]]
    while forward["next_cursor"]:
        forward = await history(api, bob, cid, cursor=forward["next_cursor"], limit=100)
        collected += [m["seq"] for m in forward["results"]]
    assert collected == list(range(1, 1001))
    # One document per message, found through the (conversation, seq) index.
    stored = await api.server.services.db.messages.count_documents(
        {"conversation_id": ObjectId(cid)}
    )
    assert stored == 1000


async def test_history_pages_through_a_range_given_after_and_before(api: ApiClient, trio):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    for i in range(12):
        assert (await send(api, alice, cid, f"message {i + 1}")).status == 201
    page = await history(api, bob, cid, after=2, before=11, limit=3)
    collected = [m["seq"] for m in page["results"]]
    while page["next_cursor"]:
        page = await history(api, bob, cid, cursor=page["next_cursor"], limit=3)
        collected += [m["seq"] for m in page["results"]]
    assert collected == list(range(3, 11))
    assert (await history(api, bob, cid, after=5, before=6))["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        "before=0",
        "after=-1",
        "before=abc",
        "limit=0",
        "limit=101",
        "cursor=zzz",
    ],
)
async def test_history_validation(api: ApiClient, trio, query: str):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    response = await api.get(f"/api/conversations/{cid}/messages/?{query}", token=alice.access)
    assert_error(response, 400, "validation_error")


async def test_edit_and_delete_by_sender_only(api: ApiClient, trio):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "first")
    await send(api, alice, cid, "typo")
    path = f"/api/conversations/{cid}/messages/2/"
    assert_error(await api.patch(path, {"body": "hijack"}, token=bob.access), 403, "forbidden")
    assert_error(await api.delete(path, token=bob.access), 403, "forbidden")
    edited = await api.patch(path, {"body": "fixed"}, token=alice.access)
    assert edited.status == 200
    assert edited.json["body"] == "fixed" and edited.json["edited_at"].endswith("Z")
    inbox = (await api.get("/api/conversations/", token=bob.access)).json["results"][0]
    assert inbox["last_message"]["body"] == "fixed"
    for bad in ({"body": ""}, {"body": 5}, {}, {"body": "x" * 4001}):
        assert_error(await api.patch(path, bad, token=alice.access), 400, "validation_error")
    deleted = await api.delete(path, token=alice.access)
    assert deleted.status == 204
    message = (await history(api, bob, cid))["results"][1]
    assert message["deleted"] is True and message["body"] == "" and message["attachments"] == []
    assert message["seq"] == 2
    inbox = (await api.get("/api/conversations/", token=bob.access)).json["results"][0]
    assert inbox["last_message"]["deleted"] is True and inbox["last_message"]["body"] == ""
    assert_error(await api.patch(path, {"body": "again"}, token=alice.access), 409, "conflict")
    assert_error(await api.delete(path, token=alice.access), 409, "conflict")
    assert_error(
        await api.patch(f"/api/conversations/{cid}/messages/9/", {"body": "x"}, token=alice.access),
        404,
        "not_found",
    )
    assert_error(
        await api.patch(
            f"/api/conversations/{cid}/messages/abc/", {"body": "x"}, token=alice.access
        ),
        404,
        "not_found",
    )


async def test_read_markers_and_unread_counts(api: ApiClient, trio):
    alice, bob, _ = trio
    cid = (await open_direct(api, alice, bob))["id"]
    for i in range(3):
        await send(api, alice, cid, f"m{i}")

    async def state(account: Account) -> tuple[int, int]:
        conversation = (await api.get(f"/api/conversations/{cid}/", token=account.access)).json
        return conversation["unread_count"], conversation["last_read_seq"]

    assert await state(bob) == (3, 0)
    assert await state(alice) == (0, 3)
    assert (
        await api.post(f"/api/conversations/{cid}/read", {"seq": 2}, token=bob.access)
    ).status == 204
    assert await state(bob) == (1, 2)
    await api.post(f"/api/conversations/{cid}/read", {"seq": 1}, token=bob.access)
    assert await state(bob) == (1, 2)  # never backwards
    await api.post(f"/api/conversations/{cid}/read", {"seq": 999}, token=bob.access)
    assert await state(bob) == (0, 3)  # not past the last message
    await send(api, alice, cid, "m3")
    assert await state(bob) == (1, 3)
    inbox = (await api.get("/api/conversations/", token=bob.access)).json["results"]
    assert inbox[0]["unread_count"] == 1
    for bad in ({"seq": -1}, {"seq": "2"}, {"seq": 1.5}, {}, {"seq": True}):
        assert_error(
            await api.post(f"/api/conversations/{cid}/read", bad, token=bob.access),
            400,
            "validation_error",
        )


async def test_inbox_newest_activity_first_and_paginated(api: ApiClient):
    me = await api.register()
    others = [await api.register() for _ in range(5)]
    ids = [(await open_direct(api, me, other))["id"] for other in others]
    await send(api, me, ids[1], "bump")  # activity moves it to the top
    inbox = (await api.get("/api/conversations/", token=me.access)).json
    order = [c["id"] for c in inbox["results"]]
    assert order == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert inbox["results"][0]["last_message"]["body"] == "bump"
    pages, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(f"/api/conversations/?{query}", token=me.access)).json
        pages += [c["id"] for c in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == order


async def test_send_rate_limit(start_server):
    api = await start_server(send_rate_per_10s=3)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    for i in range(3):
        assert (await send(api, alice, cid, f"m{i}")).status == 201
    limited = await send(api, alice, cid, "one too many")
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    assert (await send(api, bob, cid, "bob is fine")).status == 201
