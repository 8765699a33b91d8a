"""The WebSocket protocol over real sockets: auth, messages, resume, typing, read, presence."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct

import pytest
from bson import ObjectId

from hypee.auth import Identity, TokenService
from tests.client import BACKGROUND, Account, ApiClient, Socket
from tests.helpers import history, open_direct, send


async def connect(api: ApiClient, account: Account | None = None, path: str = "/ws") -> Socket:
    return await Socket.connect(api.base_url, path, account.access if account else None)


@pytest.fixture
async def pair(start_server):
    api = await start_server(send_rate_per_10s=0)
    alice, bob = await api.register("Alice"), await api.register("Bob")
    conversation = await open_direct(api, alice, bob)
    return api, alice, bob, conversation["id"]


# -- auth ------------------------------------------------------------------------------------


async def test_auth_frame_gives_ready(api: ApiClient):
    alice = await api.register("Alice")
    socket = await connect(api)
    await socket.send({"type": "auth", "token": alice.access})
    ready = await socket.expect("ready")
    assert ready["user"]["id"] == alice.id
    await socket.send({"type": "ping"})
    assert (await socket.expect("pong"))["type"] == "pong"


@pytest.mark.parametrize("token", ["garbage", "", None, 42, {"$ne": ""}])
async def test_bad_token_closes_4401(api: ApiClient, token):
    socket = await connect(api)
    await socket.send({"type": "auth", "token": token})
    assert await socket.closed() == 4401


async def test_expired_and_revoked_tokens_close_4401(api: ApiClient):
    alice = await api.register()
    identity = Identity(ObjectId(alice.id), ObjectId(alice.refresh.split(".")[0]))
    expired = TokenService(api.server.settings.jwt_secret, -5).access_token(identity)
    socket = await connect(api)
    await socket.send({"type": "auth", "token": expired})
    assert await socket.closed() == 4401
    await api.post("/api/auth/logout", {"refresh": alice.refresh}, token=alice.access)
    socket = await connect(api)
    await socket.send({"type": "auth", "token": alice.access})
    assert await socket.closed() == 4401


async def test_first_frame_must_be_auth(api: ApiClient):
    socket = await connect(api)
    await socket.send({"type": "ping"})
    assert await socket.closed() == 4401


async def test_token_in_url_is_not_accepted(api: ApiClient):
    alice = await api.register()
    socket = await Socket.connect(api.base_url, f"/ws?token={alice.access}")
    await socket.send({"type": "ping"})
    assert await socket.closed() == 4401


async def test_no_auth_in_time_closes_4408(start_server):
    api = await start_server(ws_auth_seconds=1)
    socket = await connect(api)
    assert await socket.closed(timeout=5) == 4408


async def test_logout_closes_that_logins_sockets(api: ApiClient):
    alice = await api.register()
    other_login = (
        await api.post("/api/auth/login", {"email": alice.email, "password": alice.password})
    ).json
    doomed = await connect(api, alice)
    survivor = await Socket.connect(api.base_url, "/ws", other_login["access"])
    await api.post("/api/auth/logout", {"refresh": alice.refresh}, token=alice.access)
    assert await doomed.closed() == 4401
    await survivor.send({"type": "ping"})
    assert (await survivor.expect("pong"))["type"] == "pong"


async def test_a_reused_refresh_token_closes_that_logins_sockets(api: ApiClient):
    alice = await api.register()
    other_login = (
        await api.post("/api/auth/login", {"email": alice.email, "password": alice.password})
    ).json
    doomed = await connect(api, alice)
    survivor = await Socket.connect(api.base_url, "/ws", other_login["access"])
    rotated = await api.post("/api/auth/refresh", {"refresh": alice.refresh})
    assert rotated.status == 200
    stolen = await api.post("/api/auth/refresh", {"refresh": alice.refresh})
    assert stolen.status == 401
    assert await doomed.closed() == 4401
    await survivor.send({"type": "ping"})
    assert (await survivor.expect("pong"))["type"] == "pong"


# -- messages --------------------------------------------------------------------------------


async def test_two_users_exchange_messages(pair):
    api, alice, bob, cid = pair
    alice_phone, alice_laptop, bob_phone = (
        await connect(api, alice),
        await connect(api, alice),
        await connect(api, bob),
    )
    await alice_phone.send(
        {"type": "message", "conversation_id": cid, "client_id": "a1", "body": "Hi Bob"}
    )
    ack = await alice_phone.expect("ack")
    assert ack["client_id"] == "a1"
    message = ack["message"]
    assert message["seq"] == 1 and message["body"] == "Hi Bob" and message["sender_id"] == alice.id
    assert (await bob_phone.expect("message"))["message"] == message
    assert (await alice_laptop.expect("message"))["message"] == message  # the sender's other device
    await alice_phone.silent()  # the ack was enough for the sending socket
    await bob_phone.send(
        {"type": "message", "conversation_id": cid, "client_id": "b1", "body": "Hey!"}
    )
    assert (await bob_phone.expect("ack"))["message"]["seq"] == 2
    assert (await alice_phone.expect("message"))["message"]["body"] == "Hey!"
    assert (await alice_laptop.expect("message"))["message"]["body"] == "Hey!"


async def test_rest_send_reaches_every_open_socket(pair):
    api, alice, bob, cid = pair
    sockets = [await connect(api, alice), await connect(api, alice), await connect(api, bob)]
    response = await send(api, alice, cid, "from REST")
    for each in sockets:
        assert (await each.expect("message"))["message"] == response.json


async def test_retry_with_the_same_client_id_stores_one_message(pair):
    api, alice, bob, cid = pair
    alice_socket, bob_socket = await connect(api, alice), await connect(api, bob)
    frame = {"type": "message", "conversation_id": cid, "client_id": "retry-me", "body": "once"}
    await alice_socket.send(frame)
    first = await alice_socket.expect("ack")
    await alice_socket.send(frame)
    second = await alice_socket.expect("ack")
    assert first == second
    assert (await bob_socket.expect("message"))["message"]["id"] == first["message"]["id"]
    await bob_socket.silent()
    assert len((await history(api, alice, cid))["results"]) == 1


async def test_third_user_sees_nothing(pair):
    api, alice, _, cid = pair
    carol = await api.register("Carol")
    carol_socket = await connect(api, carol)
    scoped = await Socket.connect(api.base_url, f"/ws/chat/{cid}/")
    await scoped.send({"type": "auth", "token": carol.access})
    assert await scoped.closed() == 4404
    await send(api, alice, cid, "secret")
    await carol_socket.silent()
    await carol_socket.send(
        {"type": "message", "conversation_id": cid, "client_id": "c", "body": "hi"}
    )
    error = await carol_socket.expect("error")
    assert error["code"] == "not_found" and error["ref"] == "c"
    await carol_socket.send({"type": "typing", "conversation_id": cid})
    assert (await carol_socket.expect("error"))["code"] == "not_found"
    await carol_socket.send({"type": "resume", "cursors": {cid: 0}})
    assert (await carol_socket.expect("error"))["code"] == "not_found"
    await carol_socket.expect("resumed")


async def test_scoped_socket(pair):
    api, alice, bob, cid = pair
    carol = await api.register("Carol")
    other = (await open_direct(api, bob, carol))["id"]
    scoped = await connect(api, bob, f"/ws/chat/{cid}/")
    # Frames may omit the conversation id.
    await scoped.send({"type": "message", "client_id": "s1", "body": "scoped"})
    assert (await scoped.expect("ack"))["message"]["conversation_id"] == cid
    await send(api, carol, other, "another conversation")
    await send(api, alice, cid, "this conversation")
    assert (await scoped.expect("message"))["message"]["body"] == "this conversation"
    await scoped.silent()
    await scoped.send({"type": "message", "conversation_id": other, "client_id": "s2", "body": "x"})
    assert (await scoped.expect("error"))["code"] == "not_found"
    bad = await Socket.connect(api.base_url, "/ws/chat/not-an-id/")
    await bad.send({"type": "auth", "token": bob.access})
    assert await bad.closed() == 4404


async def test_edits_and_deletes_reach_participants(pair):
    api, alice, bob, cid = pair
    bob_socket = await connect(api, bob)
    await send(api, alice, cid, "draft")
    await bob_socket.expect("message")
    await api.patch(f"/api/conversations/{cid}/messages/1/", {"body": "final"}, token=alice.access)
    updated = await bob_socket.expect("message_updated")
    assert updated["message"]["body"] == "final" and updated["message"]["edited_at"]
    await api.delete(f"/api/conversations/{cid}/messages/1/", token=alice.access)
    deleted = await bob_socket.expect("message_updated")
    assert deleted["message"]["deleted"] is True and deleted["message"]["body"] == ""


async def test_new_conversation_event(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    bob_socket = await connect(api, bob)
    conversation = await open_direct(api, alice, bob, message={"client_id": "x", "body": "hello"})
    event = await bob_socket.expect("conversation")
    assert event["conversation"]["id"] == conversation["id"]
    assert {p["id"] for p in event["conversation"]["participants"]} == {alice.id, bob.id}
    assert (await bob_socket.expect("message"))["message"]["body"] == "hello"
    await open_direct(api, alice, bob)  # already exists: no new event
    await bob_socket.silent()


# -- resume ----------------------------------------------------------------------------------


async def test_resume_after_50_missed_messages(pair):
    api, alice, bob, cid = pair
    await send(api, alice, cid, "seen before going offline")
    for i in range(50):
        await send(api, alice if i % 2 else bob, cid, f"missed {i}")
    socket = await connect(api, bob)
    await socket.send({"type": "resume", "cursors": {cid: 1}})
    frames = [await socket.expect("message") for _ in range(50)]
    assert [f["message"]["seq"] for f in frames] == list(range(2, 52))
    assert [f["message"]["body"] for f in frames] == [f"missed {i}" for i in range(50)]
    marks = [await socket.expect("read") for _ in range(2)]
    assert {m["user_id"]: m["seq"] for m in marks} == {alice.id: 51, bob.id: 50}
    await socket.expect("resumed")
    await socket.silent()
    # Nothing missed: just the read marks, and resumed.
    await socket.send({"type": "resume", "cursors": {cid: 51}})
    await socket.expect("resumed", skip=(*BACKGROUND, "read"))


async def test_resume_over_500_gives_gap(pair):
    api, alice, bob, cid = pair
    for i in range(520):
        await send(api, alice, cid, f"m{i}")
    socket = await connect(api, bob)
    await socket.send({"type": "resume", "cursors": {cid: 10}})
    seqs = [(await socket.expect("message"))["message"]["seq"] for _ in range(500)]
    assert seqs == list(range(11, 511))
    gap = await socket.expect("gap")
    assert gap == {"type": "gap", "conversation_id": cid, "after": 510}
    await socket.expect("resumed", skip=(*BACKGROUND, "read"))
    rest = await history(api, bob, cid, after=gap["after"])
    assert [m["seq"] for m in rest["results"]] == list(range(511, 521))


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "resume"},
        {"type": "resume", "cursors": []},
        {"type": "resume", "cursors": {"x": -1}},
        {"type": "resume", "cursors": {"x": "5"}},
    ],
)
async def test_bad_resume_frames(pair, frame):
    api, _, bob, _ = pair
    socket = await connect(api, bob)
    await socket.send(frame)
    assert (await socket.expect("error"))["code"] == "validation_error"


# -- typing, read, presence ------------------------------------------------------------------


async def test_typing_and_read_reach_only_the_others(pair):
    api, alice, bob, cid = pair
    alice_phone, alice_laptop, bob_socket = (
        await connect(api, alice),
        await connect(api, alice),
        await connect(api, bob),
    )
    await alice_phone.send({"type": "typing", "conversation_id": cid})
    typing = await bob_socket.expect("typing")
    assert typing == {"type": "typing", "conversation_id": cid, "user_id": alice.id}
    await alice_laptop.silent()
    await alice_phone.silent()
    await send(api, alice, cid, "one")
    await send(api, alice, cid, "two")
    await bob_socket.expect("message")
    await bob_socket.expect("message")
    await alice_phone.expect("message")
    await alice_phone.expect("message")
    await alice_laptop.expect("message")
    await alice_laptop.expect("message")
    await bob_socket.send({"type": "read", "conversation_id": cid, "seq": 2})
    read = await alice_phone.expect("read")
    assert read == {"type": "read", "conversation_id": cid, "user_id": bob.id, "seq": 2}
    assert (await alice_laptop.expect("read"))["seq"] == 2
    await bob_socket.silent()
    # Read over REST too; moving backwards tells nobody anything.
    await api.post(f"/api/conversations/{cid}/read", {"seq": 1}, token=bob.access)
    await alice_phone.silent()
    conversation = (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json
    assert conversation["last_read_seq"] == 2 and conversation["unread_count"] == 0


async def test_typing_is_coalesced(pair):
    api, alice, bob, cid = pair
    alice_socket, bob_socket = await connect(api, alice), await connect(api, bob)
    for _ in range(5):
        await alice_socket.send({"type": "typing", "conversation_id": cid})
    await bob_socket.expect("typing")
    await bob_socket.silent(0.5)


async def test_presence_for_people_who_share_a_conversation(pair):
    api, alice, bob, _ = pair
    carol = await api.register("Carol")  # shares nothing with Bob
    alice_socket = await connect(api, alice)
    carol_socket = await connect(api, carol)
    bob_socket = await connect(api, bob)
    online = await alice_socket.expect("presence", skip=())
    assert online == {"type": "presence", "user_id": bob.id, "online": True}
    # Bob is told who is already online among his contacts.
    assert (await bob_socket.expect("presence", skip=()))["user_id"] == alice.id
    second_bob = await connect(api, bob)  # another device: nothing new to announce
    await alice_socket.silent(skip=())
    second_bob.close()
    await alice_socket.silent(skip=())
    bob_socket.close()
    offline = await alice_socket.expect("presence", skip=())
    assert offline == {"type": "presence", "user_id": bob.id, "online": False}
    await carol_socket.silent(skip=())


async def test_people_who_start_sharing_a_conversation_learn_each_others_presence(api):
    alice, bob, carol = [await api.register(name) for name in ("Alice", "Bob", "Carol")]
    sockets = {a.id: await connect(api, a) for a in (alice, bob, carol)}
    await open_direct(api, alice, bob)  # both online, and nothing shared before
    for me, other in ((alice, bob), (bob, alice)):
        frame = await sockets[me.id].expect("presence", skip=("conversation", "notification"))
        assert frame == {"type": "presence", "user_id": other.id, "online": True}
    await sockets[carol.id].silent(skip=())


# -- bad frames ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ("not json at all", "invalid_json", None),
        ("[1, 2]", "validation_error", "type"),
        ({"type": "dance"}, "validation_error", "type"),
        ({"no": "type"}, "validation_error", "type"),
        (
            {"type": "message", "conversation_id": "CID", "body": "no client id"},
            "validation_error",
            "client_id",
        ),
        (
            {"type": "message", "conversation_id": "CID", "client_id": "c", "body": "x" * 5000},
            "validation_error",
            "body",
        ),
        (
            {"type": "message", "conversation_id": "CID", "client_id": "c", "body": {"$ne": 1}},
            "validation_error",
            "body",
        ),
        (
            {"type": "message", "client_id": "c", "body": "no conversation"},
            "validation_error",
            "conversation_id",
        ),
        (
            {"type": "message", "conversation_id": "nope", "client_id": "c", "body": "x"},
            "validation_error",
            "conversation_id",
        ),
        (
            {"type": "message", "conversation_id": str(ObjectId()), "client_id": "c", "body": "x"},
            "not_found",
            None,
        ),
        ({"type": "read", "conversation_id": "CID", "seq": "1"}, "validation_error", "seq"),
        ({"type": "typing"}, "validation_error", "conversation_id"),
    ],
)
async def test_bad_frames_get_error_frames_and_the_socket_stays_usable(pair, frame, code, field):
    api, alice, _, cid = pair
    socket = await connect(api, alice)
    if isinstance(frame, dict):
        frame = json.loads(json.dumps(frame).replace('"CID"', json.dumps(cid)))
    await socket.send(frame)
    error = await socket.expect("error")
    assert error["code"] == code, error
    assert set(error) >= {"type", "code", "message", "ref"}
    if field:
        assert field in error["fields"]
    if isinstance(frame, dict) and frame.get("client_id"):
        assert error["ref"] == frame["client_id"]
    await socket.send({"type": "ping"})
    await socket.expect("pong")
    assert (await history(api, alice, cid))["results"] == []


async def test_binary_frames_are_refused(pair):
    api, alice, _, _ = pair
    socket = await connect(api, alice)
    await socket.send(b'{"type": "ping"}')
    assert (await socket.expect("error"))["code"] == "invalid_json"
    await socket.send({"type": "ping"})
    await socket.expect("pong")


async def test_frame_over_the_size_limit_closes_1009(pair):
    api, alice, _, cid = pair
    socket = await connect(api, alice)
    await socket.send(
        {"type": "message", "conversation_id": cid, "client_id": "c", "body": "x" * 100_000}
    )
    assert await socket.closed() == 1009


async def test_send_rate_limit_then_4429(start_server):
    api = await start_server(send_rate_per_10s=3)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    socket = await connect(api, alice)
    for i in range(3):
        await socket.send(
            {"type": "message", "conversation_id": cid, "client_id": f"c{i}", "body": "hi"}
        )
        await socket.expect("ack")
    await socket.send({"type": "message", "conversation_id": cid, "client_id": "c3", "body": "hi"})
    error = await socket.expect("error")
    assert error["code"] == "rate_limited" and error["ref"] == "c3"
    assert 1 <= error["retry_after"] <= 10
    await socket.send({"type": "ping"})
    await socket.expect("pong")  # still open after one rejection
    for i in range(4, 30):
        await socket.send(
            {"type": "message", "conversation_id": cid, "client_id": f"c{i}", "body": "hi"}
        )
    assert await socket.closed() == 4429
    assert len((await history(api, bob, cid))["results"]) == 3


# -- slow readers ----------------------------------------------------------------------------


class RawSocket:
    """A WebSocket client on a plain socket, so a test can stop reading altogether."""

    def __init__(self, port: int, path: str = "/ws") -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0]

    def send(self, frame: dict) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_frame(self) -> tuple[int, bytes]:
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        return first & 0x0F, self._read(length)

    def close_code(self) -> int | None:
        """Read until the close frame; its code."""
        self.sock.settimeout(10)
        while True:
            opcode, payload = self.read_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


async def test_a_socket_that_never_reads_is_closed_1013_and_others_keep_receiving(start_server):
    api = await start_server(send_rate_per_10s=0, ws_buffer_bytes=64 * 1024)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    port = int(api.base_url.rsplit(":", 1)[1])
    # The raw client blocks, and the server shares this event loop: it runs in a thread.
    sleeper = await asyncio.to_thread(RawSocket, port)
    await asyncio.to_thread(sleeper.send, {"type": "auth", "token": bob.access})
    _, payload = await asyncio.to_thread(sleeper.read_frame)
    assert json.loads(payload)["type"] == "ready"
    attentive = await connect(api, bob)
    body = "x" * 3900
    for i in range(300):
        await send(api, alice, cid, f"{i} {body}")
        frame = await attentive.expect("message")
        assert frame["message"]["seq"] == i + 1
    metrics = (await api.get("/metrics")).body.decode()
    assert "hypee_websocket_slow_closes_total 1.0" in metrics
    assert await asyncio.to_thread(sleeper.close_code) == 1013
    # Nothing was lost for the sleeper: it resumes from the store.
    assert len((await history(api, bob, cid, after=0, limit=100))["results"]) == 100


async def test_twenty_clients_sending_fifty_messages_each_agree_on_the_order(start_server):
    api = await start_server(send_rate_per_10s=0)
    members = [await api.register(f"Member {i}") for i in range(20)]
    response = await api.post(
        "/api/conversations/",
        {"participant_ids": [m.id for m in members[1:]], "title": "Stress"},
        token=members[0].access,
    )
    cid = response.json["id"]
    sockets = [await connect(api, member) for member in members]

    async def run(index: int, socket: Socket) -> dict[int, str]:
        async def sender() -> None:
            for n in range(50):
                await socket.send(
                    {
                        "type": "message",
                        "conversation_id": cid,
                        "client_id": f"{index}-{n}",
                        "body": f"{index}:{n}",
                    }
                )

        received: dict[int, str] = {}
        acks = 0
        sending = asyncio.ensure_future(sender())
        while len(received) < 1000:
            frame = await socket.recv(timeout=30)
            assert frame is not None
            if frame["type"] in ("ack", "message"):
                message = frame["message"]
                assert message["seq"] not in received, "duplicate delivery"
                received[message["seq"]] = message["id"]
                acks += frame["type"] == "ack"
        await sending
        assert acks == 50
        return received

    results = await asyncio.gather(*(run(i, s) for i, s in enumerate(sockets)))
    assert sorted(results[0]) == list(range(1, 1001))
    assert all(result == results[0] for result in results)
    stored = []
    page = await history(api, members[3], cid, after=0, limit=100)
    while True:
        stored += page["results"]
        if not page["next_cursor"]:
            break
        page = await history(api, members[3], cid, cursor=page["next_cursor"], limit=100)
    assert [m["seq"] for m in stored] == list(range(1, 1001))
    assert {m["seq"]: m["id"] for m in stored} == results[0]
    # Each sender's own messages are in the order it sent them.
    for index in range(20):
        mine = [int(m["body"].split(":")[1]) for m in stored if m["body"].startswith(f"{index}:")]
        assert mine == list(range(50))


async def test_a_socket_that_stops_answering_pings_is_closed_at_the_next_sweep(api):
    """One sweep pings every socket (handlers/keepalive.py); a socket that did not answer by
    the next sweep is closed 1001, one that did stays open."""
    bob = await api.register()
    keepalive = api.server.keepalive
    port = int(api.base_url.rsplit(":", 1)[1])
    silent = await asyncio.to_thread(RawSocket, port)  # reads nothing, so never answers
    await asyncio.to_thread(silent.send, {"type": "auth", "token": bob.access})
    _, payload = await asyncio.to_thread(silent.read_frame)
    assert json.loads(payload)["type"] == "ready"
    attentive = await connect(api, bob)
    await keepalive.sweep()  # pings both
    for _ in range(2):  # by the second answer, the server has read the client's pong
        await attentive.send({"type": "ping"})
        await attentive.expect("pong")
    await keepalive.sweep()  # closes the silent one, pings the attentive one again
    opcode, _ = await asyncio.to_thread(silent.read_frame)
    assert opcode == 0x9  # the first sweep's ping, never answered
    assert await asyncio.to_thread(silent.close_code) == 1001
    await attentive.send({"type": "ping"})
    assert (await attentive.expect("pong"))["type"] == "pong"
