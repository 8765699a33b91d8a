"""The embedded store's faults, as an operator meets them: a full disk, and a database file that
is damaged, truncated or missing, or left by an earlier version."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import bson
import pytest
from bson import ObjectId

from hypee.db import open_embedded
from hypee.jsonio import utcnow
from tests.client import PASSWORD, ApiClient, Socket
from tests.helpers import assert_error, history, open_direct, send
from tests.processes import ServerProcess, run_command, server_env

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def small_disk(path: Path, megabytes: int):
    """A tmpfs of `megabytes` at `path` (the test is skipped where mounting is not allowed)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)
    return filler


async def test_a_full_disk_refuses_writes_with_503_keeps_what_was_acked_and_recovers(tmp_path):
    with small_disk(tmp_path / "disk", 16) as disk:
        data = disk / "data"
        settings = {"HYPEE_DATA_DIR": str(data), "HYPEE_SEND_RATE_PER_10S": "0"}
        server = await ServerProcess(tmp_path / "server.log", **settings).start()
        api = server.client
        try:
            alice, bob = await api.register("Alice"), await api.register("Bob")
            cid = (await open_direct(api, alice, bob))["id"]
            socket = await Socket.connect(api.base_url, "/ws", alice.access)
            ticket = await api.post(
                "/api/uploads/",
                {"filename": "a.pdf", "content_type": "application/pdf", "size": 200_000},
                token=alice.access,
            )
            filler = fill(disk)
            acked, refused = await send_until_refused(api, alice, cid)
            assert refused, "the full disk never refused a write"
            assert_error(refused, 503, "unavailable")
            assert "disk full" in refused.json["error"]["message"]
            await socket.send(
                {"type": "message", "conversation_id": cid, "client_id": "ws-1", "body": "x"}
            )
            error = await socket.expect("error")
            assert error["code"] == "unavailable" and error["ref"] == "ws-1"
            ready = await api.get("/readyz")
            assert ready.status == 503 and ready.json["store"] == "read-only: disk full"
            # An upload onto the full disk: a JSON 507 once its body is read, and no file left.
            put = await api.put(
                ticket.json["url"].split(str(server.port), 1)[1],
                body=b"x" * 200_000,
                headers=ticket.json["headers"],
            )
            assert_error(put, 507, "insufficient_storage")
            assert not [p for p in (data / "attachments").rglob("*") if p.is_file()]
            # Space comes back: so do writes, by themselves.
            filler.unlink()
            await wait_ready(api)
            assert (await send(api, alice, cid, "after")).status == 201
            acked.append("after")
            assert await server.stop() == 0
            log = server.log()
            assert "the database is read-only until writes succeed again" in log
            assert "the database is writable again" in log
            server = await ServerProcess(tmp_path / "server.log", **settings).start()
            api = server.client
            kept = await every_body(api, bob, cid)
            assert kept == acked  # every acknowledged message, and nothing refused
        finally:
            server.kill()
            await asyncio.sleep(0.2)


async def send_until_refused(api: ApiClient, account, cid: str, limit: int = 4000):
    """Send 1 KB messages until one is refused: (bodies acknowledged, the refusal)."""
    acked = []
    for number in range(limit):
        body = f"{number:05d}" + "x" * 1000
        response = await send(api, account, cid, body)
        if response.status != 201:
            return acked, response
        acked.append(body)
    return acked, None


