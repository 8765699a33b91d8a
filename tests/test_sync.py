"""Lossless sync: a client that was away learns every change (new, edited, deleted messages
and read marks), over the socket (`resume` with `revs`) and over REST (`changes/`)."""

from __future__ import annotations

import random
from typing import Any

from bson import ObjectId

from hypee.jsonio import utcnow
from models import migrations
from tests.client import BACKGROUND, Account, ApiClient, Socket
from tests.helpers import assert_error, history, open_direct, send

ROUNDS = 3
CHANGES_WHILE_AWAY = 200


async def full_history(api: ApiClient, account: Account, cid: str) -> dict[int, dict]:
    """Every message of the conversation, as REST lists it now: {seq: message}."""
    held: dict[int, dict] = {}
    page = await history(api, account, cid, after=0, limit=100)
    while True:
        held.update({m["seq"]: m for m in page["results"]})
        if not page["next_cursor"]:
            return held
        page = await history(api, account, cid, cursor=page["next_cursor"], limit=100)


def apply(held: dict[int, dict], message: dict) -> None:
    """What a client does with a message it is given: keep the version with the highest rev."""
    mine = held.get(message["seq"])
    if mine is None or mine["rev"] < message["rev"]:
        held[message["seq"]] = message


async def make_changes(api: ApiClient, people: list[Account], cid: str, rng: random.Random):
    """A random mix of sends, edits and deletes by both participants."""
    sent: dict[int, Account] = {
        m["seq"]: next(p for p in people if p.id == m["sender_id"])
        for m in (await full_history(api, people[0], cid)).values()
        if not m["deleted"]
    }
    for n in range(CHANGES_WHILE_AWAY):
        action = rng.random()
        if action < 0.5 or not sent:
            author = rng.choice(people)
            message = (await send(api, author, cid, f"message {n}")).json
            sent[message["seq"]] = author
        elif action < 0.8:
            seq = rng.choice(list(sent))
            path = f"/api/conversations/{cid}/messages/{seq}/"
            edited = await api.patch(path, {"body": f"edit {n}"}, token=sent[seq].access)
            assert edited.status == 200, edited
        else:
            seq = rng.choice(list(sent))
            path = f"/api/conversations/{cid}/messages/{seq}/"
            assert (await api.delete(path, token=sent.pop(seq).access)).status == 204


async def resume(socket: Socket, cid: str, held: dict[int, dict], rev: int) -> tuple[int, dict]:
    """Send `resume` with the client's cursor and rev; apply what comes back until `resumed`.
    Returns (the new rev, the read marks)."""
    cursor = max(held, default=0)
    await socket.send({"type": "resume", "cursors": {cid: cursor}, "revs": {cid: rev}})
    marks: dict[str, int] = {}
    while True:
        frame = await socket.expect_any(skip=BACKGROUND)
        if frame["type"] in ("message", "message_updated"):
            apply(held, frame["message"])
            rev = max(rev, frame["message"]["rev"])
        elif frame["type"] == "read":
            marks[frame["user_id"]] = frame["seq"]
        elif frame["type"] == "resumed":
            return rev, marks
        else:
            raise AssertionError(frame)


async def test_a_returning_client_holds_exactly_the_servers_view(start_server):
    api = await start_server(send_rate_per_10s=0)
    rng = random.Random(11)
    mentee, mentor = await api.register("Mentee"), await api.register("Mentor")
    cid = (await open_direct(api, mentee, mentor))["id"]
    for n in range(10):
        await send(api, mentee, cid, f"before {n}")
    held = await full_history(api, mentor, cid)
    rev = (await api.get(f"/api/conversations/{cid}/", token=mentor.access)).json["rev"]
    for _ in range(ROUNDS):
        await make_changes(api, [mentee, mentor], cid, rng)  # the mentor is offline
        socket = await Socket.connect(api.base_url, token=mentor.access)
        rev, marks = await resume(socket, cid, held, rev)
        socket.close()
        assert held == await full_history(api, mentor, cid)
        view = (await api.get(f"/api/conversations/{cid}/", token=mentor.access)).json
        assert rev == view["rev"]
        assert marks == view["read_marks"]


