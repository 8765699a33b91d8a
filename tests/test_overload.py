"""Load shedding: three times the sustainable send rate for 30 s, over real sockets.

300 senders, each in a direct conversation with an offline mentor, keep their sockets alive
with pings as mobile clients do (a socket whose pong is 10 s late is dropped by its client).
The sustainable rate S is measured first, closed loop (each socket sends when its previous
send is answered). Then three load processes offer 3 S, open loop, for 30 s. Every send must
be answered (`ack`, or an error frame `busy` with `retry_after`) within 2 s at p99, no socket
may drop, and every acknowledged message must be in the store once the server has stopped.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from server.lifecycle import open_store
from tests.client import ApiClient
from tests.processes import ROOT, ServerProcess

pytestmark = pytest.mark.slow

SENDERS = 300
LOAD_PROCESSES = 3
OVERLOAD = 3.0
SECONDS = 30
KEEPALIVE = 5.0


async def population(api: ApiClient) -> list[dict[str, str]]:
    """One socket spec per sender, each in its own conversation with the (offline) mentor."""
    mentor = await api.register("Mentor", role="mentor")
    senders = await asyncio.gather(*(api.register() for _ in range(SENDERS)))
    specs = []
    for sender in senders:
        opened = await api.post(
            "/api/conversations/", {"participant_ids": [mentor.id]}, token=sender.access
        )
        assert opened.status in (200, 201), opened
        specs.append({"path": "/ws", "token": sender.access, "conversation": opened.json["id"]})
    return specs


async def load(plan: Path, *options: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.load",
        "fanout",
        str(plan),
        "--keepalive",
        str(KEEPALIVE),
        *options,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), SECONDS + 120)
    assert process.returncode == 0
    return json.loads(out.decode().strip().splitlines()[-1])


def write_plans(tmp_path: Path, port: int, specs: list[dict[str, str]]) -> list[Path]:
    plans = []
    for part in range(LOAD_PROCESSES):
        plan = tmp_path / f"plan{part}.json"
        sockets = specs[part::LOAD_PROCESSES]
        plan.write_text(json.dumps({"base": f"ws://127.0.0.1:{port}", "sockets": sockets}))
        plans.append(plan)
    return plans


async def stored_client_ids(settings: dict[str, str]) -> set[str]:
    store = open_store(Settings.from_env(settings))
    try:
        cursor = store.db.messages.find({}, {"client_id": 1})
        return {doc["client_id"] async for doc in cursor}
    finally:
        await store.close()


async def test_three_times_the_sustainable_rate_is_shed_not_queued(tmp_path):
    settings = {
        "HYPEE_DATA_DIR": str(tmp_path / "data"),
        "HYPEE_SEND_RATE_PER_10S": "0",
        "HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN": "100000",
        "HYPEE_LOG_LEVEL": "warning",
    }
    server = await ServerProcess(tmp_path / "server.log", **settings).start()
    try:
        specs = await population(server.client)
        plans = write_plans(tmp_path, server.port, specs)
        closed_loop = await asyncio.gather(*(load(plan, "--seconds", "5") for plan in plans))
        sustainable = sum(result["acked"] for result in closed_loop) / 5
        offered = OVERLOAD * sustainable / LOAD_PROCESSES
        acked_files = [tmp_path / f"acked{n}.json" for n in range(LOAD_PROCESSES)]
        results = await asyncio.gather(
            *(
                load(plan, "--seconds", str(SECONDS), "--rate", str(offered), "--acked", str(out))
                for plan, out in zip(plans, acked_files, strict=True)
            )
        )
    finally:
        await server.stop()
    figures = json.dumps({"sustainable_per_s": sustainable, "overloaded": results})
    assert sum(result["sent"] for result in results) >= 0.9 * OVERLOAD * sustainable * SECONDS
    assert sum(result["errors"].get("busy", 0) for result in results) > 0, figures
    assert sum(result["closed"] for result in results) == 0, figures
    assert sum(result["unanswered"] for result in results) == 0, figures
    assert max(result["answer_p99_ms"] for result in results) < 2000, figures
    acked = {cid for path in acked_files for cid in json.loads(path.read_text())}
    stored = await stored_client_ids(settings)
    assert acked <= stored
