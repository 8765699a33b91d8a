"""Two server processes sharing one store, exchanging events through a real redis-server."""

from __future__ import annotations

import asyncio

import pytest

from tests.client import ApiClient, Socket
from tests.helpers import answer, ask, history, open_direct, send
from tests.processes import RedisProcess, two_process_cluster

pytestmark = pytest.mark.slow


@pytest.fixture
async def cluster(tmp_path):
    """(redis, process A, process B), all real processes on loopback ports."""
    async with two_process_cluster(tmp_path, "cluster") as running:
        yield running


async def wait_ready(client: ApiClient, redis_state: str, timeout: float = 15) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await client.get("/readyz")).json
        if body["redis"] == redis_state:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.2)


async def test_events_cross_processes_and_survive_a_redis_restart(cluster, tmp_path):
    redis, a, b = cluster
    alice = await a.client.register("Alice")
    bob = await b.client.register("Bob")
    cid = (await open_direct(a.client, alice, bob))["id"]
    assert (await wait_ready(a.client, "ok"))["store"] == "ok"

    alice_socket = await Socket.connect(a.client.base_url, "/ws", alice.access)
    bob_socket = await Socket.connect(b.client.base_url, "/ws", bob.access)
    # Presence crosses processes: Alice (on A) hears that Bob (on B) came online.
    presence = await alice_socket.expect("presence", skip=())
    assert presence == {"type": "presence", "user_id": bob.id, "online": True}

    await alice_socket.send(
        {"type": "message", "conversation_id": cid, "client_id": "a1", "body": "from A"}
    )
    ack = await alice_socket.expect("ack")
    assert (await bob_socket.expect("message"))["message"] == ack["message"]
    await bob_socket.send(
        {"type": "message", "conversation_id": cid, "client_id": "b1", "body": "from B"}
    )
    await bob_socket.expect("ack")
    assert (await alice_socket.expect("message"))["message"]["body"] == "from B"
    await bob_socket.send({"type": "typing", "conversation_id": cid})
    assert (await alice_socket.expect("typing"))["user_id"] == bob.id

    # Redis goes away: messages are still stored and acked, and /readyz says so (still 200).
    await redis.kill()
    await alice_socket.send(
        {"type": "message", "conversation_id": cid, "client_id": "a2", "body": "during outage"}
    )
    assert (await alice_socket.expect("ack"))["message"]["seq"] == 3
    ready = await wait_ready(a.client, "down")
    assert ready["store"] == "ok"
    assert (await a.client.get("/readyz")).status == 200

    # Redis comes back on the same port: the bridges reconnect by themselves.
    await RedisProcess.restart_on(redis)
    await wait_ready(a.client, "ok")
    await wait_ready(b.client, "ok")
    deadline = asyncio.get_running_loop().time() + 10
    flowing = None
    n = 0
    while flowing is None:
        n += 1
        await send(a.client, alice, cid, f"after restart {n}")
        try:
            while True:
                frame = await bob_socket.recv(timeout=0.5)
                assert frame is not None
                if frame["type"] == "message" and frame["message"]["body"].startswith(
                    "after restart"
                ):
                    flowing = frame["message"]
                    break
        except TimeoutError:
            assert asyncio.get_running_loop().time() < deadline, "fan-out did not recover"

    # Nothing stored was lost: Bob resumes from the store and gets what the outage hid.
    await bob_socket.send({"type": "resume", "cursors": {cid: 2}})
    resumed = []
    while True:
        frame = await bob_socket.recv()
        if frame["type"] == "resumed":
            break
        if frame["type"] == "message" and frame["message"]["seq"] <= flowing["seq"]:
            resumed.append(frame["message"]["seq"])
    assert sorted(set(resumed)) == list(range(3, flowing["seq"] + 1))
    stored = (await history(b.client, bob, cid, after=0))["results"]
    assert [m["seq"] for m in stored] == list(range(1, 3 + n + 1))
    assert stored[2]["body"] == "during outage"


async def test_presence_counts_sockets_on_every_process(cluster):
    _, a, b = cluster
    alice = await a.client.register("Alice")
    bob = await a.client.register("Bob")
    await open_direct(a.client, alice, bob)
    watcher = await Socket.connect(a.client.base_url, "/ws", alice.access)
    bob_on_a = await Socket.connect(a.client.base_url, "/ws", bob.access)
    assert (await watcher.expect("presence", skip=()))["online"] is True
    bob_on_b = await Socket.connect(b.client.base_url, "/ws", bob.access)
    await watcher.silent(0.5, skip=())  # already online
    bob_on_a.close()
    await watcher.silent(0.5, skip=())  # still online on B
    bob_on_b.close()
    offline = await watcher.expect("presence", skip=())
    assert offline == {"type": "presence", "user_id": bob.id, "online": False}


async def test_logout_on_one_process_closes_sockets_on_another(cluster):
    _, a, b = cluster
    bob = await a.client.register("Bob")
    socket = await Socket.connect(b.client.base_url, "/ws", bob.access)
    response = await a.client.post("/api/auth/logout", {"refresh": bob.refresh}, token=bob.access)
    assert response.status == 204
    assert await socket.closed() == 4401


async def test_failed_login_limit_is_shared_between_processes(cluster):
    _, a, b = cluster
    account = await a.client.register()
    for i in range(10):
        client = (a, b)[i % 2].client
        response = await client.post(
            "/api/auth/login", {"email": account.email, "password": "wrong guess"}
        )
        assert response.status == 401
    blocked = await b.client.post(
        "/api/auth/login", {"email": account.email, "password": account.password}
    )
    assert blocked.status == 429
    blocked = await a.client.post(
        "/api/auth/login", {"email": account.email, "password": account.password}
    )
    assert blocked.status == 429


async def test_notifications_reach_a_socket_on_another_process(cluster):
    _, a, b = cluster
    asker = await a.client.register("Asker")
    writer = await a.client.register("Writer")
    socket = await Socket.connect(b.client.base_url, "/ws", asker.access)
    question = await ask(a.client, asker)
    await answer(a.client, writer, question["id"])
    frame = await socket.expect("notification", skip=("presence",))
    assert frame["notification"]["kind"] == "new_answer"


async def test_a_question_watched_on_one_process_is_told_changes_made_on_another(cluster):
    _, a, b = cluster
    asker, writer = await a.client.register("Asker"), await a.client.register("Writer")
    watcher = await b.client.register("Watcher")
    question = await ask(a.client, asker)
    socket = await Socket.connect(b.client.base_url, "/ws", watcher.access)
    await socket.send({"type": "watch", "question_id": question["id"]})
    await socket.expect("watching", skip=("presence",))
    reply = await answer(a.client, writer, question["id"])
    new = await socket.expect("answer", skip=("presence",), timeout=2)
    assert new["answer"]["id"] == reply["id"]
    updated = await socket.expect("question_updated", skip=("presence",), timeout=2)
    assert updated["question"]["answer_count"] == 1
