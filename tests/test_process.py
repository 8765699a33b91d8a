"""`python run.py` as operators run it: start-up, refusals, restarts, signals, the demo seed."""

from __future__ import annotations

import asyncio
import json
import signal
from urllib.parse import urlencode

import pytest

from config import Settings
from tests.client import PASSWORD, Socket
from tests.helpers import PROFILE
from tests.processes import ServerProcess, run_command, server_env

pytestmark = pytest.mark.slow


@pytest.fixture
def processes():
    started: list[ServerProcess] = []
    yield started
    for process in started:
        process.kill()


async def start(processes, tmp_path, **settings) -> ServerProcess:
    server = ServerProcess(tmp_path / f"server{len(processes)}.log", **settings)
    processes.append(server)
    return await server.start()


async def test_first_log_line_says_embedded_mode_and_logs_are_json(processes, tmp_path):
    server = await start(processes, tmp_path, HYPEE_DATA_DIR=str(tmp_path / "data"))
    response = await server.client.get(
        "/api/mentors/?limit=5", headers={"X-Request-ID": "trace-42"}
    )
    assert await server.stop() == 0
    lines = [json.loads(line) for line in server.log().splitlines()]
    assert "embedded mode" in lines[0]["msg"]
    assert lines[0]["level"] == "info"
    access = [line for line in lines if line.get("request_id") == "trace-42"]
    assert len(access) == 1
    assert access[0]["route"] == "/api/mentors/"
    assert access[0]["status"] == response.status == 200
    assert access[0]["method"] == "GET"
    assert access[0]["duration_ms"] >= 0


async def test_restart_keeps_accounts_and_profiles(processes, tmp_path):
    data = str(tmp_path / "data")
    server = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    account = await server.client.register("Persistent Péter", email="keep@example.com")
    response = await server.client.put("/api/me/mentor-profile", PROFILE, token=account.access)
    assert response.status == 200
    assert await server.stop(signal.SIGTERM) == 0

    again = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    login = await again.client.post(
        "/api/auth/login", {"email": "keep@example.com", "password": PASSWORD}
    )
    assert login.status == 200, login
    assert login.json["user"]["mentor"]["headline"] == PROFILE["headline"]
    assert [m["id"] for m in (await again.client.get("/api/mentors/?q=peter")).json["results"]] == [
        account.id
    ]
    # The refresh token of the first run still works: sessions were kept too.
    assert (
        await again.client.post("/api/auth/refresh", {"refresh": account.refresh})
    ).status == 200
    # The unique email index was recreated.
    taken = await again.client.post(
        "/api/auth/register",
        {"email": "KEEP@example.com", "password": PASSWORD, "display_name": "X"},
    )
    assert taken.status == 409
    assert await again.stop(signal.SIGINT) == 0


async def test_an_acknowledged_registration_survives_a_crash_right_after(processes, tmp_path):
    data = str(tmp_path / "data")
    server = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    await server.client.register(email="crash@example.com")
    server.kill()  # no clean shutdown, no delay: the 201 came after the commit
    await server.process.wait()
    again = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    login = await again.client.post(
        "/api/auth/login", {"email": "crash@example.com", "password": PASSWORD}
    )
    assert login.status == 200


async def test_in_flight_request_finishes_during_shutdown(processes, tmp_path):
    data = str(tmp_path / "data")
    # Expensive hashing makes the registration take a noticeable time.
    server = await start(
        processes,
        tmp_path,
        HYPEE_DATA_DIR=data,
        HYPEE_ARGON2_TIME_COST="40",
        HYPEE_ARGON2_MEMORY_KIB="65536",
    )
    body = {"email": "slow@example.com", "password": PASSWORD, "display_name": "Slow"}
    pending = asyncio.ensure_future(server.client.post("/api/auth/register", body))
    await asyncio.sleep(0.3)
    assert not pending.done()
    server.process.send_signal(signal.SIGTERM)
    response = await pending
    assert response.status == 201, response
    assert await asyncio.wait_for(server.process.wait(), 30) == 0
    # It was written before exit.
    again = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    login = await again.client.post(
        "/api/auth/login", {"email": "slow@example.com", "password": PASSWORD}
    )
    assert login.status == 200


