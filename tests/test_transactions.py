"""Units of work as MongoDB transactions, through PyMongo's real client: the wire stand-in
(tests/mongowire.py) in replica-set mode, with a write made to fail half-way through a unit
(`configureFailPoint`, as MongoDB's own test servers offer). The unit leaves nothing: neither
the write before the failure nor anything after it. On a standalone server there are no
transactions, and the first write stays (what `run.py --repair` is for)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from hypee.db import connect_mongo
from hypee.units import TRANSIENT_ATTEMPTS
from tests.client import ApiClient
from tests.helpers import answer, ask, history, open_direct, send
from tests.mongowire import WireEngine, WireServer


@pytest.fixture(params=["replica-set", "standalone"])
async def wire(request) -> AsyncIterator[tuple[str, bool]]:
    transactions = request.param == "replica-set"
    server = WireServer(WireEngine(replica_set=transactions))
    port = await server.start()
    yield f"mongodb://127.0.0.1:{port}/", transactions
    await server.stop()


async def fail_next(
    uri: str, database: str, collection: str, times: int = 1, labels: tuple[str, ...] = ()
) -> None:
    """The next `times` inserts into `database.collection` fail, with the error `labels`."""
    client: AsyncMongoClient = AsyncMongoClient(uri)
    namespace = f"{database}.{collection}"
    data = {"failCommands": ["insert"], "namespace": namespace, "errorLabels": list(labels)}
    try:
        await client.admin.command(
            {"configureFailPoint": "failCommand", "mode": {"times": times}, "data": data}
        )
    finally:
        await client.close()


async def started(start_server, uri: str) -> tuple[ApiClient, str]:
    name = f"hypee_txn_{uuid.uuid4().hex[:10]}"
    return await start_server(mongo_uri=uri, mongo_db=name), name


async def test_a_send_whose_notification_fails_leaves_no_message(start_server, wire):
    uri, transactions = wire
    api, database = await started(start_server, uri)
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    await fail_next(uri, database, "notifications")  # the write after the message's

    failed = await send(api, alice, cid, "cut half-way")
    assert failed.status >= 500
    kept = [m["body"] for m in (await history(api, bob, cid))["results"]]
    unread = (await api.get("/api/notifications/?unread=true", token=bob.access)).json
    if transactions:
        assert kept == [] and unread["unread_count"] == 1  # only the conversation's
    else:
        assert kept == ["cut half-way"]  # standalone: the first write stayed
    again = await send(api, alice, cid, "sent whole")
    assert again.status == 201
    if transactions:
        assert again.json["seq"] == 1  # the failed send took no number either


async def test_a_vote_whose_points_fail_leaves_no_vote_and_no_score(start_server, wire):
    uri, transactions = wire
    api, database = await started(start_server, uri)
    asker, voter = await api.register("Asker"), await api.register("Voter")
    question = await ask(api, asker)
    reply = await answer(api, voter, question["id"])
    await fail_next(uri, database, "point_events")  # after the vote and the score

    vote = await api.post(f"/api/answers/{reply['id']}/vote", {"value": 1}, token=asker.access)
    assert vote.status >= 500
    shown = (await api.get(f"/api/questions/{question['id']}/", token=asker.access)).json
    score = shown["answers"][0]["score"]
    voter_points = (await api.get(f"/api/users/{voter.id}")).json["points"]
    if transactions:
        assert (score, shown["answers"][0]["my_vote"], voter_points) == (0, 0, 0)
    else:
        assert score == 1  # standalone: the score moved without its points


@pytest.mark.parametrize("failures", [1, TRANSIENT_ATTEMPTS])
async def test_a_send_the_server_rolled_back_runs_again(start_server, failures):
    """A transient rollback (another transaction wrote the same documents) runs the send
    again, whole; past TRANSIENT_ATTEMPTS the answer is 503 with Retry-After, and nothing."""
    server = WireServer(WireEngine(replica_set=True))
    uri = f"mongodb://127.0.0.1:{await server.start()}/"
    try:
        api, database = await started(start_server, uri)
        alice, bob = await api.register("Alice"), await api.register("Bob")
        cid = (await open_direct(api, alice, bob))["id"]
        transient = ("TransientTransactionError",)
        await fail_next(uri, database, "notifications", times=failures, labels=transient)

        sent = await send(api, alice, cid, "sent in the end")
        kept = [(m["seq"], m["body"]) for m in (await history(api, bob, cid))["results"]]
        if failures < TRANSIENT_ATTEMPTS:
            assert sent.status == 201 and sent.json["seq"] == 1
            assert kept == [(1, "sent in the end")]
        else:
            assert (sent.status, sent.json["error"]["code"]) == (503, "unavailable")
            assert sent.headers["Retry-After"] == "1"
            assert kept == []
    finally:
        await server.stop()


async def test_the_store_says_what_a_unit_of_work_is(wire):
    uri, transactions = wire
    store = connect_mongo(uri, "hypee_describe", 5000)
    try:
        described = await store.describe_units()
    finally:
        await store.close()
    assert described.startswith("a MongoDB transaction" if transactions else "steps")
