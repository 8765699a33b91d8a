"""The WebSocket frame protocol without a socket: fake peers on the real services, in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId

from config import Settings
from handlers.frames import FrameProtocol
from hypee.db import open_embedded
from hypee.jsonio import dumps
from models.indexes import all_indexes
from server.lifecycle import build_services
from services.container import Services


class FakePeer:
    """Records what the protocol sends; joins the hub like a socket would."""

    def __init__(self, services: Services, scope: str | None = None) -> None:
        self.protocol = FrameProtocol(services, self, scope)
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    # what the hub needs
    @property
    def user_id(self) -> ObjectId | None:
        return self.protocol.identity.user_id if self.protocol.identity else None

    @property
    def session_id(self) -> ObjectId | None:
        return self.protocol.identity.session_id if self.protocol.identity else None

    @property
    def scope(self) -> ObjectId | None:
        return self.protocol.scope

    def deliver(self, data: bytes) -> None:
        self.frames.append(json.loads(data))

    # what the protocol needs
    @property
    def closing(self) -> bool:
        return self.closed is not None

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.deliver(dumps(frame).encode())

    async def write_frame(self, frame: dict[str, Any]) -> None:
        self.send_frame(frame)

    def close_with(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.protocol.receive(frame if isinstance(frame, str) else json.dumps(frame))

    def take(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The frames received so far (of one type), forgetting them."""
        taken = [f for f in self.frames if kind is None or f["type"] == kind]
        self.frames = [f for f in self.frames if f not in taken]
        return taken


@pytest.fixture
async def services(tmp_path) -> AsyncIterator[Services]:
    settings = Settings(
        env="test", data_dir=str(tmp_path), argon2_time_cost=1, argon2_memory_kib=256
    )
    store = open_embedded("frames", None)
    await store.ensure_indexes(all_indexes())
    built = build_services(settings, store)
    yield built
    await built.hub.stop()
    built.passwords.close()
    await store.close()


async def signed_in(services: Services, name: str) -> tuple[dict, str]:
    """A new account and an access token of it."""
    email = f"{name.lower()}-{ObjectId()}@example.com"
    data = {"email": email, "password": "long enough", "display_name": name, "role": "mentee"}
    user = await services.accounts.register(data)
    session = await services.accounts.open_session(user, "tests", "127.0.0.1")
    return user, session["access"]


async def connected(services: Services, token: str, scope: str | None = None) -> FakePeer:
    peer = FakePeer(services, scope)
    await peer.send({"type": "auth", "token": token})
    assert peer.take("ready"), peer.frames
    return peer


async def test_the_first_frame_must_authenticate(services) -> None:
    peer = FakePeer(services)
    await peer.send({"type": "ping"})
    assert peer.closed and peer.closed[0] == 4401
    peer = FakePeer(services)
    await peer.send({"type": "auth", "token": "not a token"})
    assert peer.closed and peer.closed[0] == 4401


async def test_a_message_is_acked_to_its_socket_and_delivered_to_the_others(services) -> None:
    alice, alice_token = await signed_in(services, "Alice")
    bob, bob_token = await signed_in(services, "Bob")
    conversation, _ = await services.conversations.open(
        alice["_id"], {"participant_ids": [bob["_id"]]}
    )
    cid = str(conversation["_id"])
    sender, receiver = await connected(services, alice_token), await connected(services, bob_token)
    sender.take(), receiver.take()
    await sender.send({"type": "message", "conversation_id": cid, "client_id": "c1", "body": "hi"})
    [ack] = sender.take("ack")
    assert ack["client_id"] == "c1" and ack["message"]["seq"] == 1
    assert not sender.take("message")  # the sending socket gets the ack only
    [delivered] = receiver.take("message")
    assert delivered["message"] == ack["message"]
    # The same client id again: the stored message, acked, not delivered twice.
    await sender.send({"type": "message", "conversation_id": cid, "client_id": "c1", "body": "hi"})
    assert sender.take("ack")[0]["message"] == ack["message"]
    assert not receiver.take("message")


