"""`run.py --check` and `--repair`: each invariant, broken the way a crash between two writes
on MongoDB would break it, is found, then restored from its source of truth."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from hypee.jsonio import utcnow
from services.integrity import IntegrityService
from tests.client import ApiClient
from tests.helpers import answer, ask, open_direct, send
from tests.processes import run_command, server_env


def integrity(api: ApiClient) -> IntegrityService:
    services = api.server.services
    return IntegrityService(services.store, services.attachments)


async def test_each_broken_invariant_is_found_then_repaired(api: ApiClient):
    alice, bob, carol = [await api.register(name) for name in ("Alice", "Bob", "Carol")]
    cid = (await open_direct(api, alice, bob))["id"]
    for n in range(3):
        assert (await send(api, alice, cid, f"m{n}")).status == 201
    question = await ask(api, alice)
    first = await answer(api, bob, question["id"])
    second = await answer(api, carol, question["id"])
    await api.post(f"/api/answers/{first['id']}/vote", {"value": 1}, token=alice.access)
    await api.post(f"/api/answers/{first['id']}/accept", token=alice.access)
    assert (await integrity(api).run(repair=False)).clean

    db = api.server.services.db
    # Two seqs reserved with no message (crashes between the two writes of a send), the
    # second one's summary left in the inbox.
    phantom = {"_id": ObjectId(), "sender_id": ObjectId(alice.id), "body": "lost"}
    phantom |= {"client_id": "x", "attachments": [], "created_at": utcnow(), "deleted": False}
    before = await db.conversations.find_one({"_id": ObjectId(cid)})
    phantom["rev"] = before["rev"] + 2
    await db.conversations.update_one(
        {"_id": ObjectId(cid)}, {"$inc": {"seq": 2, "rev": 2}, "$set": {"last_message": phantom}}
    )
    # Points and scores changed without their history (a crash inside a vote).
    await db.users.update_one({"_id": ObjectId(bob.id)}, {"$inc": {"points": 5}})
    await db.answers.update_one({"_id": ObjectId(first["id"])}, {"$inc": {"score": 3}})
    # An answer count and an acceptance flag that disagree with the answers.
    await db.questions.update_one({"_id": ObjectId(question["id"])}, {"$inc": {"answer_count": 1}})
    await db.answers.update_one({"_id": ObjectId(second["id"])}, {"$set": {"accepted": True}})
    # A lock left by a process that died holding it.
    stale = utcnow() - timedelta(minutes=5)
    await db.votes.update_many({}, {"$set": {"lock": "dead", "lock_at": stale}})

    report = await integrity(api).run(repair=False)
    assert set(report.found) == {
        "seq reservations without a message",
        "last_message not the last stored message",
        "points that differ from the point history",
        "answer scores that differ from their votes",
        "answer counts that differ from the answers",
        "answers flagged against their question",
        "locks left by a crashed process",
    }, report.found
    # The skipped seqs make Bob's unread count wrong until the repair.
    assert (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json["unread_count"] == 5

    await integrity(api).run(repair=True)
    assert (await integrity(api).run(repair=False)).clean
    view = (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json
    assert view["unread_count"] == 3
    assert view["last_message"]["body"] == "m2"
    bob_now = (await api.get(f"/api/users/{bob.id}")).json
    assert bob_now["points"] == 10 + 15  # one upvote, one acceptance
    detail = (await api.get(f"/api/questions/{question['id']}/")).json
    assert detail["answer_count"] == 2
    assert [a["accepted"] for a in detail["answers"]] == [True, False]
    assert detail["answers"][0]["score"] == 1
    # Sending goes on after the skipped seqs, and the counts stay exact.
    assert (await send(api, alice, cid, "after")).json["seq"] == 6
    assert (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json["unread_count"] == 4


async def test_check_and_repair_from_the_command_line(tmp_path):
    env = server_env(HYPEE_DATA_DIR=str(tmp_path / "data"))
    code, stdout, _ = await run_command("--check", env=env)
    assert (code, stdout.strip()) == (0, "every invariant holds")
    code, stdout, _ = await run_command("--repair", env=env)
    assert (code, stdout.strip()) == (0, "every invariant holds")


async def test_copies_of_blocks_and_standing_are_found_then_repaired(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = ObjectId((await open_direct(api, alice, bob))["id"])
    assert (await api.put(f"/api/me/blocks/{bob.id}", token=alice.access)).status == 204
    assert (await integrity(api).run(repair=False)).clean
    db = api.server.services.db
    # A crash after the block was stored but before its copies (MongoDB without transactions):
    # Alice's account and Bob's standing in their conversation lost them.
    await db.users.update_one({"_id": ObjectId(alice.id)}, {"$set": {"blocked_ids": []}})
    await db.conversations.update_one(
        {"_id": cid}, {"$unset": {f"members.{bob.id}.blocked_by_ids": ""}}
    )
    found = await integrity(api).run(repair=False)
    assert found.found == {
        "accounts whose copies of their blocks differ from the blocks": 1,
        "members whose standing differs from their account": 1,
    }
    await integrity(api).run(repair=True)
    assert (await integrity(api).run(repair=False)).clean
    # Repaired, the block acts again on the send path.
    refused = await send(api, bob, str(cid), "hello?")
    assert refused.status == 403 and refused.json["error"]["code"] == "blocked"
