"""`kill -9` at random moments during continuous sends: nothing acknowledged is lost.

Ten rounds on one data directory (and, on the MongoDB path, one database): four sockets send
as fast as their acks come back, a REST client registers accounts and votes, and the server
is killed after a random delay. After each restart every acknowledged message is there once,
every send that was not acknowledged completes when retried with its client id, and every
acknowledged account and vote (with its points and notification) is there. Finally
`run.py --check` finds every invariant holding.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import pytest

from tests.client import Account, ApiClient, Socket
from tests.helpers import answer, ask, history
from tests.processes import ServerProcess, WireMongoProcess, run_command, server_env

pytestmark = pytest.mark.slow

ROUNDS = 10
SENDERS = 4
BACKGROUND = ("presence", "notification", "message")


@dataclass
class Ledger:
    """What the clients were told: acked client ids, sent ones, acknowledged side effects."""

    acked: dict[str, int] = field(default_factory=dict)  # client id -> seq
    sent: dict[str, tuple[str, int]] = field(default_factory=dict)  # client id -> (conv, sender)
    accounts: list[str] = field(default_factory=list)
    upvoters: set[str] = field(default_factory=set)


async def keep_sending(
    socket: Socket, conversation: str, sender: int, prefix: str, ledger: Ledger
) -> None:
    """Send, wait for the ack, send again, until the socket dies."""
    number = 0
    try:
        while True:
            number += 1
            client_id = f"{prefix}-{number}"
            ledger.sent[client_id] = (conversation, sender)
            frame = {"type": "message", "conversation_id": conversation, "client_id": client_id}
            await socket.send({**frame, "body": client_id})
            ack = await socket.expect(
                "ack", timeout=10, skip=("presence", "notification", "message")
            )
            assert ack["client_id"] == client_id
            ledger.acked[client_id] = ack["message"]["seq"]
    except Exception:
        return  # the server died mid-send


async def keep_registering(api: ApiClient, prefix: str, ledger: Ledger, answer_id: str) -> None:
    """Register accounts and upvote an answer with each, until the server dies."""
    number = 0
    try:
        while True:
            number += 1
            account = await api.register(email=f"{prefix}-{number}@example.com")
            ledger.accounts.append(account.email)
            vote = await api.post(
                f"/api/answers/{answer_id}/vote", {"value": 1}, token=account.access
            )
            if vote.status == 200:
                ledger.upvoters.add(account.email)
    except Exception:
        return


@pytest.mark.parametrize("engine", ["embedded", "mongodb"])
async def test_nothing_acknowledged_is_lost_to_kill_9(engine: str, tmp_path):
    settings = {
        "HYPEE_DATA_DIR": str(tmp_path / "data"),
        "HYPEE_SEND_RATE_PER_10S": "0",
        "HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN": "100000",
        "HYPEE_LOG_LEVEL": "warning",
    }
    wire = None
    if engine == "mongodb":
        wire = await WireMongoProcess().start()
        settings |= {"HYPEE_MONGO_URI": wire.uri, "HYPEE_MONGO_DB": "crash"}
    rng = random.Random(9)
    ledger = Ledger()
    server = await ServerProcess(tmp_path / "server.log", **settings).start()
    api = server.client
    people = [await api.register(f"Sender {n}") for n in range(SENDERS)]
    ids = [p.id for p in people]
    conversations = [
        (
            await api.post(
                "/api/conversations/", {"participant_ids": ids[1:]}, token=people[0].access
            )
        ).json["id"],
        (
            await api.post(
                "/api/conversations/", {"participant_ids": ids[:-1]}, token=people[-1].access
            )
        ).json["id"],
    ]
    question = await ask(api, people[0])
    reply = await answer(api, people[1], question["id"])
    try:
        for round_number in range(ROUNDS):
            people = [await relogin(api, p) for p in people]
            sockets = [await Socket.connect(api.base_url, "/ws", p.access) for p in people]
            work = [
                keep_sending(socket, conversations[n % 2], n, f"r{round_number}s{n}", ledger)
                for n, socket in enumerate(sockets)
            ]
            work.append(keep_registering(api, f"r{round_number}", ledger, reply["id"]))
            tasks = [asyncio.ensure_future(job) for job in work]
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            server.kill()
            await server.process.wait()
            await asyncio.wait(tasks, timeout=15)
            server = await ServerProcess(tmp_path / "server.log", **settings).start()
            api = server.client
            people = [await relogin(api, p) for p in people]
            await retry_unacknowledged(api, people, ledger)
            await assert_everything_kept(api, people, conversations, ledger, reply)
            if engine == "embedded":  # one transaction per vote: points follow at once
                await assert_points_follow_votes(api, reply)
        assert await server.stop() == 0
        env = server_env(**settings)
        if engine == "mongodb":  # a crash between two writes is repaired, then checked
            code, stdout, _ = await run_command("--repair", env=env)
            assert code == 0, stdout
        code, stdout, _ = await run_command("--check", env=env)
        assert (code, stdout.strip()) == (0, "every invariant holds"), stdout
    finally:
        server.kill()
        if wire is not None:
            await wire.kill()
    assert len(ledger.acked) > 50 * ROUNDS // 10


async def relogin(api: ApiClient, person: Account) -> Account:
    response = await api.post(
        "/api/auth/login", {"email": person.email, "password": person.password}
    )
    assert response.status == 200, response
    return Account(
        person.id,
        person.email,
        person.password,
        response.json["access"],
        response.json["refresh"],
        person.user,
    )


async def retry_unacknowledged(api: ApiClient, people: list[Account], ledger: Ledger) -> None:
    """Send again, with its client id, every message whose ack never came: it is stored
    (201) or was stored before the crash (200); never a stuck 409."""
    for client_id, (conversation, sender) in list(ledger.sent.items()):
        if client_id in ledger.acked:
            continue
        response = await api.post(
            f"/api/conversations/{conversation}/messages/",
            {"client_id": client_id, "body": client_id},
            token=people[sender].access,
        )
        assert response.status in (200, 201), response
        ledger.acked[client_id] = response.json["seq"]


async def assert_everything_kept(
    api: ApiClient, people: list[Account], conversations: list[str], ledger: Ledger, reply: dict
) -> None:
    stored: dict[str, int] = {}
    for conversation in conversations:
        seqs = []
        page = await history(api, people[1], conversation, after=0, limit=100)
        while True:
            for message in page["results"]:
                assert message["client_id"] not in stored, "a message is stored twice"
                stored[message["client_id"]] = message["seq"]
                seqs.append(message["seq"])
            if not page["next_cursor"]:
                break
            page = await history(
                api, people[1], conversation, cursor=page["next_cursor"], limit=100
            )
        assert seqs == sorted(seqs)
    for client_id, seq in ledger.acked.items():
        assert stored.get(client_id) == seq, f"acknowledged message {client_id} is not kept"
    for email in ledger.accounts:
        login = await api.post("/api/auth/login", {"email": email, "password": people[0].password})
        assert login.status == 200, f"acknowledged account {email} is gone"
    assert await answer_score(api, reply) >= len(ledger.upvoters)
    listed = (await api.get("/api/notifications/", token=people[0].access)).json
    assert listed["unread_count"] >= 1  # the new_answer notification of the first round


async def answer_score(api: ApiClient, reply: dict) -> int:
    detail = (await api.get(f"/api/questions/{reply['question_id']}/")).json
    return next(a["score"] for a in detail["answers"] if a["id"] == reply["id"])


async def assert_points_follow_votes(api: ApiClient, reply: dict) -> None:
    author = (await api.get(f"/api/users/{reply['author']['id']}")).json
    assert author["points"] == 10 * await answer_score(api, reply)
