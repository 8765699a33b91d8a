"""Blocks and muted conversations, over REST and WebSocket, both ways, in groups, and on
notifications and emails."""

from __future__ import annotations

from bson import ObjectId

from hypee import clock
from tests.client import Account, ApiClient, Socket
from tests.helpers import PROFILE, answer, ask, assert_error, history, open_direct, send
from tests.mailbox import Mailbox, settle, text_of, verify

DELAY = 120  # HYPEE_MISSED_MESSAGE_DELAY_SECONDS


async def block(api: ApiClient, blocker: Account, blocked: Account) -> None:
    response = await api.put(f"/api/me/blocks/{blocked.id}", token=blocker.access)
    assert response.status == 204, response


async def socket_of(api: ApiClient, account: Account) -> Socket:
    return await Socket.connect(api.base_url, "/ws", account.access)


async def test_a_block_stops_the_direct_conversation_both_ways(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    assert (await send(api, bob, cid, "hello")).status == 201
    await block(api, alice, bob)

    refused = assert_error(await send(api, bob, cid, "are you there?"), 403, "blocked")
    assert "blocked" not in refused["message"].lower()  # neutral for the blocked person
    told = assert_error(await send(api, alice, cid, "bye"), 403, "blocked")
    assert "unblock" in told["message"].lower()  # the blocker is told they blocked
    # Nothing was stored by the refused sends.
    assert [m["body"] for m in (await history(api, alice, cid))["results"]] == ["hello"]
    # Neither can start a conversation with the other.
    for a, b in ((alice, bob), (bob, alice)):
        response = await api.post(
            "/api/conversations/", {"participant_ids": [b.id]}, token=a.access
        )
        assert_error(response, 403, "blocked")

    listed = (await api.get("/api/me/blocks/", token=alice.access)).json["results"]
    assert [entry["user"]["id"] for entry in listed] == [bob.id]
    assert (await api.get("/api/me/blocks/", token=bob.access)).json["results"] == []

    assert (await api.delete(f"/api/me/blocks/{bob.id}", token=alice.access)).status == 204
    assert (await send(api, bob, cid, "again")).status == 201
    assert_error(await api.delete(f"/api/me/blocks/{bob.id}", token=alice.access), 404, "not_found")


async def test_blocking_checks_its_input(api: ApiClient):
    alice = await api.register()
    error = assert_error(
        await api.put(f"/api/me/blocks/{alice.id}", token=alice.access), 400, "validation_error"
    )
    assert "user_id" in error["fields"]
    missing = await api.put(f"/api/me/blocks/{ObjectId()}", token=alice.access)
    assert_error(missing, 404, "not_found")
    assert_error(await api.put("/api/me/blocks/nope", token=alice.access), 404, "not_found")
    assert (await api.put(f"/api/me/blocks/{ObjectId()}")).status == 401


async def test_no_live_signal_passes_between_blocked_people(api: ApiClient):
    alice, bob, carol = [await api.register(n) for n in ("Alice", "Bob", "Carol")]
    group = await api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id, carol.id], "title": "G"},
        token=alice.access,
    )
    gid = group.json["id"]
    await block(api, alice, bob)
    alice_ws = await socket_of(api, alice)
    bob_ws = await socket_of(api, bob)
    carol_ws = await socket_of(api, carol)
    # Presence: Carol sees both; Alice and Bob never see each other online.
    for _ in range(2):
        await carol_ws.expect("presence", skip=())
    await alice_ws.expect("presence", skip=())  # Carol
    await alice_ws.silent(skip=("notification",))
    await bob_ws.expect("presence", skip=())  # Carol
    await bob_ws.silent(skip=("notification",))

    # Typing and read marks from Bob reach Carol, not Alice (and the other way).
    await bob_ws.send({"type": "typing", "conversation_id": gid})
    assert (await carol_ws.expect("typing"))["user_id"] == bob.id
    await alice_ws.silent()

    # In the group, Bob's message reaches Alice marked from_blocked, Carol plainly.
    await bob_ws.send({"type": "message", "conversation_id": gid, "client_id": "b1", "body": "hi"})
    ack = await bob_ws.expect("ack")
    to_carol = (await carol_ws.expect("message"))["message"]
    assert "from_blocked" not in to_carol
    to_alice = (await alice_ws.expect("message", skip=("presence",)))["message"]
    assert to_alice["from_blocked"] is True and to_alice["id"] == ack["message"]["id"]
    await alice_ws.silent(timeout=0.3, skip=("presence",))  # and no notification for it

    # History marks it too, for the blocker only.
    mine = (await history(api, alice, gid))["results"]
    assert [m.get("from_blocked") for m in mine if m["kind"] == "user"] == [True]
    theirs = (await history(api, carol, gid))["results"]
    assert all("from_blocked" not in m for m in theirs)

    said = (await send(api, carol, gid, "from Carol")).json
    await alice_ws.expect("message", skip=("presence", "notification"))
    await bob_ws.expect("message", skip=("presence", "notification"))
    await bob_ws.send({"type": "read", "conversation_id": gid, "seq": said["seq"]})
    assert (await carol_ws.expect("read", skip=("presence", "notification", "message")))[
        "user_id"
    ] == bob.id
    await alice_ws.silent(skip=("presence", "notification"))
    await bob_ws.silent(skip=("presence", "notification"))

    # Alice's own message reaches Bob (folding is the blocker's choice), but not as a
    # notification.
    await alice_ws.send({"type": "message", "conversation_id": gid, "client_id": "a1", "body": "x"})
    await alice_ws.expect("ack")
    assert (await bob_ws.expect("message", skip=("presence",)))["message"]["body"] == "x"
    await bob_ws.silent(skip=("presence",))
    notified = await api.get("/api/notifications/?unread=true", token=bob.access)
    kinds = [(n["kind"], n["data"].get("conversation_id")) for n in notified.json["results"]]
    assert ("new_message", gid) not in kinds
    for ws in (alice_ws, bob_ws, carol_ws):
        ws.close()


