"""Acknowledged work that the embedded store no longer holds: a write-ahead log deleted, cut
short or damaged after `kill -9`, or an older backup put in place. The start is refused with one
line naming the database until an operator accepts the loss (`--repair`); then clients that
hold numbers the store no longer has are told `stale` and fetch anew."""

from __future__ import annotations

import shutil
import signal
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import BACKGROUND, Account, ApiClient, Socket
from tests.helpers import assert_error, history, open_direct, send
from tests.processes import ServerProcess, run_command, server_env

pytestmark = pytest.mark.slow

WAL_HEADER = 32
FRAME_HEADER = 24


def commit_ends(wal: bytes) -> list[int]:
    """The byte offsets at which each transaction in a write-ahead log ends."""
    (page_size,) = struct.unpack(">I", wal[8:12])
    frame = FRAME_HEADER + page_size
    ends = []
    for start in range(WAL_HEADER, len(wal) - frame + 1, frame):
        (size_after_commit,) = struct.unpack(">I", wal[start + 4 : start + 8])
        if size_after_commit:
            ends.append(start + frame)
    return ends


def delete_log(wal: Path) -> None:
    wal.unlink()


def cut_log_at_a_commit(wal: Path) -> None:
    data = wal.read_bytes()
    ends = commit_ends(data)
    wal.write_bytes(data[: ends[len(ends) // 2]])


def flip_bytes_in_log(wal: Path) -> None:
    data = bytearray(wal.read_bytes())
    middle = commit_ends(bytes(data))[len(commit_ends(bytes(data))) // 2]
    for offset in range(middle + 40, middle + 48):
        data[offset] ^= 0xFF
    wal.write_bytes(bytes(data))


async def start(tmp_path: Path, data: Path, name: str) -> ServerProcess:
    return await ServerProcess(
        tmp_path / f"{name}.log", HYPEE_DATA_DIR=str(data), HYPEE_SEND_RATE_PER_10S="0"
    ).start()


async def login(api: ApiClient, account: Account) -> Account:
    response = await api.post(
        "/api/auth/login", {"email": account.email, "password": account.password}
    )
    assert response.status == 200, response
    return Account(**{**account.__dict__, "access": response.json["access"]})


async def refused_start(data: Path) -> str:
    code, _, stderr = await run_command(env=server_env(HYPEE_DATA_DIR=str(data), HYPEE_PORT="0"))
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("hypee: refusing to start")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


async def accept_the_loss(data: Path) -> None:
    code, stdout, stderr = await run_command(
        "--repair", env=server_env(HYPEE_DATA_DIR=str(data), HYPEE_PORT="0")
    )
    assert code == 0, stdout + stderr


async def clients_are_told_stale(api: ApiClient, alice: Account, bob: Account, cid: str) -> None:
    """Bob held up to seq 50: resuming from there is `stale`, so is `after=50`; once he fetches
    anew, a new message takes the next number the store has and reaches him."""
    held = (await history(api, bob, cid, limit=100))["results"]
    head = held[-1]["seq"]
    assert head < 50
    socket = await Socket.connect(api.base_url, "/ws", bob.access)
    try:
        await socket.send({"type": "resume", "cursors": {cid: 50}, "revs": {cid: 50}})
        assert (await socket.expect("stale"))["conversation_id"] == cid
        await socket.expect("resumed", skip=(*BACKGROUND, "read"))
        response = await api.get(f"/api/conversations/{cid}/messages/?after=50", token=bob.access)
        assert_error(response, 410, "stale")
        sent = await send(api, alice, cid, "after the loss")
        assert sent.status == 201 and sent.json["seq"] == head + 1
        assert (await socket.expect("message"))["message"]["body"] == "after the loss"
    finally:
        socket.close()


async def refused_then_accepted(
    tmp_path: Path, data: Path, people: tuple[Account, Account], cid: str
) -> None:
    """The start is refused with one line naming the database and `--repair`; once the loss is
    accepted the server starts, and Bob, who held up to seq 50, is told `stale`."""
    line = await refused_start(data)
    assert str(data / "hypee.db") in line and "--repair" in line and "missing" in line
    await accept_the_loss(data)
    server = await start(tmp_path, data, "after-repair")
    try:
        api = server.client
        alice, bob = [await login(api, person) for person in people]
        await clients_are_told_stale(api, alice, bob, cid)
    finally:
        await server.stop()


@pytest.mark.parametrize(
    "damage",
    [delete_log, cut_log_at_a_commit, flip_bytes_in_log],
    ids=["deleted", "cut-at-a-commit", "bytes-flipped"],
)
async def test_a_damaged_log_after_kill_is_refused_until_the_loss_is_accepted(
    tmp_path: Path, damage: Callable[[Path], None]
):
    data = tmp_path / "data"
    server = await start(tmp_path, data, "first")
    api = server.client
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    for number in range(25):
        assert (await send(api, alice, cid, f"checkpointed {number}")).status == 201
    assert await server.stop() == 0  # checkpoints: these 25 are in the database file
    server = await start(tmp_path, data, "second")
    api = server.client
    for number in range(25):
        assert (await send(api, alice, cid, f"in the log {number}")).status == 201
    server.kill()  # the last 25 are in the write-ahead log only
    await server.process.wait()
    damage(data / "hypee.db-wal")

    await refused_then_accepted(tmp_path, data, (alice, bob), cid)


async def test_a_restored_older_backup_is_refused_until_the_loss_is_accepted(tmp_path: Path):
    data, backup = tmp_path / "data", tmp_path / "backup.db"
    server = await start(tmp_path, data, "first")
    api = server.client
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    for number in range(25):
        assert (await send(api, alice, cid, f"backed up {number}")).status == 201
    code, _, stderr = await run_command(
        "--backup", str(backup), env=server_env(HYPEE_DATA_DIR=str(data))
    )
    assert code == 0, stderr
    for number in range(25):
        assert (await send(api, alice, cid, f"after the backup {number}")).status == 201
    assert await server.stop(signal.SIGTERM) == 0
    for suffix in ("-wal", "-shm"):
        (data / f"hypee.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, data / "hypee.db")

    await refused_then_accepted(tmp_path, data, (alice, bob), cid)
