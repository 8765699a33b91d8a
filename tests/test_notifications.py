"""Notifications: stored, pushed over sockets, coalesced for messages, listed, marked read."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.client import Account, ApiClient, Socket
from tests.helpers import answer, ask, assert_error, open_direct, send


async def notifications(api: ApiClient, account: Account, query: str = "") -> dict:
    response = await api.get(f"/api/notifications/{query}", token=account.access)
    assert response.status == 200, response
    return response.json


async def test_forum_notifications_are_pushed_and_listed(api: ApiClient):
    asker, writer = await api.register("Asker"), await api.register("Writer")
    asker_socket = await Socket.connect(api.base_url, "/ws", asker.access)
    question = await ask(api, asker)
    reply = await answer(api, writer, question["id"])
    pushed = (await asker_socket.expect("notification", skip=("presence",)))["notification"]
    assert pushed["kind"] == "new_answer" and pushed["read"] is False
    assert pushed["data"] == {
        "question_id": question["id"],
        "answer_id": reply["id"],
        "question_title": question["title"],
        "author_id": writer.id,
        "actor_name": "Writer",
    }
    # The writer is offline; the acceptance waits in their list.
    await api.post(f"/api/answers/{reply['id']}/accept", token=asker.access)
    listed = await notifications(api, writer)
    assert listed["unread_count"] == 1
    [accepted] = listed["results"]
    assert accepted["kind"] == "answer_accepted"
    assert (
        accepted["data"]["answer_id"] == reply["id"] and accepted["data"]["accepted_by"] == asker.id
    )
    assert accepted["data"]["actor_name"] == "Asker"
    # Now connected: the next acceptance arrives as a frame.
    writer_socket = await Socket.connect(api.base_url, "/ws", writer.access)
    await api.delete(f"/api/answers/{reply['id']}/accept", token=asker.access)
    await api.post(f"/api/answers/{reply['id']}/accept", token=asker.access)
    frame = await writer_socket.expect("notification", skip=("presence",))
    assert frame["notification"]["kind"] == "answer_accepted"
    assert (await notifications(api, writer))["unread_count"] == 2
    await asker_socket.silent(skip=("presence",))  # nothing about their own acceptance


async def test_no_notification_for_your_own_actions(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    question = await ask(api, alice)
    mine = await answer(api, alice, question["id"])
    await api.post(f"/api/answers/{mine['id']}/accept", token=alice.access)
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hello")
    assert (await notifications(api, alice))["results"] == []
    kinds = [n["kind"] for n in (await notifications(api, bob))["results"]]
    assert kinds == ["new_message", "new_conversation"]


async def test_notifications_name_the_person_who_caused_them(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    group_member = await api.register("Cat")
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hello")
    group = await api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id, group_member.id], "title": "Study group"},
        token=group_member.access,
    )
    assert group.status == 201
    named = {
        (n["kind"], n["data"]["conversation_id"]): n["data"]["actor_name"]
        for n in (await notifications(api, bob))["results"]
    }
    assert named == {
        ("new_message", cid): "Alice",
        ("new_conversation", cid): "Alice",
        ("new_conversation", group.json["id"]): "Cat",
    }


async def test_ten_messages_leave_one_unread_notification(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    bob_socket = await Socket.connect(api.base_url, "/ws", bob.access)
    for i in range(10):
        await send(api, alice, cid, f"message {i}")
    listed = await notifications(api, bob, "?unread=true")
    messages = [n for n in listed["results"] if n["kind"] == "new_message"]
    assert len(messages) == 1
    assert messages[0]["data"]["conversation_id"] == cid
    assert messages[0]["data"]["count"] == 10
    assert messages[0]["data"]["last_message"]["body"] == "message 9"
    assert messages[0]["data"]["last_message"]["seq"] == 10
    assert listed["unread_count"] == 2  # plus new_conversation
    # Only the first message of the run was pushed as a notification.
    pushed = []
    while True:
        try:
            frame = await bob_socket.recv(timeout=0.3)
        except TimeoutError:
            break
        if frame["type"] == "notification":
            pushed.append(frame["notification"]["kind"])
    assert pushed == ["new_message"]
    # Reading up to the last message marks it read; reading part of it does not.
    await api.post(f"/api/conversations/{cid}/read", {"seq": 5}, token=bob.access)
    assert (await notifications(api, bob))["unread_count"] == 2
    await api.post(f"/api/conversations/{cid}/read", {"seq": 10}, token=bob.access)
    assert (await notifications(api, bob))["unread_count"] == 0  # new_conversation too
    # The next message starts a new unread one.
    await send(api, alice, cid, "one more")
    listed = await notifications(api, bob)
    fresh = [n for n in listed["results"] if n["kind"] == "new_message" and not n["read"]]
    assert len(fresh) == 1 and fresh[0]["data"]["count"] == 1
    assert listed["results"][0]["id"] == fresh[0]["id"]  # newest first


async def test_reading_over_the_socket_marks_the_notification_read(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hi")
    bob_socket = await Socket.connect(api.base_url, "/ws", bob.access)
    await bob_socket.send({"type": "read", "conversation_id": cid, "seq": 1})
    await bob_socket.send({"type": "ping"})
    await bob_socket.expect("pong")
    unread = (await notifications(api, bob, "?unread=true"))["results"]
    assert unread == []  # the message's and the conversation's: bob has seen it


async def test_group_messages_notify_every_other_participant(api: ApiClient):
    people = [await api.register() for _ in range(4)]
    response = await api.post(
        "/api/conversations/",
        {"participant_ids": [p.id for p in people[1:]]},
        token=people[0].access,
    )
    cid = response.json["id"]
    await send(api, people[1], cid, "hello all")
    for index, person in enumerate(people):
        kinds = sorted(n["kind"] for n in (await notifications(api, person))["results"])
        expected = {0: ["new_message"], 1: ["new_conversation"]}.get(
            index, ["new_conversation", "new_message"]
        )
        assert kinds == expected, index


async def test_mark_read_by_ids_and_all(api: ApiClient):
    asker, writer, other = await api.register(), await api.register(), await api.register()
    question = await ask(api, asker)
    for _ in range(3):
        await answer(api, writer, question["id"])
    listed = await notifications(api, asker)
    assert listed["unread_count"] == 3
    first = listed["results"][0]["id"]
    # Someone else's ids are ignored.
    assert (
        await api.post("/api/notifications/read", {"ids": [first]}, token=other.access)
    ).status == 204
    assert (await notifications(api, asker))["unread_count"] == 3
    assert (
        await api.post("/api/notifications/read", {"ids": [first]}, token=asker.access)
    ).status == 204
    listed = await notifications(api, asker)
    assert listed["unread_count"] == 2
    assert [n["read"] for n in listed["results"]] == [True, False, False]
    assert [n["id"] for n in (await notifications(api, asker, "?unread=true"))["results"]] == [
        n["id"] for n in listed["results"][1:]
    ]
    assert (
        await api.post("/api/notifications/read", {"all": True}, token=asker.access)
    ).status == 204
    assert (await notifications(api, asker))["unread_count"] == 0
    page = await notifications(api, asker, "?limit=2")
    assert len(page["results"]) == 2 and page["next_cursor"]
    rest = await notifications(api, asker, f"?limit=2&cursor={page['next_cursor']}")
    assert len(rest["results"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"ids": []},
        {"ids": ["nope"]},
        {"ids": [str(ObjectId())], "all": True},
        {"all": "yes"},
        {"ids": {"$ne": None}},
    ],
)
async def test_mark_read_validation(api: ApiClient, body):
    alice = await api.register()
    assert_error(
        await api.post("/api/notifications/read", body, token=alice.access), 400, "validation_error"
    )


async def test_notifications_need_auth_and_validate_queries(api: ApiClient):
    alice = await api.register()
    assert_error(await api.get("/api/notifications/"), 401, "unauthorized")
    assert_error(
        await api.get("/api/notifications/?limit=500", token=alice.access), 400, "validation_error"
    )
    assert_error(
        await api.get("/api/notifications/?cursor=zz", token=alice.access), 400, "validation_error"
    )


async def test_reading_a_question_reads_its_notifications_only(api: ApiClient):
    asker, writer = await api.register("Asker"), await api.register("Writer")
    first = await ask(api, asker)
    second = await ask(api, asker, title="How do I ask for a code review kindly?")
    for question in (first, second):
        await answer(api, writer, question["id"])
    read = await api.post(
        "/api/notifications/read", {"question_id": first["id"]}, token=asker.access
    )
    assert read.status == 204
    listed = await notifications(api, asker)
    assert listed["unread_count"] == 1
    [unread] = [n for n in listed["results"] if not n["read"]]
    assert unread["data"]["question_id"] == second["id"]
    both = {"question_id": first["id"], "all": True}
    response = await api.post("/api/notifications/read", both, token=asker.access)
    assert response.status == 400
