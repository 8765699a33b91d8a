"""The load generator of the benchmark, run in a process of its own (`python -m bench.load`).

- `fanout PLAN`: every socket of the plan sends messages to its conversation, as fast as its
  acks come back (closed loop, `--rate 0`) or at a total rate spread over the sockets (open
  loop); every socket counts the messages it receives and their latency from the send (the
  send time travels in the body; one process, one clock).
  Every send is answered by an `ack` or an error frame (`busy` under overload): the time to
  that answer, the sockets closed under the load, and (`--acked FILE`) the client ids acked
  are reported too; `--keepalive S` makes each client ping every S seconds and drop the
  socket when no pong comes within S more, as mobile clients do. In the closed loop, a
  socket told `busy` waits its `retry_after` before it sends again, as clients should.
- `connect PLAN`: open (and authenticate) every socket of the plan, report how long it took,
  print `held`, and keep them open until a line arrives on stdin.

A plan is JSON: {"base": "ws://127.0.0.1:PORT", "sockets": [{"path", "token", "conversation"}]}
(token null for the bare relay). Results are one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


NODELAY = True
KEEPALIVE = 0.0


async def connect(base: str, spec: dict[str, Any]) -> WebSocketClientConnection:
    connection = await websocket_connect(
        base + spec["path"],
        max_message_size=1 << 24,
        ping_interval=KEEPALIVE or None,
        ping_timeout=KEEPALIVE or None,
    )
    if NODELAY:
        connection.protocol.set_nodelay(True)
    if spec.get("token"):
        await connection.write_message(json.dumps({"type": "auth", "token": spec["token"]}))
    while True:
        frame = json.loads(await connection.read_message())
        if frame["type"] == "ready":
            return connection


class Counts:
    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self.delivered = 0
        self.latencies: list[float] = []
        self.ack_latencies: list[float] = []
        self.answer_latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.closed = 0
        self.unanswered = 0
        self.acked_ids: list[str] = []


async def run_socket(
    connection: WebSocketClientConnection,
    spec: dict[str, Any],
    counts: Counts,
    stop_at: float,
    interval: float,
    offset: float = 0.0,
) -> None:
    """Send (closed loop when `interval` is 0; else every `interval` seconds, starting after
    `offset`) and receive until `stop_at`."""
    acked = asyncio.Event()
    acked.set()
    backoff = 0.0
    pending: dict[str, float] = {}

    def answered(client_id: Any, now: float) -> float | None:
        started = pending.pop(client_id, None)
        if started is not None:
            counts.answer_latencies.append(now - started)
            return now - started
        return None

    async def receive() -> None:
        while True:
            message = await connection.read_message()
            if message is None:
                counts.closed += 1
                return
            frame = json.loads(message)
            kind = frame["type"]
            now = time.perf_counter()
            if kind == "ack":
                waited = answered(frame["client_id"], now)
                if waited is not None:
                    counts.ack_latencies.append(waited)
                counts.acked += 1
                counts.acked_ids.append(frame["client_id"])
                acked.set()
            elif kind == "message":
                counts.delivered += 1
                counts.latencies.append(now - float(frame["message"]["body"]))
            elif kind == "error":
                nonlocal backoff
                answered(frame.get("ref"), now)
                counts.errors[frame["code"]] = counts.errors.get(frame["code"], 0) + 1
                backoff = float(frame.get("retry_after") or 0)
                acked.set()

    reader = asyncio.ensure_future(receive())
    number = 0
    next_send = time.perf_counter() + offset
    while time.perf_counter() < stop_at:
        if interval:
            await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
            next_send += interval
        else:
            await acked.wait()
            acked.clear()
            if backoff:
                await asyncio.sleep(backoff)
                backoff = 0.0
        number += 1
        client_id = f"{os.getpid()}-{id(connection)}-{number}"
        sent_at = time.perf_counter()
        pending[client_id] = sent_at
        frame = {
            "type": "message",
            "conversation_id": spec["conversation"],
            "client_id": client_id,
            "body": repr(sent_at),
        }
        try:
            await connection.write_message(json.dumps(frame))
        except WebSocketClosedError:
            break
        counts.sent += 1
    await asyncio.sleep(1.0)  # let the last deliveries arrive
    for _ in range(40):  # and the last answers, for up to 5 s in all
        if not pending or reader.done():
            break
        await asyncio.sleep(0.1)
    counts.unanswered += len(pending)
    reader.cancel()


async def fanout(
    plan: dict[str, Any], seconds: float, rate: float
) -> tuple[dict[str, Any], list[str]]:
    base = plan["base"]
    connections = [await connect(base, spec) for spec in plan["sockets"]]
    counts = Counts()
    interval = len(connections) / rate if rate else 0.0
    started = time.perf_counter()
    stop_at = started + seconds
    # Open loop: the sockets take turns, so the offered rate is spread evenly over time.
    spacing = interval / len(connections) if interval else 0.0
    await asyncio.gather(
        *(
            run_socket(connection, spec, counts, stop_at, interval, number * spacing)
            for number, (connection, spec) in enumerate(
                zip(connections, plan["sockets"], strict=True)
            )
        )
    )
    for connection in connections:
        connection.close()
    return {
        "seconds": seconds,
        "sent": counts.sent,
        "acked": counts.acked,
        "delivered": counts.delivered,
        "delivered_per_second": counts.delivered / seconds,
        "latency_p50_ms": percentile(counts.latencies, 0.5) * 1000,
        "latency_p99_ms": percentile(counts.latencies, 0.99) * 1000,
        "ack_p99_ms": percentile(counts.ack_latencies, 0.99) * 1000,
        "answer_p50_ms": percentile(counts.answer_latencies, 0.5) * 1000,
        "answer_p99_ms": percentile(counts.answer_latencies, 0.99) * 1000,
        "answer_max_ms": max(counts.answer_latencies, default=float("nan")) * 1000,
        "errors": counts.errors,
        "closed": counts.closed,
        "unanswered": counts.unanswered,
    }, counts.acked_ids


async def hold(plan: dict[str, Any], batch: int) -> None:
    base = plan["base"]
    specs = plan["sockets"]
    started = time.perf_counter()
    connections = []
    for first in range(0, len(specs), batch):
        connections += await asyncio.gather(
            *(connect(base, spec) for spec in specs[first : first + batch])
        )
    elapsed = time.perf_counter() - started
    print(json.dumps({"connected": len(connections), "seconds": elapsed}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for connection in connections:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.load")
    parser.add_argument("scenario", choices=["fanout", "connect"])
    parser.add_argument("plan")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=0, help="messages/s in all; 0: saturate")
    parser.add_argument("--batch", type=int, default=50, help="connect: sockets opened at once")
    parser.add_argument("--nagle", action="store_true", help="keep Nagle's algorithm on")
    parser.add_argument("--keepalive", type=float, default=0, help="client ping interval, s")
    parser.add_argument("--acked", help="fanout: write the acked client ids here (JSON)")
    args = parser.parse_args()
    global NODELAY, KEEPALIVE
    NODELAY = not args.nagle
    KEEPALIVE = args.keepalive
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(args.plan) as file:
        plan = json.load(file)
    if args.scenario == "fanout":
        result, acked_ids = asyncio.run(fanout(plan, args.seconds, args.rate))
        if args.acked:
            with open(args.acked, "w") as file:
                json.dump(acked_ids, file)
        print(json.dumps(result))
    else:
        asyncio.run(hold(plan, args.batch))


if __name__ == "__main__":
    main()
