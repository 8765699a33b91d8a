"""`python -m bench.floor`: what a send costs in-process, beside the floor of its writes.

It prints server CPU per send for:
- `MessageService.send` on the embedded engine, in-process (no sockets), 80 senders at once
  in the bench's 20 groups of 4, as at saturation;
- the same writes in plain SQL on SQLite (WAL, synced commits, one commit per 31 sends as
  measured at saturation), with no document engine: the client id looked up, the
  conversation's counters taken by one UPDATE ... RETURNING, its participants and standing
  decoded, each participant's inbox row moved, the message inserted with its indexed fields
  as columns (SQLite keeping the unique indexes), the unread-notification keys counted.

The second is the floor that moving the hot aggregates out of the document engine could
reach; the difference between the two is what the engine's Python adds.
"""

from __future__ import annotations

import asyncio
import datetime
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import bson
from bson import ObjectId

from bench.__main__ import GROUPS, bench_settings
from bench.seed import Population, seed
from server.lifecycle import build_services, open_store

SENDS = 4000
SENDERS = 80
SENDS_PER_COMMIT = 31

SCHEMA = """
CREATE TABLE messages (rid INTEGER PRIMARY KEY, id BLOB UNIQUE, conversation BLOB, seq INT,
    sender BLOB, client_id TEXT, rev INT, doc BLOB);
CREATE UNIQUE INDEX by_seq ON messages (conversation, seq);
CREATE UNIQUE INDEX one_per_client_id ON messages (conversation, sender, client_id);
CREATE INDEX by_rev ON messages (conversation, rev);
CREATE INDEX by_sender ON messages (sender, conversation, seq);
CREATE TABLE conversations (id BLOB PRIMARY KEY, seq INT, rev INT, last BLOB, doc BLOB)
    WITHOUT ROWID;
CREATE TABLE inbox (user BLOB, updated_at INT, conversation BLOB,
    PRIMARY KEY (user, conversation)) WITHOUT ROWID;
CREATE INDEX inbox_by_activity ON inbox (user, updated_at);
CREATE TABLE unread_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
"""


def plain_sql_send_us(directory: Path) -> float:
    """Microseconds of CPU per send for the send's writes in plain SQL."""
    connection = sqlite3.connect(directory / "floor.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.executescript(SCHEMA)
    groups: list[tuple[ObjectId, list[ObjectId]]] = []
    for _ in range(GROUPS):
        conversation, people = ObjectId(), [ObjectId() for _ in range(4)]
        members = {str(p): {"last_read_seq": 0, "joined_at": _now()} for p in people}
        document = {"_id": conversation, "participants": people, "members": members}
        connection.execute(
            "INSERT INTO conversations VALUES (?, 0, 0, NULL, ?)",
            (conversation.binary, bson.encode(document)),
        )
        for person in people:
            connection.execute(
                "INSERT INTO inbox VALUES (?, 0, ?)", (person.binary, conversation.binary)
            )
            connection.execute("INSERT INTO unread_keys VALUES (?)", (f"{person}:{conversation}",))
        groups.append((conversation, people))
    started = time.process_time()
    connection.execute("BEGIN")
    for number in range(SENDS):
        conversation, people = groups[number % len(groups)]
        _send(connection, conversation, people, people[number % 4], f"floor-{number}")
        if number % SENDS_PER_COMMIT == SENDS_PER_COMMIT - 1:
            connection.execute("COMMIT")
            connection.execute("BEGIN")
    connection.execute("COMMIT")
    used = time.process_time() - started
    connection.close()
    return used / SENDS * 1e6


def _send(
    connection: sqlite3.Connection,
    conversation: ObjectId,
    people: list[ObjectId],
    sender: ObjectId,
    client_id: str,
) -> None:
    key = conversation.binary
    connection.execute(
        "SELECT doc FROM messages WHERE conversation = ? AND sender = ? AND client_id = ?",
        (key, sender.binary, client_id),
    ).fetchone()
    connection.execute("SAVEPOINT unit")
    message: dict[str, Any] = {
        "_id": ObjectId(),
        "kind": "user",
        "sender_id": sender,
        "body": "hello",
        "attachments": [],
        "client_id": client_id,
        "created_at": _now(),
        "deleted": False,
    }
    seq, rev = connection.execute(
        "UPDATE conversations SET seq = seq + 1, rev = rev + 1, last = ? WHERE id = ? "
        "RETURNING seq, rev",
        (bson.encode(message), key),
    ).fetchone()
    row = connection.execute("SELECT doc FROM conversations WHERE id = ?", (key,)).fetchone()
    bson.decode(row[0])  # participants, kinds, standing: what the send checks
    now = int(time.time() * 1000)
    connection.executemany(
        "UPDATE inbox SET updated_at = ? WHERE user = ? AND conversation = ?",
        [(now, person.binary, key) for person in people],
    )
    message.update(conversation_id=conversation, seq=seq, rev=rev)
    connection.execute(
        "INSERT INTO messages (id, conversation, seq, sender, client_id, rev, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (message["_id"].binary, key, seq, sender.binary, client_id, rev, bson.encode(message)),
    )
    keys = [f"{person}:{conversation}" for person in people if person != sender]
    connection.execute(
        f"SELECT count(*) FROM unread_keys WHERE key IN ({', '.join('?' * len(keys))})", keys
    ).fetchone()
    connection.execute("RELEASE unit")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def engine_send_us(directory: Path) -> float:
    """Microseconds of CPU per send through MessageService.send on the embedded engine."""
    settings = bench_settings(
        {
            "HYPEE_DATA_DIR": str(directory / "engine"),
            "HYPEE_LOG_LEVEL": "warning",
            "HYPEE_SEND_RATE_PER_10S": "0",
            "HYPEE_MAX_SENDS_IN_FLIGHT": "0",
        }
    )
    await seed(settings, Population(), GROUPS)
    store = open_store(settings)
    services = build_services(settings, store)
    try:
        groups = [
            (c["_id"], c["participants"])
            for c in await store.db["conversations"].find({}).to_list(None)
        ]

        async def sender(number: int, label: str, count: int) -> None:
            conversation, people = groups[number % len(groups)]
            author = people[number // len(groups) % len(people)]
            for sent in range(count):
                data = {"client_id": f"{label}-{number}-{sent}", "body": "hello", "attachments": []}
                await services.messages.send(conversation, author, data)

        await asyncio.gather(*(sender(n, "warm", 3) for n in range(SENDERS)))
        started = time.process_time()
        await asyncio.gather(*(sender(n, "run", SENDS // SENDERS) for n in range(SENDERS)))
        return (time.process_time() - started) / SENDS * 1e6
    finally:
        await services.hub.stop()
        services.passwords.close()
        await store.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hypee-floor-") as temporary:
        directory = Path(temporary)
        engine = asyncio.run(engine_send_us(directory))
        floor = plain_sql_send_us(directory)
    print(f"MessageService.send, embedded engine, in-process: {engine:.0f} µs of CPU per send")
    print(f"the same writes in plain SQL on SQLite:            {floor:.0f} µs of CPU per send")


if __name__ == "__main__":
    main()
