"""Real `python run.py` processes for the tests: restarts, signals, several processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.client import ApiClient

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**settings: str) -> dict[str, str]:
    """A clean environment: no HYPEE_* from the caller, cheap hashing, and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPEE_")}
    env.update(
        HYPEE_ARGON2_TIME_COST="1",
        HYPEE_ARGON2_MEMORY_KIB="256",
        HYPEE_LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


async def run_command(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    """Run `python run.py args...` to completion: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "run.py",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, stdout.decode(), stderr.decode()


class ServerProcess:
    """`python run.py` on a free port, with its output captured to a file."""

    def __init__(self, log_path: Path, **settings: str) -> None:
        self.port = int(settings.get("HYPEE_PORT") or free_port())
        self.env = server_env(HYPEE_PORT=str(self.port), **settings)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.client = ApiClient(f"http://127.0.0.1:{self.port}")

    async def start(self, timeout: float = 20) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "run.py",
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self.process.returncode is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if (await self.client.get("/healthz", request_timeout=1)).status == 200:
                    return self
            except OSError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"server did not start:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Send `sig` and wait for the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RedisProcess:
    """A real redis-server on a free loopback port, without persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> RedisProcess:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return self
            except OSError:
                await asyncio.sleep(0.02)
        raise TimeoutError("redis-server did not start")

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    @staticmethod
    async def restart_on(redis: RedisProcess) -> RedisProcess:
        """Start a killed redis-server again on the same port."""
        await redis.kill()
        return await redis.start()


class WireMongoProcess:
    """tests/mongowire.py (MongoDB's wire protocol in front of mongomock), as a process; with
    `replica_set`, a one-member replica set that runs transactions."""

    def __init__(self, replica_set: bool = False) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.uri = ""
        self.replica_set = replica_set

    async def start(self) -> WireMongoProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.mongowire",
            "0",
            *(["--replica-set"] if self.replica_set else []),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        line = await asyncio.wait_for(self.process.stdout.readline(), 20)
        self.uri = f"mongodb://127.0.0.1:{line.split()[-1].decode()}/"
        return self

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@contextlib.asynccontextmanager
async def two_process_cluster(
    tmp_path: Path, name: str, **extra: str
) -> AsyncIterator[tuple[RedisProcess, ServerProcess, ServerProcess]]:
    """(redis, process A, process B): two `run.py` processes sharing a MongoDB (the wire
    stand-in, as a replica set) and a real redis-server, all on loopback ports; `extra`
    settings for both."""
    store = await WireMongoProcess(replica_set=True).start()
    redis = await RedisProcess(tmp_path / "redis").start()
    settings = {
        "HYPEE_MONGO_URI": store.uri,
        "HYPEE_MONGO_DB": name,
        "HYPEE_REDIS_URL": redis.url,
        "HYPEE_SEND_RATE_PER_10S": "0",
        "HYPEE_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }
    a = await ServerProcess(tmp_path / "a.log", **settings).start()
    b = await ServerProcess(tmp_path / "b.log", **settings).start()
    try:
        yield redis, a, b
    finally:
        for process in (a, b):
            process.kill()
        if redis.process is not None and redis.process.returncode is None:
            redis.process.send_signal(signal.SIGCONT)  # a test may have stopped it
        await redis.kill()
        await store.kill()