async def test_bad_frames_get_error_frames_and_the_socket_stays(services) -> None:
    _, token = await signed_in(services, "Alice")
    peer = await connected(services, token)
    await peer.send("{not json")
    await peer.send({"type": "dance"})
    await peer.send({"type": "message", "conversation_id": "nope", "client_id": "x", "body": "b"})
    errors = peer.take("error")
    assert [e["code"] for e in errors] == ["invalid_json", "validation_error", "validation_error"]
    assert errors[2]["ref"] == "x" and "conversation_id" in errors[2]["fields"]
    assert peer.closed is None


async def test_resume_sends_what_was_missed_then_resumed(services) -> None:
    alice, _ = await signed_in(services, "Alice")
    bob, bob_token = await signed_in(services, "Bob")
    conversation, _ = await services.conversations.open(
        alice["_id"], {"participant_ids": [bob["_id"]]}
    )
    for n in range(3):
        data = {"client_id": f"m{n}", "body": f"m{n}", "attachments": []}
        await services.messages.send(conversation["_id"], alice["_id"], data)
    peer = await connected(services, bob_token)
    peer.take()
    await peer.send({"type": "resume", "cursors": {str(conversation["_id"]): 1}})
    frames = peer.take()
    assert [f["type"] for f in frames] == ["message", "message", "read", "read", "resumed"]
    assert [f["message"]["seq"] for f in frames[:2]] == [2, 3]
    marks = {f["user_id"]: f["seq"] for f in frames[2:4]}
    assert marks == {str(alice["_id"]): 3, str(bob["_id"]): 0}


async def test_resume_with_revs_sends_the_changes_to_what_the_client_holds(services) -> None:
    alice, _ = await signed_in(services, "Alice")
    bob, bob_token = await signed_in(services, "Bob")
    conversation, _ = await services.conversations.open(
        alice["_id"], {"participant_ids": [bob["_id"]]}
    )
    cid = conversation["_id"]
    for n in range(3):
        data = {"client_id": f"m{n}", "body": f"m{n}", "attachments": []}
        await services.messages.send(cid, alice["_id"], data)
    # Bob holds seqs 1-3 at rev 3; then 2 is edited, 1 deleted and 4 sent.
    await services.messages.edit(cid, alice["_id"], 2, "edited")
    await services.messages.delete(cid, alice["_id"], 1)
    await services.messages.send(
        cid, alice["_id"], {"client_id": "m3", "body": "m3", "attachments": []}
    )
    peer = await connected(services, bob_token)
    peer.take()
    await peer.send({"type": "resume", "cursors": {str(cid): 3}, "revs": {str(cid): 3}})
    frames = [f for f in peer.take() if f["type"] != "read"]
    assert [(f["type"], f.get("message", {}).get("seq")) for f in frames] == [
        ("message", 4),
        ("message_updated", 2),
        ("message_updated", 1),
        ("resumed", None),
    ]
    assert [f["message"]["rev"] for f in frames[:3]] == [6, 4, 5]
    assert frames[1]["message"]["body"] == "edited" and frames[2]["message"]["deleted"]
    # A rev this conversation never reached: the client must refetch.
    await peer.send({"type": "resume", "cursors": {str(cid): 4}, "revs": {str(cid): 99}})
    assert [f["type"] for f in peer.take() if f["type"] != "read"] == ["stale", "resumed"]


async def test_a_chat_socket_refuses_other_conversations(services) -> None:
    alice, alice_token = await signed_in(services, "Alice")
    bob, _ = await signed_in(services, "Bob")
    carol, _ = await signed_in(services, "Carol")
    mine, _ = await services.conversations.open(alice["_id"], {"participant_ids": [bob["_id"]]})
    other, _ = await services.conversations.open(alice["_id"], {"participant_ids": [carol["_id"]]})
    peer = await connected(services, alice_token, scope=str(mine["_id"]))
    frame = {"type": "typing", "conversation_id": str(other["_id"])}
    await peer.send(frame)
    assert peer.take("error")[0]["code"] == "not_found"
    outsider = FakePeer(services, scope=str(ObjectId()))
    await outsider.send({"type": "auth", "token": alice_token})
    assert outsider.closed and outsider.closed[0] == 4404
