"""`python -m bench` (`make bench`): Hypee beside bare baselines, measured in one run.

It starts, on this machine: the bare baselines of bench/baseline.py (a WebSocket relay that
stores nothing, a constant JSON handler), and Hypee servers on the embedded engine, an empty
store and a large one (10,000 mentors, 5,000 conversations, 100,000 messages), plus MongoDB
when HYPEE_BENCH_MONGO_URI points at one. One load generator (bench/load.py, a process of its
own) drives all of them the same way; HTTP rates come from wrk when it is installed. Every
figure is written beside its baseline, as a ratio, in bench/results/latest.md (and .json).

The relay and the empty store run side by side, their fan-out loads taking turns (ROUNDS runs
each): this machine's speed drifts by a fifth from one minute to the next, and a ratio of two
runs far apart measured that drift as much as Hypee. The report keeps each figure's median and
the runs' range (a slowest answer: the slowest of all runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, load_average, rss_bytes
from bench.seed import Population, seed
from config import Settings
from tests.client import ApiClient
from tests.processes import ROOT, free_port, server_env

RESULTS = ROOT / "bench" / "results"
GROUPS = 20
# Runs of each fan-out load, the relay's and the empty store's taking turns (medians are kept).
ROUNDS = 3


class Server:
    """A server process to measure: a Hypee `run.py`, or the baseline."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.command, self.env, self.port, self.log = command, env, port, log
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> Server:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        client = ApiClient(f"http://127.0.0.1:{self.port}")
        path = "/json" if "bench.baseline" in self.command else "/healthz"
        for _ in range(600):
            try:
                if (await client.get(path, request_timeout=1)).status == 200:
                    return self
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.command} did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def load(scenario: str, plan: Path, *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.load", scenario, str(plan), *args]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_plan(path: Path, port: int, sockets: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"base": f"ws://127.0.0.1:{port}", "sockets": sockets}))
    return path


async def fanout(
    server: Server, plan: Path, seconds: float, rate: float = 0, nagle: bool = False
) -> dict[str, Any]:
    """Run the fan-out load, with the server's CPU, store operations and /healthz latency."""
    before = cpu_seconds(server.pid)
    store_before = await store_counters(server)
    probe = asyncio.ensure_future(healthz_latencies(server.port, seconds))
    options = ["--seconds", str(seconds), "--rate", str(rate), *(["--nagle"] if nagle else [])]
    result = await asyncio.to_thread(load, "fanout", plan, *options)
    latencies = await probe
    used_ms = (cpu_seconds(server.pid) - before) * 1000
    result["server_cpu_ms_per_delivered"] = used_ms / max(1, result["delivered"])
    result["server_cpu_ms_per_send"] = used_ms / max(1, result["acked"])
    store_after = await store_counters(server)
    if store_before and store_after and result["acked"]:
        sends = result["acked"]
        result["store_ops_per_send"] = {
            kind: round((store_after[kind] - store_before[kind]) / sends, 2)
            for kind in ("reads", "writes")
        }
        commits = store_after["commits"] - store_before["commits"]
        result["sends_per_commit"] = round(sends / max(1, commits), 1)
    result["healthz_max_ms"] = max(latencies) * 1000 if latencies else None
    result["healthz_p99_ms"] = (
        sorted(latencies)[int(0.99 * len(latencies))] * 1000 if latencies else None
    )
    return result


async def healthz_latencies(port: int, seconds: float) -> list[float]:
    client = ApiClient(f"http://127.0.0.1:{port}")
    path = "/healthz"
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.get(path, request_timeout=5)
        except OSError:
            return latencies  # the baseline has no /healthz
        if response.status != 200:
            return latencies
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return latencies


async def store_counters(server: Server) -> dict[str, float] | None:
    try:
        text = (await ApiClient(f"http://127.0.0.1:{server.port}").get("/metrics")).body.decode()
    except OSError:
        return None
    found = {}
    for kind, pattern in (
        ("reads", r'hypee_store_operations_total\{kind="read"\} ([0-9.e+]+)'),
        ("writes", r'hypee_store_operations_total\{kind="write"\} ([0-9.e+]+)'),
        ("commits", r"hypee_store_commits_total ([0-9.e+]+)"),
    ):
        match = re.search(pattern, text)
        if match is None:
            return None
        found[kind] = float(match.group(1))
    return found


def connect_cost(server: Server, plan: Path) -> dict[str, Any]:
    """Open every socket of the plan (authenticated for Hypee): CPU per socket, and memory."""
    rss_before = rss_bytes(server.pid)
    before = cpu_seconds(server.pid)
    command = [sys.executable, "-m", "bench.load", "connect", str(plan)]
    holder = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdin is not None
    result = json.loads(holder.stdout.readline())
    time.sleep(1.0)
    used = cpu_seconds(server.pid) - before
    result["server_cpu_ms_per_socket"] = used * 1000 / max(1, result["connected"])
    result["rss_mb"] = rss_bytes(server.pid) / 2**20
    result["rss_added_mb"] = (rss_bytes(server.pid) - rss_before) / 2**20
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(60)
    return result


def http_rate(port: int, path: str, seconds: float) -> dict[str, Any]:
    """Requests per second of one route, from wrk (or a Python client when wrk is missing)."""
    url = f"http://127.0.0.1:{port}{path}"
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t1", "-c32", f"-d{int(seconds)}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
        return {"rate": rate, "tool": "wrk -t1 -c32"}
    return asyncio.run(_python_rate(url, seconds)) | {"tool": "tornado client, 32 at once"}


async def _python_rate(url: str, seconds: float) -> dict[str, Any]:
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient(max_clients=32)
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await client.fetch(url)
            done += 1

    await asyncio.gather(*(worker() for _ in range(32)))
    return {"rate": done / seconds}


def hypee(tmp: Path, name: str, settings: dict[str, str]) -> Server:
    port = free_port()
    env = server_env(
        HYPEE_PORT=str(port),
        HYPEE_SEND_RATE_PER_10S="0",
        HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN="1000000",
        HYPEE_LOG_LEVEL="warning",
        **settings,
    )
    return Server([sys.executable, "run.py"], env, port, tmp / f"{name}.log")


def bench_settings(settings: dict[str, str]) -> Settings:
    return Settings.from_env(
        {"HYPEE_ARGON2_TIME_COST": "1", "HYPEE_ARGON2_MEMORY_KIB": "256", **settings}
    )


async def seeded_hypee(
    tmp: Path, name: str, settings: dict[str, str], population: Population
) -> tuple[Server, Any, dict[str, Any]]:
    """(a started Hypee on a store seeded with `population`, what was seeded, its figures so
    far: the seeding's time)."""
    print(f"seeding {name} ...", flush=True)
    started = time.perf_counter()
    seeded = await seed(bench_settings(settings), population, GROUPS)
    figures: dict[str, Any] = {"seed_seconds": round(time.perf_counter() - started, 1)}
    return await hypee(tmp, name, settings).start(), seeded, figures


async def measure_hypee(
    tmp: Path,
    name: str,
    settings: dict[str, str],
    population: Population,
    args: Any,
    *,
    saturated_only: bool = False,
) -> dict[str, Any]:
    server, seeded, figures = await seeded_hypee(tmp, name, settings, population)
    try:
        plan = write_plan(tmp / f"{name}-fanout.json", server.port, seeded.sockets)
        print(f"{name}: fan-out at saturation", flush=True)
        figures["saturated"] = await fanout(server, plan, args.seconds)
        if saturated_only:
            return figures
        print(f"{name}: fan-out at {args.rate} msg/s", flush=True)
        figures["offered"] = await fanout(server, plan, args.seconds, args.rate)
        figures.update(await hypee_rest(tmp, name, server, seeded, population, args))
    finally:
        server.stop()
    return figures


async def hypee_rest(
    tmp: Path, name: str, server: Server, seeded: Any, population: Population, args: Any
) -> dict[str, Any]:
    """Hypee's figures other than fan-out: idle sockets connecting, directory requests."""
    figures: dict[str, Any] = {}
    if seeded.idle_tokens:
        sockets = [{"path": "/ws", "token": t} for t in seeded.idle_tokens]
        idle = write_plan(tmp / f"{name}-idle.json", server.port, sockets)
        print(f"{name}: {len(sockets)} sockets connect and stay", flush=True)
        figures["connect"] = await asyncio.to_thread(connect_cost, server, idle)
    if population.mentors:
        print(f"{name}: directory requests", flush=True)
        figures["mentors"] = await asyncio.to_thread(
            http_rate, server.port, "/api/mentors/?country=FR&limit=20", args.seconds
        )
    return figures


def typical(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several runs of one load: each number is the median of the runs, but a
    slowest answer (`..._max_ms`) is the slowest of them all; the others (errors) are the
    median-rate run's. `runs` keeps every run's rate, p99 and CPU per frame."""
    by_rate = sorted(runs, key=lambda run: run["delivered_per_second"])
    merged = dict(by_rate[len(by_rate) // 2])
    for key, value in merged.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [run[key] for run in runs if run.get(key) is not None]
            merged[key] = max(values) if key.endswith("_max_ms") else statistics.median(values)
    kept = ("delivered_per_second", "latency_p99_ms", "server_cpu_ms_per_delivered")
    merged["runs"] = [{key: run.get(key) for key in kept} for run in runs]
    return merged


async def measure_side_by_side(tmp: Path, args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bare relay and Hypee on an empty store, both running, their fan-out loads taking
    turns (ROUNDS runs each, the relay first), so that a ratio compares runs that met the
    machine in the same state; then each one's other figures. (baseline, Hypee)."""
    population = Population(idle_sessions=500)
    settings = {"HYPEE_DATA_DIR": str(tmp / "empty")}
    server, seeded, figures = await seeded_hypee(tmp, "empty", settings, population)
    relay: Server | None = None
    base: dict[str, Any] = {}
    try:
        relay = await relay_server(tmp)
        relay_sockets = [
            {"path": f"/ws?room=r{group}", "token": None, "conversation": f"r{group}"}
            for group in range(GROUPS)
            for _ in range(4)
        ]
        relay_plan = write_plan(tmp / "relay.json", relay.port, relay_sockets)
        plan = write_plan(tmp / "empty-fanout.json", server.port, seeded.sockets)
        for load, rate in (("saturated", 0.0), ("offered", args.rate)):
            relay_runs, runs = [], []
            for round_ in range(1, ROUNDS + 1):
                print(f"relay, then empty: fan-out {load} ({round_}/{ROUNDS})", flush=True)
                relay_runs.append(await fanout(relay, relay_plan, args.seconds, rate))
                runs.append(await fanout(server, plan, args.seconds, rate))
            base[load], figures[load] = typical(relay_runs), typical(runs)
        base.update(await relay_rest(tmp, relay, args))
        figures.update(await hypee_rest(tmp, "empty", server, seeded, population, args))
    finally:
        if relay is not None:
            relay.stop()
        server.stop()
    base["saturated_nagle"] = await relay_with_nagle(tmp, relay_sockets, args)
    return base, figures


async def relay_server(tmp: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline", str(port)]
    return await Server(command, os.environ.copy(), port, tmp / "baseline.log").start()


async def relay_rest(tmp: Path, relay: Server, args: Any) -> dict[str, Any]:
    """The relay's figures other than fan-out: idle sockets connecting, the JSON handler."""
    idle = [{"path": "/ws?room=idle", "token": None} for _ in range(500)]
    figures = {
        "connect": await asyncio.to_thread(
            connect_cost, relay, write_plan(tmp / "relay-idle.json", relay.port, idle)
        )
    }
    print("baseline: JSON handler", flush=True)
    figures["json"] = await asyncio.to_thread(http_rate, relay.port, "/json", args.seconds)
    return figures


async def relay_with_nagle(tmp: Path, sockets: list[dict[str, Any]], args: Any) -> dict[str, Any]:
    """The relay as Tornado ships it (Nagle's algorithm on at both ends), at saturation, for
    comparison with figures measured that way."""
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline", str(port), "nagle"]
    server = await Server(command, os.environ.copy(), port, tmp / "baseline-nagle.log").start()
    try:
        print("baseline: relay with Tornado's defaults at saturation", flush=True)
        plan = write_plan(tmp / "relay-nagle.json", port, sockets)
        return await fanout(server, plan, args.seconds, nagle=True)
    finally:
        server.stop()


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} x {model}, {memory:.0f} GiB, {platform.system()} {platform.release()}"


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load run")
    parser.add_argument("--rate", type=float, default=150, help="offered messages/s (open loop)")
    parser.add_argument("--quick", action="store_true", help="a small large store (a smoke run)")
    args = parser.parse_args()
    big = (
        Population(mentors=1000, conversations=500, messages=5000, idle_sessions=500)
        if args.quick
        else Population(mentors=10_000, conversations=5_000, messages=100_000, idle_sessions=5_000)
    )
    started = datetime.now(UTC)
    load_before = load_average()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hypee-bench-") as temporary:
        tmp = Path(temporary)
        baseline, empty = await measure_side_by_side(tmp, args)
        results["baseline"], results["embedded, empty store"] = baseline, empty
        # The same groups with blocks, a mute, changed settings and an away member.
        results["embedded, featured groups"] = await measure_hypee(
            tmp,
            "featured",
            {"HYPEE_DATA_DIR": str(tmp / "featured")},
            Population(featured=True),
            args,
            saturated_only=True,
        )
        results["embedded, large store"] = await measure_hypee(
            tmp, "large", {"HYPEE_DATA_DIR": str(tmp / "large")}, big, args
        )
        mongo = os.environ.get("HYPEE_BENCH_MONGO_URI")
        if mongo:
            results["MongoDB (HYPEE_BENCH_MONGO_URI)"] = await measure_hypee(
                tmp,
                "mongodb",
                {"HYPEE_MONGO_URI": mongo, "HYPEE_MONGO_DB": f"hypee_bench_{os.getpid()}"},
                Population(idle_sessions=500),
                args,
            )
    meta = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "command": "make bench (python -m bench " + " ".join(sys.argv[1:]) + ")",
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "mongodb": "measured" if os.environ.get("HYPEE_BENCH_MONGO_URI") else "not reachable here",
        "rate": args.rate,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    from bench.report import render

    report = render(meta, results)
    (RESULTS / "latest.md").write_text(report)
    print(report)


if __name__ == "__main__":
    asyncio.run(main())
