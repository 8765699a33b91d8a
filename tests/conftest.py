"""Fixtures: a real server on a free loopback port, on the embedded engine or a real MongoDB.

With HYPEE_TEST_MONGO_URI set, every server of the suite uses that MongoDB (one fresh database
per test, dropped afterwards) instead of the embedded engine. With `--wire`, the suite starts
tests/mongowire.py (MongoDB's wire protocol in front of mongomock, an in-memory imitation of
MongoDB, as a one-member replica set that runs transactions) and uses it the same way, so the
servers talk to it through PyMongo's real async client and run units of work as transactions,
as in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from config import Settings
from hypee import clock
from hypee.db import open_embedded
from models.indexes import all_indexes
from server.process import Server
from tests.client import ApiClient
from tests.mailbox import Mailbox

TEST_MONGO_URI = os.environ.get("HYPEE_TEST_MONGO_URI") or None
_wire_process: subprocess.Popen | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--wire",
        action="store_true",
        help="run against tests/mongowire.py: MongoDB's wire protocol in front of mongomock",
    )


def pytest_configure(config: pytest.Config) -> None:
    global TEST_MONGO_URI, _wire_process
    if config.getoption("--wire") and not TEST_MONGO_URI:
        _wire_process = subprocess.Popen(
            [sys.executable, "-m", "tests.mongowire", "0", "--replica-set"],
            stdout=subprocess.PIPE,
            text=True,
        )
        port = _wire_process.stdout.readline().split()[-1]
        TEST_MONGO_URI = f"mongodb://127.0.0.1:{port}/"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _wire_process is not None:
        _wire_process.kill()
        _wire_process.wait()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that starts a server exercises the document store.
    for item in items:
        if "api" in getattr(item, "fixturenames", ()) or "start_server" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.mongo)


@pytest.fixture
def base_settings(tmp_path) -> Settings:
    """Settings of a test server: cheap password hashing, generous limits, a private store."""
    settings = Settings(
        env="test",
        host="127.0.0.1",
        port=0,
        data_dir=str(tmp_path / "data"),
        argon2_time_cost=1,
        argon2_memory_kib=256,
        auth_attempts_per_ip_per_min=100_000,
        shutdown_grace_seconds=5,
        log_level="warning",
    )
    if TEST_MONGO_URI:
        settings = settings.replace(
            mongo_uri=TEST_MONGO_URI, mongo_db=f"hypee_test_{uuid.uuid4().hex[:12]}"
        )
    return settings


StartServer = Callable[..., Awaitable[ApiClient]]
# With HYPEE_INDEX_REPORT=<file>, every server appends the uses of each index to it: a tool to
# find declared indexes that no query uses (tests/test_index_use.py checks the important ones).
INDEX_REPORT = os.environ.get("HYPEE_INDEX_REPORT")


def _report_index_uses(server: Server) -> None:
    if INDEX_REPORT and server.running is not None:
        db = server.services.store.embedded_db
        uses = db.index_uses if db is not None else None
        if uses:
            with open(INDEX_REPORT, "a") as report:
                report.write(json.dumps(dict(uses)) + "\n")


@pytest.fixture
async def start_server(base_settings: Settings) -> AsyncIterator[StartServer]:
    """Start a server with some settings changed; every server is stopped after the test."""
    servers: list[Server] = []

    async def start(**overrides: Any) -> ApiClient:
        server = Server(base_settings.replace(**overrides))
        port = await server.start()
        servers.append(server)
        client = ApiClient(f"http://127.0.0.1:{port}")
        client.server = server  # type: ignore[attr-defined]
        return client

    yield start
    for server in servers:
        _report_index_uses(server)
        await server.stop()
    if TEST_MONGO_URI:
        client: AsyncMongoClient = AsyncMongoClient(TEST_MONGO_URI)
        for server in servers:
            await client.drop_database(server.settings.mongo_db)
        await client.close()


@pytest.fixture
async def api(start_server: StartServer) -> ApiClient:
    """A client of a freshly started server with default test settings."""
    return await start_server()


@pytest.fixture
async def memory_db() -> AsyncIterator[Any]:
    """A database of the embedded engine in memory, with every index: for unit tests of the
    models and rules, without a server."""
    store = open_embedded("unit", None)
    await store.ensure_indexes(all_indexes())
    yield store.db
    await store.close()


@pytest.fixture(autouse=True)
def real_time_after_test() -> Iterator[None]:
    """A test may move the clock (hypee/clock.py); the next one starts at the real time."""
    yield
    clock.reset()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a loopback port, and what it received."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
async def mail_api(start_server: StartServer, mailbox: Mailbox) -> ApiClient:
    """A server that sends its emails to `mailbox` (links to http://hypee.test)."""
    return await start_server(smtp_url=mailbox.url, public_url="http://hypee.test")