async def test_second_process_on_the_same_data_dir_is_refused(processes, tmp_path):
    data = str(tmp_path / "data")
    await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    code, _, stderr = await run_command(env=server_env(HYPEE_DATA_DIR=data, HYPEE_PORT="0"))
    assert code == 2
    assert "another server process" in stderr


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"HYPEE_ENV": "production", "HYPEE_MONGO_URI": "mongodb://db/"}, "HYPEE_JWT_SECRET"),
        ({"HYPEE_ENV": "production", "HYPEE_JWT_SECRET": "s" * 40}, "HYPEE_MONGO_URI"),
        (
            {
                "HYPEE_ENV": "production",
                "HYPEE_JWT_SECRET": "short",
                "HYPEE_MONGO_URI": "mongodb://db/",
            },
            "HYPEE_JWT_SECRET",
        ),
        (
            {
                "HYPEE_ENV": "production",
                "HYPEE_JWT_SECRET": "s" * 40,
                "HYPEE_MONGO_URI": "mongodb://db/",
                "HYPEE_SMTP_URL": "smtps://mail.example:465",
            },
            "HYPEE_PUBLIC_URL",
        ),
        ({"HYPEE_SMTP_URL": "http://mail.example"}, "HYPEE_SMTP_URL"),
        ({"HYPEE_PORT": "eighty"}, "HYPEE_PORT"),
        ({"HYPEE_ENV": "staging"}, "HYPEE_ENV"),
    ],
)
async def test_refuses_to_start_with_a_one_line_reason(settings, reason):
    code, _, stderr = await run_command(env=server_env(**settings), timeout=20)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert reason in lines[0]
    assert "refusing to start" in lines[0]


async def test_help_documents_flags_and_every_setting():
    code, stdout, _ = await run_command("--help", env=server_env())
    assert code == 0
    for flag in ("--host", "--port", "--seed-demo"):
        assert flag in stdout
    for spec in Settings.__dataclass_fields__.values():
        assert spec.metadata["env"] in stdout


async def test_seed_demo_fills_an_empty_store_once(processes, tmp_path):
    data = str(tmp_path / "data")
    env = server_env(HYPEE_DATA_DIR=data)
    code, stdout, stderr = await run_command("--seed-demo", env=env, timeout=120)
    assert code == 0, stderr
    assert "mentor1@demo.hypee.dev" in stdout
    password = stdout.split("every password is ")[1].split("'")[1]

    server = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    listing = (await server.client.get("/api/mentors/?limit=100")).json
    mentors = listing["results"]
    assert len(mentors) >= 40
    assert len({m["mentor"]["country"] for m in mentors}) >= 5
    assert len({s for m in mentors for s in m["mentor"]["specialties"]}) >= 8
    login = await server.client.post(
        "/api/auth/login", {"email": "mentor1@demo.hypee.dev", "password": password}
    )
    assert login.status == 200
    mentee = await server.client.post(
        "/api/auth/login", {"email": "mentee1@demo.hypee.dev", "password": password}
    )
    assert mentee.status == 200 and "mentor" not in mentee.json["user"]
    # A forum with answered questions, and points earned there (each backed by its history).
    forum = (await server.client.get("/api/questions/?status=accepted")).json["results"]
    assert len(forum) >= 5
    top = (await server.client.get("/api/mentors/?sort=points&limit=1")).json["results"][0]
    assert top["points"] > 0
    history = (await server.client.get(f"/api/users/{top['id']}/points?limit=100")).json["results"]
    assert sum(event["delta"] for event in history) == top["points"]
    # Accent-insensitive search works on the demo data too.
    found = await server.client.get("/api/mentors/?" + urlencode({"q": "jose"}))
    assert any("José" in m["display_name"] for m in found.json["results"])
    assert await server.stop() == 0

    code, stdout, _ = await run_command("--seed-demo", env=env, timeout=60)
    assert code == 0
    assert "nothing was seeded" in stdout
    server = await start(processes, tmp_path, HYPEE_DATA_DIR=data)
    again = (await server.client.get("/api/mentors/?limit=100")).json["results"]
    assert len(again) == len(mentors)


async def test_shutdown_closes_sockets_with_1001(processes, tmp_path):
    server = await start(processes, tmp_path, HYPEE_DATA_DIR=str(tmp_path / "data"))
    account = await server.client.register()
    socket = await Socket.connect(server.client.base_url, "/ws", account.access)
    server.process.send_signal(signal.SIGTERM)
    assert await socket.closed() == 1001
    assert await asyncio.wait_for(server.process.wait(), 20) == 0
