"""The benchmark's report: every figure beside its baseline, as a ratio, and the target."""

from __future__ import annotations

from typing import Any


def _ratio(value: float | None, baseline: float | None) -> str:
    if value is None or not baseline:
        return "-"
    return f"{value / baseline:.2f}x"


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def render(meta: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    base = results["baseline"]
    empty = results["embedded, empty store"]
    large = results["embedded, large store"]
    relay = base["saturated"]
    rows = [
        ("figure", "Hypee", "baseline", "ratio", "target"),
        (
            "fan-out at saturation, delivered frames/s (20 conversations x 4 sockets, "
            f"empty store), beside the bare relay (TCP_NODELAY, as Hypee): {_runs(empty)}; "
            "sends answered `busy` (past HYPEE_MAX_SENDS_IN_FLIGHT, retried after 1 s): "
            f"{_fmt(empty['saturated']['errors'].get('busy', 0))}",
            _fmt(empty["saturated"]["delivered_per_second"])
            + _spread(empty["saturated"], "delivered_per_second"),
            f"{_fmt(relay['delivered_per_second'])}"
            f"{_spread(relay, 'delivered_per_second')} (bare relay)",
            _ratio(empty["saturated"]["delivered_per_second"], relay["delivered_per_second"]),
            "≥ 0.35x",
        ),
        (
            "the same, beside the bare relay with Tornado's defaults (Nagle on at both ends)",
            _fmt(empty["saturated"]["delivered_per_second"]),
            f"{_fmt(base['saturated_nagle']['delivered_per_second'])} (relay, Nagle on)",
            _ratio(
                empty["saturated"]["delivered_per_second"],
                base["saturated_nagle"]["delivered_per_second"],
            ),
            "-",
        ),
        (
            "the same on the large store (10,000 mentors, 5,000 conversations, 100,000 messages)",
            _fmt(large["saturated"]["delivered_per_second"]),
            f"{_fmt(empty['saturated']['delivered_per_second'])} (empty store)",
            _ratio(
                large["saturated"]["delivered_per_second"],
                empty["saturated"]["delivered_per_second"],
            ),
            "≥ 0.9x",
        ),
        (
            "server CPU per delivered frame (empty / large store)",
            f"{_fmt(empty['saturated']['server_cpu_ms_per_delivered'], ' ms', 3)} / "
            f"{_fmt(large['saturated']['server_cpu_ms_per_delivered'], ' ms', 3)}",
            f"{_fmt(relay['server_cpu_ms_per_delivered'], ' ms', 3)} (bare relay)",
            _ratio(
                empty["saturated"]["server_cpu_ms_per_delivered"],
                relay["server_cpu_ms_per_delivered"],
            ),
            "≤ 0.10 ms / 0.12 ms",
        ),
        (
            f"p99 send → delivery at {meta.get('rate', 150)} msg/s offered (empty / large "
            f"store; empty store and relay: {_runs(empty)})",
            f"{_fmt(empty['offered']['latency_p99_ms'], ' ms', 1)}"
            f"{_spread(empty['offered'], 'latency_p99_ms', 1)} / "
            f"{_fmt(large['offered']['latency_p99_ms'], ' ms', 1)}",
            f"{_fmt(base['offered']['latency_p99_ms'], ' ms', 1)}"
            f"{_spread(base['offered'], 'latency_p99_ms', 1)} (bare relay)",
            _ratio(empty["offered"]["latency_p99_ms"], base["offered"]["latency_p99_ms"]),
            "≤ 2.5x",
        ),
        (
            "WebSocket connect + auth, server CPU per socket (large store)",
            _fmt(large.get("connect", {}).get("server_cpu_ms_per_socket"), " ms", 2),
            f"{_fmt(base['connect']['server_cpu_ms_per_socket'], ' ms', 2)} (relay connect)",
            _ratio(
                large.get("connect", {}).get("server_cpu_ms_per_socket"),
                base["connect"]["server_cpu_ms_per_socket"],
            ),
            "≤ 0.6 ms",
        ),
        (
            f"{large.get('connect', {}).get('connected', 0):,} idle authenticated sockets: "
            "server memory (whole process / added by the sockets)",
            f"{_fmt(large.get('connect', {}).get('rss_mb'), ' MB')} / "
            f"{_fmt(large.get('connect', {}).get('rss_added_mb'), ' MB')}",
            "-",
            "-",
            "≤ 160 MB",
        ),
        (
            "GET /api/mentors/?country=FR&limit=20 over 10,000 mentors, requests/s",
            _fmt(large.get("mentors", {}).get("rate")),
            f"{_fmt(base['json']['rate'])} (bare JSON handler)",
            _ratio(large.get("mentors", {}).get("rate"), base["json"]["rate"]),
            "≥ 0.35x",
        ),
        (
            f"/healthz on the large store while {meta.get('rate', 150)} msg/s are sent: slowest "
            "answer (p99); in brackets, while the server is saturated",
            f"{_fmt(large['offered']['healthz_max_ms'], ' ms', 1)} "
            f"({_fmt(large['offered']['healthz_p99_ms'], ' ms', 1)}); "
            f"[{_fmt(large['saturated']['healthz_max_ms'], ' ms', 1)}]",
            "-",
            "-",
            "saturated: ≤ 20 ms",
        ),
        _featured_row(empty, results.get("embedded, featured groups")),
        (
            "store operations per send (reads + writes), sends per commit",
            _store(empty["saturated"]),
            "5 (before: mongomock, one write each)",
            "-",
            "fewer than before",
        ),
    ]
    for name, figures in results.items():
        if name.startswith("MongoDB"):
            rows.append(
                (
                    f"{name}: fan-out delivered frames/s, CPU per frame",
                    f"{_fmt(figures['saturated']['delivered_per_second'])}, "
                    f"{_fmt(figures['saturated']['server_cpu_ms_per_delivered'], ' ms', 3)}",
                    f"{_fmt(relay['delivered_per_second'])} (bare relay)",
                    _ratio(
                        figures["saturated"]["delivered_per_second"],
                        relay["delivered_per_second"],
                    ),
                    "-",
                )
            )
    lines = [
        "# Benchmark",
        "",
        f"- date: {meta['date']}, commit {meta['commit']}",
        f"- machine: {meta['machine']}",
        f"- load average before / after: {meta['load_average_before']} / "
        f"{meta['load_average_after']}",
        f"- command: `{meta['command']}`",
        f"- MongoDB: {meta['mongodb']}",
        "- server, baselines and load generator share this machine; every message is committed "
        "(fsync) before its ack",
        "",
    ]
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(row) + " |")
        if number == 0:
            lines.append("|" + "---|" * len(row))
    return "\n".join(lines) + "\n"


