"""`python -m bench`: load a real server process and report figures beside their baselines.

1. HTTP: requests per second and latency of API routes, beside GET /healthz, the floor of the
   HTTP stack (same server, same client, same run).
2. Fan-out: one sender, R receivers in a group conversation over WebSocket; delivery latency
   from send to receipt at every receiver, and deliveries per second.
3. Hub encoding: one publish to N sockets with the frame encoded once (what the hub does)
   beside encoding it per socket (the baseline it replaces), in process.

The server runs in embedded mode with the send rate limit off; numbers are for comparing
within a run, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from bson import ObjectId
from tornado.httpclient import AsyncHTTPClient

from hypee.jsonio import dumps
from hypee.realtime.hub import Hub
from tests.client import ApiClient, Socket
from tests.helpers import PROFILE
from tests.processes import ServerProcess


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def load(api: ApiClient, make_request, seconds: float, concurrency: int) -> dict:
    """Run `make_request()` from `concurrency` workers for `seconds`: rate and latencies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await make_request()
            assert response.status < 400, response
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "rate": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def http_figures(api: ApiClient, seconds: float, concurrency: int) -> list[tuple[str, dict]]:
    alice, bob = await api.register("Alice"), await api.register("Bob")
    for i in range(200):
        mentor = await api.register(f"Mentor {i}")
        await api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)
    cid = (
        await api.post("/api/conversations/", {"participant_ids": [bob.id]}, token=alice.access)
    ).json["id"]
    for i in range(400):
        await api.post(
            f"/api/conversations/{cid}/messages/",
            {"client_id": f"seed{i}", "body": f"m{i}"},
            token=alice.access,
        )
    routes = [
        ("GET /healthz (baseline)", lambda: api.get("/healthz")),
        ("GET /api/me", lambda: api.get("/api/me", token=alice.access)),
        ("GET /api/mentors/?limit=20", lambda: api.get("/api/mentors/?limit=20")),
        ("GET /api/mentors/?q=career&limit=20", lambda: api.get("/api/mentors/?q=career&limit=20")),
        (
            "GET .../messages/?limit=50",
            lambda: api.get(f"/api/conversations/{cid}/messages/?limit=50", token=bob.access),
        ),
        (
            "POST .../messages/",
            lambda: api.post(
                f"/api/conversations/{cid}/messages/",
                {"client_id": str(ObjectId()), "body": "benchmark message"},
                token=alice.access,
            ),
        ),
    ]
    return [(name, await load(api, request, seconds, concurrency)) for name, request in routes]


async def fanout_figures(api: ApiClient, receivers: int, messages: int) -> dict:
    sender, *others = [await api.register(f"Member {i}") for i in range(receivers + 1)]
    cid = (
        await api.post(
            "/api/conversations/", {"participant_ids": [o.id for o in others]}, token=sender.access
        )
    ).json["id"]
    sockets = [await Socket.connect(api.base_url, "/ws", o.access) for o in others]
    out = await Socket.connect(api.base_url, "/ws", sender.access)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def receive(socket: Socket) -> None:
        count = 0
        while count < messages:
            frame = await socket.recv(timeout=30)
            if frame["type"] == "message":
                latencies.append(time.perf_counter() - sent_at[frame["message"]["client_id"]])
                count += 1

    readers = [asyncio.ensure_future(receive(s)) for s in sockets]
    started = time.perf_counter()
    for i in range(messages):
        client_id = f"f{i}"
        sent_at[client_id] = time.perf_counter()
        await out.send(
            {
                "type": "message",
                "conversation_id": cid,
                "client_id": client_id,
                "body": f"fan-out {i}",
            }
        )
        await out.expect("ack")
    await asyncio.gather(*readers)
    elapsed = time.perf_counter() - started
    return {
        "deliveries_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


class _Sink:
    """A stand-in socket for the in-process encoding comparison: it only keeps the bytes."""

    scope = None

    def __init__(self, user_id: ObjectId) -> None:
        self.user_id = user_id
        self.session_id = user_id
        self.received = 0

    def deliver(self, data: bytes) -> None:
        self.received += len(data)

    def close_with(self, code: int, reason: str) -> None:
        pass


async def encoding_figures(sockets: int, rounds: int) -> dict:
    hub = Hub()
    sinks = [_Sink(ObjectId()) for _ in range(sockets)]
    for sink in sinks:
        await hub.join(sink)
    users = [sink.user_id for sink in sinks]
    frame = {
        "type": "message",
        "message": {
            "id": str(ObjectId()),
            "body": "x" * 300,
            "seq": 1,
            "attachments": [],
            "sender_id": str(ObjectId()),
        },
    }
    start = time.perf_counter()
    for _ in range(rounds):
        hub.deliver(users, dumps(frame).encode(), None)
    once = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for _ in range(rounds):
        for sink in sinks:  # the baseline: every socket encodes its own copy
            sink.deliver(dumps(frame).encode())
    per_socket = (time.perf_counter() - start) / rounds
    return {"encode_once_ms": once * 1000, "encode_per_socket_ms": per_socket * 1000}


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=float, default=3.0, help="per HTTP route")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--receivers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    AsyncHTTPClient.configure(None, max_clients=args.concurrency * 2)
    with tempfile.TemporaryDirectory() as workdir:
        server = ServerProcess(
            Path(workdir) / "server.log",
            HYPEE_DATA_DIR=str(Path(workdir) / "data"),
            HYPEE_SEND_RATE_PER_10S="0",
            HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN="100000",
            HYPEE_LOG_LEVEL="warning",
        )
        await server.start()
        try:
            http = await http_figures(server.client, args.seconds, args.concurrency)
            fanout = await fanout_figures(server.client, args.receivers, args.messages)
        finally:
            server.kill()
    encoding = await encoding_figures(1000, 200)

    print(f"\nHTTP, {args.concurrency} concurrent clients, {args.seconds:.0f} s per route")
    print(f"{'route':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, figures in http:
        rate, p50, p99 = figures["rate"], figures["p50_ms"], figures["p99_ms"]
        print(f"{name:<40} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f}")
    print(
        f"\nFan-out: 1 sender, {args.receivers} receivers, {args.messages} messages over WebSocket"
    )
    print(
        f"deliveries/s {fanout['deliveries_per_s']:.0f}   latency p50 {fanout['p50_ms']:.2f} ms   "
        f"p99 {fanout['p99_ms']:.2f} ms"
    )
    print("\nHub: one publish to 1000 sockets (in process)")
    print(
        f"encode once {encoding['encode_once_ms']:.3f} ms   "
        f"encode per socket (baseline) {encoding['encode_per_socket_ms']:.3f} ms   "
        f"ratio {encoding['encode_per_socket_ms'] / encoding['encode_once_ms']:.1f}x"
    )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (results / f"{stamp}.json").write_text(
        json.dumps({"http": dict(http), "fanout": fanout, "encoding": encoding}, indent=2)
    )


if __name__ == "__main__":
    asyncio.run(main())