async def test_changes_over_rest_bring_a_copy_up_to_date_and_410_past_the_known_revs(
    start_server,
):
    api = await start_server(send_rate_per_10s=0)
    rng = random.Random(12)
    mentee, mentor = await api.register("Mentee"), await api.register("Mentor")
    cid = (await open_direct(api, mentee, mentor))["id"]
    held: dict[int, dict] = {}
    rev = 0
    for _ in range(ROUNDS):
        await make_changes(api, [mentee, mentor], cid, rng)
        url = f"/api/conversations/{cid}/changes/?after_rev={rev}&limit=37"
        while url:
            page = (await api.get(url, token=mentor.access)).json
            revs = [m["rev"] for m in page["results"]]
            assert revs == sorted(revs) and len(set(revs)) == len(revs)
            for message in page["results"]:
                apply(held, message)
                rev = message["rev"]
            cursor = page["next_cursor"]
            url = f"/api/conversations/{cid}/changes/?cursor={cursor}&limit=37" if cursor else ""
        assert held == await full_history(api, mentor, cid)
        assert rev == (await api.get(f"/api/conversations/{cid}/", token=mentor.access)).json["rev"]
    # Nothing new: an empty page. A rev the conversation never reached: 410 stale.
    empty = await api.get(f"/api/conversations/{cid}/changes/?after_rev={rev}", token=mentor.access)
    assert empty.json == {"results": [], "next_cursor": None}
    beyond = await api.get(
        f"/api/conversations/{cid}/changes/?after_rev={rev + 1}", token=mentor.access
    )
    assert_error(beyond, 410, "stale")
    stranger = await api.register("Stranger")
    outside = await api.get(f"/api/conversations/{cid}/changes/", token=stranger.access)
    assert_error(outside, 404, "not_found")


async def test_read_marks_survive_a_reload(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    for n in range(4):
        await send(api, alice, cid, f"m{n}")
    await api.post(f"/api/conversations/{cid}/read", {"seq": 3}, token=bob.access)
    for who in (alice, bob):
        view = (await api.get(f"/api/conversations/{cid}/", token=who.access)).json
        assert view["read_marks"] == {alice.id: 4, bob.id: 3}
    inbox = (await api.get("/api/conversations/", token=alice.access)).json["results"]
    assert inbox[0]["read_marks"] == {alice.id: 4, bob.id: 3}


async def test_frames_and_answers_carry_the_rev(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    bob_socket = await Socket.connect(api.base_url, token=bob.access)
    alice_socket = await Socket.connect(api.base_url, token=alice.access)
    frame = {"type": "message", "conversation_id": cid, "client_id": "a", "body": "hi"}
    await alice_socket.send(frame)
    assert (await alice_socket.expect("ack"))["message"]["rev"] == 1
    assert (await bob_socket.expect("message"))["message"]["rev"] == 1
    edited = await api.patch(
        f"/api/conversations/{cid}/messages/1/", {"body": "hello"}, token=alice.access
    )
    assert edited.json["rev"] == 2
    assert (await bob_socket.expect("message_updated"))["message"]["rev"] == 2
    view = (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json
    assert view["rev"] == 2 and view["last_message"]["rev"] == 2
    alice_socket.close()
    bob_socket.close()


async def test_conversations_from_before_revs_get_them(memory_db: Any):
    cid, sender = ObjectId(), ObjectId()
    now = utcnow()
    message = {"sender_id": sender, "body": "old", "client_id": "c", "attachments": []}
    message |= {"created_at": now, "edited_at": None, "deleted": False}
    await memory_db.conversations.insert_one(
        {
            "_id": cid,
            "kind": "direct",
            "participants": [sender],
            "members": {str(sender): {"last_read_seq": 2}},
            "seq": 2,
            "last_message": {"_id": ObjectId(), **message},
            "skipped": [],
            "created_by": sender,
            "created_at": now,
            "updated_at": now,
        }
    )
    for seq in (1, 2):
        await memory_db.messages.insert_one(
            {
                **message,
                "_id": ObjectId(),
                "conversation_id": cid,
                "seq": seq,
                "client_id": f"{seq}",
            }
        )
    await migrations.run(memory_db)
    await migrations.run(memory_db)  # idempotent
    conversation = await memory_db.conversations.find_one({"_id": cid})
    assert conversation["rev"] == 2 and conversation["last_message"]["rev"] == 2
    stored = await memory_db.messages.find({"conversation_id": cid}).to_list(None)
    assert sorted((m["seq"], m["rev"]) for m in stored) == [(1, 1), (2, 2)]
