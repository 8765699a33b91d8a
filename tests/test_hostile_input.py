"""Requests an attacker or a sloppy client sends: each gets the documented JSON error (never a
5xx, a hang, a dropped connection or a non-JSON answer)."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import re

import pytest
from bson import ObjectId

from hypee.auth import Identity, TokenService
from tests.client import ApiClient
from tests.helpers import ask, assert_error, open_direct, send


def forged(listing: str, values: list) -> str:
    """A cursor built by hand, as someone who read the old (unsigned) format would."""
    raw = json.dumps([listing, values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
async def world(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    return alice, bob, cid


FORGED_VALUES = [
    [{"o": "zz"}],
    [{"o": "0" * 24}, {"o": "not an id"}],
    [2**70, {"o": "0" * 24}],
    [True, 2**70, {"o": "0" * 24}],
    [{"d": "2026-13-45"}, {"o": "0" * 24}],
    ["before", -5],
    ["after", -1],
    ["after", 2**70],
]


async def test_forged_cursors_are_400_on_every_list(api: ApiClient, world):
    alice, _, cid = world
    routes = [
        ("/api/mentors/", "mentors:relevance", None),
        ("/api/mentors/?sort=newest", "mentors:newest", None),
        ("/api/mentors/?q=ana", "mentors:ranked", None),
        ("/api/questions/", "questions:newest", None),
        ("/api/questions/?sort=votes", "questions:votes", None),
        ("/api/conversations/", "inbox", alice.access),
        ("/api/notifications/", "notifications:False", alice.access),
        (f"/api/users/{alice.id}/points", f"points:{alice.id}", None),
        (f"/api/conversations/{cid}/messages/", f"messages:{cid}", alice.access),
    ]
    for path, listing, token in routes:
        for values in FORGED_VALUES:
            separator = "&" if "?" in path else "?"
            response = await api.get(
                f"{path}{separator}cursor={forged(listing, values)}", token=token
            )
            error = assert_error(response, 400, "validation_error")
            assert error["fields"] == {"cursor": ["Invalid cursor."]}, (path, values)


async def test_a_cursor_from_the_server_still_pages(api: ApiClient, world):
    alice, _, cid = world
    for n in range(5):
        await send(api, alice, cid, f"m{n}")
    page = (await api.get(f"/api/conversations/{cid}/messages/?limit=2", token=alice.access)).json
    following = await api.get(
        f"/api/conversations/{cid}/messages/?limit=2&cursor={page['next_cursor']}",
        token=alice.access,
    )
    assert [m["seq"] for m in following.json["results"]] == [2, 3]


@pytest.mark.parametrize("seq", ["³", "١٢", "٣", "1e3", "-1", "+1", "%201", "1.0"])
async def test_message_seqs_are_ascii_digits(api: ApiClient, world, seq: str):
    alice, _, cid = world
    path = f"/api/conversations/{cid}/messages/{seq}/"
    assert_error(await api.patch(path, {"body": "x"}, token=alice.access), 404, "not_found")
    assert_error(await api.delete(path, token=alice.access), 404, "not_found")


async def test_lone_surrogates_are_a_validation_error(api: ApiClient, world):
    alice, _, cid = world
    body = '{"email": "s@example.com", "password": "long enough", "display_name": "A\\ud800"}'
    headers = {"Content-Type": "application/json"}
    response = await api.post("/api/auth/register", body=body, headers=headers)
    error = assert_error(response, 400, "validation_error")
    assert "display_name" in error["fields"]
    keyed = '{"email": "s@example.com", "password": "long enough", "\\udc00": "x"}'
    response = await api.post("/api/auth/register", body=keyed, headers=headers)
    assert_error(response, 400, "validation_error")
    password = '{"email": "p@example.com", "password": "long \\ud800 enough", "display_name": "P"}'
    assert_error(
        await api.post("/api/auth/register", body=password, headers=headers),
        400,
        "validation_error",
    )
    message = '{"client_id": "s1", "body": "hi \\udbff"}'
    response = await api.post(
        f"/api/conversations/{cid}/messages/", body=message, headers=headers, token=alice.access
    )
    assert_error(response, 400, "validation_error")
    # The refused send took no seq: the next message is the first.
    assert (await send(api, alice, cid, "after")).json["seq"] == 1


async def test_lone_surrogates_in_socket_frames(api: ApiClient, world):
    from tests.client import Socket

    alice, _, cid = world
    socket = await Socket.connect(api.base_url, "/ws", alice.access)
    await socket.send(
        '{"type": "message", "conversation_id": "' + cid + '", "client_id": "c", "body": "\\ud800"}'
    )
    error = await socket.expect("error")
    assert error["code"] == "validation_error"
    await socket.send({"type": "ping"})
    assert (await socket.expect("pong"))["type"] == "pong"


async def test_the_websocket_route_answers_other_requests_in_json(api: ApiClient):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await api.request(method, "/ws", body=b"{}" if method != "DELETE" else None)
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"].startswith("GET")
    plain = await api.get("/ws")
    assert_error(plain, 400, "validation_error")
    chat = await api.get(f"/ws/chat/{ObjectId()}/")
    assert_error(chat, 400, "validation_error")


async def test_register_login_and_refresh_ignore_an_expired_access_token(api: ApiClient):
    account = await api.register()
    expired = TokenService(api.server.settings.jwt_secret, -30).access_token(
        Identity(ObjectId(account.id), ObjectId())
    )
    refreshed = await api.post("/api/auth/refresh", {"refresh": account.refresh}, token=expired)
    assert refreshed.status == 200, refreshed
    login = {"email": account.email, "password": account.password}
    assert (await api.post("/api/auth/login", login, token=expired)).status == 200
    fresh = {"email": "new@example.com", "password": "long enough", "display_name": "N"}
    assert (await api.post("/api/auth/register", fresh, token=expired)).status == 201
    # Public reads still say the token expired (the client then refreshes).
    assert_error(await api.get("/api/mentors/", token=expired), 401, "token_expired")


async def test_a_stored_client_id_is_answered_even_when_rate_limited(start_server):
    api = await start_server(send_rate_per_10s=3)
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    first = await send(api, alice, cid, "once", client_id="keep")
    assert first.status == 201
    for n in range(2):
        assert (await send(api, alice, cid, f"more {n}")).status == 201
    assert_error(await send(api, alice, cid, "too many"), 429, "rate_limited")
    for _ in range(5):  # retries of the stored message: answered, and not counted
        again = await send(api, alice, cid, "once", client_id="keep")
        assert again.status == 200 and again.json == first.json


def _round_trips(port: int, rounds: int, first: tuple[str, str, bytes, dict]) -> int:
    """`rounds` times on one kept-alive connection: an error answer, then a valid POST.
    Returns how many requests failed in transport (reset, closed, broken pipe)."""
    failures = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(rounds):
        for method, path, body, headers in (
            first,
            (
                "POST",
                "/api/auth/login",
                b'{"email": "x@example.com", "password": "x"}',
                {"Content-Type": "application/json"},
            ),
        ):
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                json.loads(response.read())
            except (OSError, http.client.HTTPException):
                failures += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.close()
    return failures


@pytest.mark.parametrize(
    "first",
    [
        ("POST", "/api/auth/logout", b'{"refresh": "x.y"}', {"Content-Type": "application/json"}),
        ("POST", "/api/nowhere", b'{"a": 1}', {"Content-Type": "application/json"}),
        ("PUT", "/api/mentors/", b'{"a": 1}', {"Content-Type": "application/json"}),
        ("POST", "/api/me", b"x" * 5000, {"Authorization": "Bearer nonsense"}),
    ],
    ids=["401", "404", "405", "401-bad-token"],
)
async def test_errors_keep_the_connection_usable(api: ApiClient, first):
    port = int(api.base_url.rsplit(":", 1)[1])
    failures = await asyncio.to_thread(_round_trips, port, 200, first)
    assert failures == 0


def _raw_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        connection.close()


async def test_long_urls_under_the_limit_get_the_api_answers(api):
    port = int(api.base_url.rsplit(":", 1)[1])
    status, body = await asyncio.to_thread(_raw_get, port, f"/api/mentors/?q={'a' * 20_000}")
    assert status == 400 and json.loads(body)["error"]["code"] == "validation_error"
    status, body = await asyncio.to_thread(_raw_get, port, f"/api/{'x' * 20_000}")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


async def test_integers_are_what_json_schema_calls_integers_within_64_bits(api: ApiClient, world):
    alice, _, cid = world
    await send(api, alice, cid, "one")
    read = f"/api/conversations/{cid}/read"
    assert (await api.post(read, {"seq": 1.0}, token=alice.access)).status in (200, 204)
    for seq in (2**63, 1.5, 1e300, "1", True):
        error = assert_error(
            await api.post(read, {"seq": seq}, token=alice.access), 400, "validation_error"
        )
        assert "seq" in error["fields"], seq


async def test_more_than_five_tags_are_refused_even_when_they_repeat(api: ApiClient, world):
    alice, _, _ = world
    question = {"title": "How do I review code kindly?", "body": "Tips?", "tags": ["a"] * 6}
    response = await api.post("/api/questions/", question, token=alice.access)
    assert assert_error(response, 400, "validation_error")["fields"] == {
        "tags": ["At most 5 tags."]
    }


async def test_text_of_whitespace_alone_is_refused_as_the_document_says(api: ApiClient, world):
    """Python and JSON Schema (ECMA-262) disagree on what `\\s` is (U+0085, U+FEFF): the
    document names the whitespace it trims, and the server trims exactly that."""
    alice, _, _ = world
    spec = (await api.get("/api/openapi.json")).json
    pattern = spec["components"]["schemas"]["NewAnswer"]["properties"]["body"]["pattern"]
    assert "\\s" not in pattern
    question = await ask(api, alice)
    for blank in ("\x85", "\ufeff", "\u3000 \u2003", "\xa0"):
        assert re.fullmatch(pattern, blank) is None
        response = await api.post(
            "/api/answers/", {"question_id": question["id"], "body": blank}, token=alice.access
        )
        assert "body" in assert_error(response, 400, "validation_error")["fields"], repr(blank)
    kept = await api.post(
        "/api/answers/", {"question_id": question["id"], "body": "\x85ok\ufeff"}, token=alice.access
    )
    assert kept.status == 201 and kept.json["body"] == "ok"
