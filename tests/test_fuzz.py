"""Schemathesis over the server's own OpenAPI document, authenticated and anonymous.

A real server on a loopback port, a registered user, and `schemathesis run` with every check
(no 5xx, status codes, content types, headers and bodies as documented, schema-valid requests
accepted, schema-invalid ones refused, stateful sequences), a bounded number of examples per
operation and a fixed seed, so a failure can be replayed. tests/fuzz/ holds its settings and
the hooks for the two rules OpenAPI cannot state. The WebSocket routes are left out: an
upgrade is not something the generator can send (tests/test_hostile_input.py covers their
plain-HTTP answers).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES = 20
SEED = 2026
RUN_SECONDS = 120
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def schemathesis(url: str, workdir: Path, *options: str) -> tuple[int, str]:
    """Run it in `workdir`: its cache of earlier failures (.schemathesis/, replayed first)
    starts empty every time, so a run depends on the seed alone."""
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(ROOT / "tests" / "fuzz" / "schemathesis.toml"),
        "run",
        url,
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--exclude-path-regex",
        "^/ws",
        *options,
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), RUN_SECONDS)
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.parametrize("who", ["authenticated", "anonymous"])
async def test_schemathesis_finds_nothing(who: str, tmp_path):
    settings = {
        "HYPEE_DATA_DIR": str(tmp_path / "data"),
        "HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN": "1000000",
        "HYPEE_LOGIN_FAILURES_PER_MIN": "1000000",
        "HYPEE_SEND_RATE_PER_10S": "0",
        "HYPEE_LOG_LEVEL": "warning",
    }
    server = await ServerProcess(tmp_path / "server.log", **settings).start()
    try:
        options: list[str] = []
        if who == "authenticated":
            account = await server.client.register("Fuzzer", role="mentor")
            options = ["--header", f"Authorization: Bearer {account.access}"]
        code, output = await schemathesis(
            f"http://127.0.0.1:{server.port}/api/openapi.json", tmp_path, *options
        )
    finally:
        await server.stop()
    assert code == 0, output[-20000:]
    assert "Traceback" not in server.log(), server.log()[-5000:]