async def test_blocked_people_leave_the_blockers_directory(api: ApiClient):
    mentor, mentee = await api.register("Mira"), await api.register("Tom")
    assert (await api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)).status == 200
    ids = lambda page: [m["id"] for m in page.json["results"]]  # noqa: E731
    assert mentor.id in ids(await api.get("/api/mentors/", token=mentee.access))
    await block(api, mentee, mentor)
    assert mentor.id not in ids(await api.get("/api/mentors/", token=mentee.access))
    assert mentor.id not in ids(await api.get("/api/mentors/?q=backend", token=mentee.access))
    assert mentor.id in ids(await api.get("/api/mentors/"))  # others still see them


async def test_a_block_stops_forum_notifications_and_emails(mail_api: ApiClient, mailbox: Mailbox):
    api = mail_api
    alice, bob = await api.register("Alice"), await api.register("Bob")
    for account in (alice, bob):
        await verify(api, mailbox, account)
    question = await ask(api, alice)
    await block(api, alice, bob)
    await answer(api, bob, question["id"])
    await settle(api)()
    notified = (await api.get("/api/notifications/", token=alice.access)).json["results"]
    assert [n for n in notified if n["kind"] == "new_answer"] == []
    assert [m for m in mailbox.messages if "answer" in m["Subject"].lower()] == []


async def test_a_muted_conversation_notifies_nothing_but_still_counts(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    assert (await api.put(f"/api/conversations/{cid}/mute", token=alice.access)).status == 204
    alice_ws = await socket_of(api, alice)
    await send(api, bob, cid, "one")
    assert (await alice_ws.expect("message", skip=("presence",)))["message"]["body"] == "one"
    await alice_ws.silent(skip=("presence",))  # no notification frame
    unread = (await api.get("/api/notifications/?unread=true", token=alice.access)).json
    assert [n for n in unread["results"] if n["kind"] == "new_message"] == []
    conversation = (await api.get(f"/api/conversations/{cid}/", token=alice.access)).json
    assert conversation["muted"] is True and conversation["unread_count"] == 1
    muted = (await api.get("/api/me/muted-conversations/", token=alice.access)).json
    assert [c["id"] for c in muted["results"]] == [cid]
    # Someone else's conversation cannot be muted.
    carol = await api.register("Carol")
    response = await api.put(f"/api/conversations/{cid}/mute", token=carol.access)
    assert_error(response, 404, "not_found")

    assert (await api.delete(f"/api/conversations/{cid}/mute", token=alice.access)).status == 204
    await send(api, bob, cid, "two")
    await alice_ws.expect("message", skip=("presence",))
    assert (await alice_ws.expect("notification", skip=("presence",)))["notification"]["kind"] == (
        "new_message"
    )
    alice_ws.close()


async def test_a_missed_message_email_leaves_out_blocked_people_and_muted_conversations(
    mail_api: ApiClient, mailbox: Mailbox
):
    api = mail_api
    alice, bob, carol = [await api.register(n) for n in ("Alice", "Bob", "Carol")]
    await verify(api, mailbox, alice)
    group = await api.post(
        "/api/conversations/",
        {"participant_ids": [alice.id, bob.id], "title": "Study group"},
        token=carol.access,
    )
    gid = group.json["id"]
    direct = (await open_direct(api, carol, alice))["id"]
    await block(api, alice, bob)
    assert (await api.put(f"/api/conversations/{direct}/mute", token=alice.access)).status == 204
    await send(api, bob, gid, "from the blocked one")
    await send(api, carol, gid, "from Carol")
    await send(api, carol, direct, "in the muted one")
    clock.advance(DELAY + 1)
    await settle(api)()
    [_, missed] = await mailbox.wait_for(alice.email, 2, settle=settle(api))
    text = text_of(missed)
    assert "from Carol" in text
    assert "from the blocked one" not in text and "in the muted one" not in text
    clock.advance(DELAY * 3)
    await settle(api)()
    assert len(mailbox.to(alice.email)) == 2


async def test_a_group_made_after_a_block_folds_the_blocked_persons_messages(api: ApiClient):
    alice, bob, carol = [await api.register(n) for n in ("Alice", "Bob", "Carol")]
    await block(api, alice, bob)
    group = await api.post(
        "/api/conversations/", {"participant_ids": [alice.id, bob.id]}, token=carol.access
    )
    gid = group.json["id"]
    alice_ws = await socket_of(api, alice)
    assert (await send(api, bob, gid, "hi all")).status == 201
    folded = (await alice_ws.expect("message", skip=("presence", "notification")))["message"]
    assert folded["from_blocked"] is True
    alice_ws.close()
    # Unblocked, the next one arrives plainly.
    assert (await api.delete(f"/api/me/blocks/{bob.id}", token=alice.access)).status == 204
    alice_ws = await socket_of(api, alice)
    await send(api, bob, gid, "again")
    plain = (await alice_ws.expect("message", skip=("presence", "notification")))["message"]
    assert "from_blocked" not in plain
    alice_ws.close()