async def wait_ready(api: ApiClient, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if (await api.get("/readyz")).status == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the store did not become writable again")


async def every_body(api: ApiClient, account, cid: str) -> list[str]:
    bodies, page = [], await history(api, account, cid, after=0, limit=100)
    while True:
        bodies += [m["body"] for m in page["results"]]
        if not page["next_cursor"]:
            return bodies
        page = await history(api, account, cid, cursor=page["next_cursor"], limit=100)


# -- a disk that answers I/O errors -------------------------------------------------------------

FAULTS_SOURCE = Path(__file__).parent / "faults" / "eio.c"


@pytest.fixture(scope="module")
def eio_library(tmp_path_factory) -> Path:
    """tests/faults/eio.c built: preloaded, it fails reads, writes or syncs with EIO on cue."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler to build the I/O fault library")
    library = tmp_path_factory.mktemp("faults") / "eio.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(library), str(FAULTS_SOURCE), "-ldl"],
        check=True,
    )
    return library


async def failing_disk_server(tmp_path: Path, library: Path) -> tuple[ServerProcess, Path]:
    """A server whose database files fail (read, write or sync) while the returned switch
    file names those operations."""
    data, switch = tmp_path / "data", tmp_path / "fault"
    server = await ServerProcess(
        tmp_path / "server.log",
        HYPEE_DATA_DIR=str(data),
        LD_PRELOAD=str(library),
        HYPEE_FAULT_SWITCH=str(switch),
        HYPEE_FAULT_MATCH=str(data / "hypee.db"),
    ).start()
    return server, switch


async def test_a_disk_that_fails_reads_is_named_by_readyz_the_log_and_the_answers(
    tmp_path, eio_library
):
    server, switch = await failing_disk_server(tmp_path, eio_library)
    api = server.client
    try:
        alice, bob = await api.register("Alice"), await api.register("Bob")
        cid = (await open_direct(api, alice, bob))["id"]
        assert (await send(api, alice, cid, "before the fault")).status == 201
        switch.write_text("read")
        for _ in range(3):
            refused = await api.get(f"/api/conversations/{cid}/messages/", token=bob.access)
            message = assert_error(refused, 503, "unavailable")["message"]
            assert "I/O error" in message and "damaged" not in message, message
        ready = await api.get("/readyz")
        assert ready.status == 503
        assert ready.json["store"].startswith("failing: I/O error reading hypee.db")
        errors = [line for line in server.log().splitlines() if '"level":"error"' in line]
        assert len(errors) == 1 and "the database cannot be read" in errors[0], errors
        switch.unlink()
        await wait_ready(api)
        assert (await history(api, bob, cid))["results"][0]["body"] == "before the fault"
    finally:
        await server.stop()


async def test_a_disk_that_fails_writes_is_named_the_same_way(tmp_path, eio_library):
    server, switch = await failing_disk_server(tmp_path, eio_library)
    api = server.client
    try:
        alice, bob = await api.register("Alice"), await api.register("Bob")
        cid = (await open_direct(api, alice, bob))["id"]
        switch.write_text("write sync")
        message = assert_error(await send(api, alice, cid, "lost"), 503, "unavailable")["message"]
        assert "I/O error" in message
        ready = await api.get("/readyz")
        assert ready.status == 503 and ready.json["store"] == "read-only: I/O error"
        switch.unlink()
        await wait_ready(api)
        assert (await send(api, alice, cid, "kept")).status == 201
        assert [m["body"] for m in (await history(api, bob, cid))["results"]] == ["kept"]
    finally:
        await server.stop()


async def test_a_read_only_file_system_is_refused_with_one_line(tmp_path):
    with small_disk(tmp_path / "disk", 16) as disk:
        data = disk / "data"
        server = await ServerProcess(tmp_path / "server.log", HYPEE_DATA_DIR=str(data)).start()
        await server.client.register("Alice")
        assert await server.stop() == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)  # noqa: ASYNC221
        for directory in (data, disk / "never-made"):
            env = server_env(HYPEE_DATA_DIR=str(directory), HYPEE_PORT="0")
            code, _, stderr = await run_command(env=env)
            assert code == 2 and "Traceback" not in stderr, stderr
            [line] = [x for x in stderr.splitlines() if x.startswith("hypee: refusing to start")]
            assert str(directory) in line and "Read-only file system" in line


# -- damaged documents ---------------------------------------------------------------------------


def damage_document(database: Path, collection: str, rid: int | None = None) -> int:
    """Cut the stored bytes of one document of `collection` (the first one when `rid` is
    None) so that they no longer decode; returns its row."""
    connection = sqlite3.connect(database)
    try:
        (number,) = connection.execute(
            "SELECT number FROM _collections WHERE name = ?", (collection,)
        ).fetchone()
        if rid is None:
            (rid,) = connection.execute(f"SELECT min(rid) FROM c{number}").fetchone()
        connection.execute(
            f"UPDATE c{number} SET doc = CAST(substr(doc, 1, 12) || X'FFFFFF' AS BLOB) "
            "WHERE rid = ?",
            (rid,),
        )
        connection.commit()
    finally:
        connection.close()
    return rid


async def test_damaged_documents_answer_errors_are_found_and_set_aside(tmp_path):
    data = tmp_path / "data"
    server = await ServerProcess(tmp_path / "first.log", HYPEE_DATA_DIR=str(data)).start()
    api = server.client
    alice, bob, cat = [await api.register(n) for n in ("Alice", "Bob", "Cat")]
    damaged_cid = (await open_direct(api, alice, bob))["id"]
    kept_cid = (await open_direct(api, alice, cat))["id"]
    for cid in (damaged_cid, kept_cid):
        assert (await send(api, alice, cid, "hello")).status == 201
    assert await server.stop() == 0
    database = data / "hypee.db"
    damage_document(database, "conversations")  # the first one: Alice and Bob's
    damage_document(database, "users", rid=2)  # Bob

    server = await ServerProcess(tmp_path / "second.log", HYPEE_DATA_DIR=str(data)).start()
    api = server.client
    try:
        for _ in range(3):
            refused = await api.get(f"/api/conversations/{damaged_cid}/", token=alice.access)
            assert "damaged" in assert_error(refused, 503, "unavailable")["message"]
        assert_error(await api.get(f"/api/users/{bob.id}"), 503, "unavailable")
        assert (await api.get(f"/api/users/{cat.id}")).status == 200
        assert (await history(api, cat, kept_cid))["results"][0]["body"] == "hello"
        log = server.log()
        assert "Traceback" not in log
        reported = [line for line in log.splitlines() if "cannot be decoded;" in line]
        assert len(reported) == 2, reported  # once per document, however often it is met
        assert any('"collection":"conversations"' in line for line in reported)
    finally:
        assert await server.stop() == 0

    env = server_env(HYPEE_DATA_DIR=str(data))
    code, out, _ = await run_command("--check", env=env)
    assert code == 1 and "documents that cannot be decoded" in out, out
    assert "conversations row" in out and "users row 2" in out
    code, out, err = await run_command("--repair", env=env)
    assert code == 0, out + err
    code, out, _ = await run_command("--check", env=env)
    assert code == 0, out
    connection = sqlite3.connect(database)
    try:
        kept = connection.execute("SELECT collection FROM _damaged ORDER BY collection").fetchall()
    finally:
        connection.close()
    assert kept == [("conversations",), ("users",)]

    server = await ServerProcess(tmp_path / "third.log", HYPEE_DATA_DIR=str(data)).start()
    api = server.client
    try:
        gone = await api.get(f"/api/conversations/{damaged_cid}/", token=alice.access)
        assert_error(gone, 404, "not_found")
        assert (await history(api, cat, kept_cid))["results"][0]["body"] == "hello"
    finally:
        await server.stop()


# -- a database that cannot be used as it is ---------------------------------------------------


async def stopped_data_dir(tmp_path: Path) -> Path:
    """A data directory with a few accounts in it, its server stopped."""
    data = tmp_path / "data"
    server = await ServerProcess(tmp_path / "first.log", HYPEE_DATA_DIR=str(data)).start()
    for number in range(30):
        await server.client.register(f"Person {number}", email=f"p{number}@example.com")
    assert await server.stop() == 0
    return data


async def refusal(data: Path) -> str:
    code, _, stderr = await run_command(env=server_env(HYPEE_DATA_DIR=str(data), HYPEE_PORT="0"))
    assert code == 2, stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("hypee: refusing to start")]
    return line


async def test_a_truncated_database_is_refused_with_one_line(tmp_path):
    data = await stopped_data_dir(tmp_path)
    database = data / "hypee.db"
    size = database.stat().st_size
    with open(database, "r+b") as file:
        file.truncate(size // 2)
    line = await refusal(data)
    assert str(database) in line and "truncated" in line and "backup" in line


async def test_a_damaged_database_is_refused_with_one_line(tmp_path):
    data = await stopped_data_dir(tmp_path)
    database = data / "hypee.db"
    with open(database, "r+b") as file:
        file.seek(4096 * 2)
        file.write(b"\xde\xad\xbe\xef" * 2048)
    line = await refusal(data)
    assert str(database) in line and "damaged" in line


async def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    data = await stopped_data_dir(tmp_path)
    (data / "hypee.db").write_bytes(b"this is not a database at all" * 100)
    line = await refusal(data)
    assert "not a SQLite database" in line


async def test_a_missing_database_is_refused_not_silently_recreated(tmp_path):
    data = await stopped_data_dir(tmp_path)
    (data / "hypee.db").unlink()
    line = await refusal(data)
    assert "missing" in line and str(data / "hypee.db") in line


async def test_the_snapshot_of_an_earlier_version_is_migrated(tmp_path):
    data = tmp_path / "data"
    snapshot = data / "store"
    snapshot.mkdir(parents=True)
    user_id, conversation_id = ObjectId(), ObjectId()
    user = {"_id": user_id, "email": "old@example.com", "password_hash": "x", "role": "mentee"}
    user |= {"display_name": "Old Timer", "bio": "", "points": 0, "created_at": utcnow()}
    snapshot.joinpath("users.bson").write_bytes(bson.encode(user))
    messages = [
        {"id": ObjectId(), "seq": n, "sender_id": user_id, "body": f"m{n}", "client_id": f"c{n}"}
        for n in (1, 2)
    ]
    bucket = {"_id": ObjectId(), "conversation_id": conversation_id, "bucket": 0}
    snapshot.joinpath("message_buckets.bson").write_bytes(
        bson.encode({**bucket, "messages": messages})
    )
    server = await ServerProcess(tmp_path / "server.log", HYPEE_DATA_DIR=str(data)).start()
    try:
        profile = await server.client.get(f"/api/users/{user_id}")
        assert profile.status == 200 and profile.json["display_name"] == "Old Timer"
        assert "migrated the snapshot" in server.log()
    finally:
        assert await server.stop() == 0
    assert not snapshot.exists() and list(data.glob("store.migrated-*"))
    store = open_embedded("hypee", str(data))
    try:
        moved = await store.db.messages.find({"conversation_id": conversation_id}).to_list(None)
        assert sorted(m["body"] for m in moved) == ["m1", "m2"]
        assert "message_buckets" not in await store.db.list_collection_names()
    finally:
        await store.close()
    store_check = await run_command("--check", env=server_env(HYPEE_DATA_DIR=str(data)))
    assert store_check[0] == 0, store_check


async def test_a_damaged_snapshot_is_refused_naming_the_file(tmp_path):
    data = tmp_path / "data"
    (data / "store").mkdir(parents=True)
    (data / "store" / "users.bson").write_bytes(b"\x05\x00\x00\x00garbage")
    line = await refusal(data)
    assert str(data / "store" / "users.bson") in line


async def test_a_backup_taken_while_serving_restores_every_account(tmp_path):
    data = tmp_path / "data"
    server = await ServerProcess(tmp_path / "a.log", HYPEE_DATA_DIR=str(data)).start()
    try:
        await server.client.register(email="kept@example.com")
        copy = tmp_path / "copy.db"
        code, stdout, _ = await run_command(
            "--backup", str(copy), env=server_env(HYPEE_DATA_DIR=str(data))
        )
        assert code == 0, stdout
    finally:
        assert await server.stop() == 0
    restored = tmp_path / "restored"
    restored.mkdir()
    copy.rename(restored / "hypee.db")
    again = await ServerProcess(tmp_path / "b.log", HYPEE_DATA_DIR=str(restored)).start()
    try:
        login = await again.client.post(
            "/api/auth/login", {"email": "kept@example.com", "password": PASSWORD}
        )
        assert login.status == 200
    finally:
        assert await again.stop() == 0