def _featured_row(plain: dict[str, Any], featured: dict[str, Any] | None) -> tuple[str, ...]:
    """A send where the groups hold what later capabilities look at, beside a plain one."""
    name = (
        "server CPU per send at saturation, in groups with a block, a mute, changed "
        "notification settings and an away member (email and push queued)"
    )
    if featured is None:
        return (name, "-", "-", "-", "≤ 1.1x")
    mine = featured["saturated"]["server_cpu_ms_per_send"]
    before = plain["saturated"]["server_cpu_ms_per_send"]
    return (
        name,
        _fmt(mine, " ms", 3),
        f"{_fmt(before, ' ms', 3)} (plain groups)",
        _ratio(mine, before),
        "≤ 1.1x",
    )


def _runs(figures: dict[str, Any]) -> str:
    count = len(figures["saturated"].get("runs", [])) or 1
    return "one run" if count == 1 else f"medians of {count} runs, taking turns"


def _spread(figures: dict[str, Any], key: str, digits: int = 0) -> str:
    """' (lowest to highest)' over a figure's runs, when it has several."""
    values = [run[key] for run in figures.get("runs", []) if run.get(key) is not None]
    if len(values) < 2:
        return ""
    return f" ({_fmt(min(values), '', digits)} to {_fmt(max(values), '', digits)})"


def _store(figures: dict[str, Any]) -> str:
    ops = figures.get("store_ops_per_send")
    if not ops:
        return "-"
    return f"{ops['reads']} + {ops['writes']}, {figures['sends_per_commit']} sends per commit"
