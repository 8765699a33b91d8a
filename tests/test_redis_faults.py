"""Fan-out that heals: two processes, a real redis-server, and the three ways Redis fails.

Redis killed and restarted, stopped and continued (SIGSTOP/SIGCONT), and its client
connections killed while it stays up: each time live delivery between the processes comes
back within 2 s, a receiver that follows the protocol (`resync` → `resume`) ends with every
message once and in order, `/readyz` says `redis: ok` again, and no ack waits on Redis.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
import redis.asyncio as aioredis

from tests.client import Socket
from tests.helpers import history, open_direct
from tests.processes import RedisProcess, two_process_cluster

pytestmark = pytest.mark.slow

LIVE_WITHIN_SECONDS = 2.0
ACK_ALLOWANCE_SECONDS = 0.05


@pytest.fixture
async def cluster(tmp_path):
    """(redis, process A, process B), all real processes on loopback ports."""
    async with two_process_cluster(tmp_path, "faults") as running:
        yield running


class Receiver:
    """A client that follows the protocol: keeps messages once per seq, and on `resync`
    sends `resume` from the last seq up to which it holds everything."""

    def __init__(self, socket: Socket, conversation: str) -> None:
        self.socket = socket
        self.conversation = conversation
        self.messages: dict[int, dict] = {}
        self.live_at: dict[int, float] = {}
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            frame = await self.socket.recv(timeout=60)
            if frame is None:
                return
            if frame["type"] == "message":
                seq = frame["message"]["seq"]
                self.messages.setdefault(seq, frame["message"])
                self.live_at.setdefault(seq, time.monotonic())
            elif frame["type"] == "resync":
                cursors = {self.conversation: self.contiguous()}
                await self.socket.send({"type": "resume", "cursors": cursors})

    def contiguous(self) -> int:
        """The seq up to which every message is held: a live message after a gap does not
        move it (the resume must fill the gap)."""
        seq = 0
        while seq + 1 in self.messages:
            seq += 1
        return seq


async def send(socket: Socket, conversation: str, client_id: str) -> tuple[dict, float]:
    """Send over the socket: (the acked message, seconds until the ack)."""
    started = time.monotonic()
    frame = {"type": "message", "conversation_id": conversation, "client_id": client_id}
    await socket.send({**frame, "body": client_id})
    ack = await socket.expect("ack", skip=("presence", "notification", "message", "resync"))
    return ack["message"], time.monotonic() - started


async def redis_ok(client, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (await client.get("/readyz")).json["redis"] != "ok":
        assert time.monotonic() < deadline, "readyz never said redis: ok again"
        await asyncio.sleep(0.1)


async def kill_and_restart(redis: RedisProcess) -> None:
    await redis.kill()
    await asyncio.sleep(1.5)
    await redis.start()


async def stop_and_continue(redis: RedisProcess) -> None:
    redis.process.send_signal(signal.SIGSTOP)
    await asyncio.sleep(2.5)
    redis.process.send_signal(signal.SIGCONT)


async def kill_client_connections(redis: RedisProcess) -> None:
    client = aioredis.from_url(redis.url)
    try:
        await client.execute_command("CLIENT", "KILL", "TYPE", "normal")
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "fault",
    [kill_and_restart, stop_and_continue, kill_client_connections],
    ids=lambda f: f.__name__,
)
async def test_live_delivery_heals_and_nothing_is_missed(cluster, fault):
    redis, a, b = cluster
    alice, bob = await a.client.register("Alice"), await b.client.register("Bob")
    cid = (await open_direct(a.client, alice, bob))["id"]
    await redis_ok(a.client)
    await redis_ok(b.client)
    sender = await Socket.connect(a.client.base_url, "/ws", alice.access)
    receiver = Receiver(await Socket.connect(b.client.base_url, "/ws", bob.access), cid)
    usual = max([(await send(sender, cid, f"before-{n}"))[1] for n in range(10)])

    sending = True
    slowest = 0.0
    number = 0

    async def keep_sending() -> None:
        nonlocal slowest, number
        while sending:
            number += 1
            _, seconds = await send(sender, cid, f"during-{number}")
            slowest = max(slowest, seconds)
            await asyncio.sleep(0.05)

    sender_task = asyncio.ensure_future(keep_sending())
    await fault(redis)
    healed_at = time.monotonic()
    await redis_ok(a.client)
    await redis_ok(b.client)
    # Live delivery: a message sent now reaches the other process without any resume.
    deadline = healed_at + LIVE_WITHIN_SECONDS
    live = False
    while not live:
        probe, _ = await send(sender, cid, f"probe-{time.monotonic()}")
        for _ in range(10):
            if probe["seq"] in receiver.live_at:
                live = True
                break
            await asyncio.sleep(0.02)
        assert live or time.monotonic() < deadline, "live delivery did not come back in 2 s"
    sending = False
    await sender_task
    assert slowest < usual + ACK_ALLOWANCE_SECONDS, (slowest, usual)

    # Every message, once, in order: what the receiver holds is the stored history.
    final, _ = await send(sender, cid, "final")
    deadline = time.monotonic() + 5
    while final["seq"] not in receiver.messages:
        assert time.monotonic() < deadline, "the last message never arrived"
        await asyncio.sleep(0.05)
    stored, page = [], await history(b.client, bob, cid, after=0, limit=100)
    while True:
        stored += page["results"]
        if not page["next_cursor"]:
            break
        page = await history(b.client, bob, cid, cursor=page["next_cursor"], limit=100)
    # The receiver may still be resuming: it converges on the history within a few seconds.
    wanted = [m["id"] for m in stored]
    deadline = time.monotonic() + 5
    while [receiver.messages[seq]["id"] for seq in sorted(receiver.messages)] != wanted:
        assert time.monotonic() < deadline, (sorted(receiver.messages), len(wanted))
        await asyncio.sleep(0.05)
    receiver.task.cancel()
