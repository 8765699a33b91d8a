"""HTTP on raw sockets: errors keep a kept-alive connection usable, and requests past the
server's limits (a long URL, a large header block, a bad Content-Length) get a JSON answer
instead of a closed connection."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket

import pytest

from tests.client import ApiClient

# Requests that fail without a body, one per error status the server answers before reading
# the rest of the request (authorization, routing, methods), and a few with a body.
ERRORS_WITHOUT_BODY = [
    ("GET", "/api/nope", 404),
    ("GET", "/api/me", 401),
    ("GET", "/api/me", 401, {"Authorization": "Bearer nonsense"}),
    ("DELETE", "/api/auth/login", 405),
    ("HEAD", "/api/mentors/", 405),
    ("PROPFIND", "/api/me", 405),
    ("GET", "/api/mentors/?limit=0", 400),
    ("GET", "/api/users/not-an-id", 404),
    ("POST", "/api/auth/login", 400),
    ("GET", "/ws", 400),
]


def _port(api: ApiClient) -> int:
    return int(api.base_url.rsplit(":", 1)[1])


def _request(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _read_answers(
    sock: socket.socket, methods: list[str]
) -> list[tuple[int, dict[str, str], bytes]]:
    """Read the HTTP answers (Content-Length framed) to requests of `methods` from `sock`;
    fewer if it closes."""
    answers: list[tuple[int, dict[str, str], bytes]] = []
    buffer = b""
    while len(answers) < len(methods):
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return answers
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if methods[len(answers)] == "HEAD" else int(headers.get("content-length", "0"))
        while len(buffer) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return answers
            buffer += chunk
        answers.append((int(status_line.split()[1]), headers, buffer[:length]))
        buffer = buffer[length:]
    return answers


def _pipelined(port: int, *requests: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(requests))
        return _read_answers(sock, [request.split(b" ", 1)[0].decode() for request in requests])


@pytest.mark.parametrize("failing", ERRORS_WITHOUT_BODY, ids=lambda f: f"{f[0]} {f[1]} {f[2]}")
async def test_an_error_then_a_request_on_one_pipelined_connection(api: ApiClient, failing):
    method, path, status, *headers = failing
    answers = await asyncio.to_thread(
        _pipelined,
        _port(api),
        _request(method, path, headers[0] if headers else None),
        _request("GET", "/healthz"),
    )
    assert [answer[0] for answer in answers] == [status, 200], answers
    _, first_headers, first_body = answers[0]
    assert first_headers.get("connection", "").lower() != "close"
    if method != "HEAD":
        assert "error" in json.loads(first_body)


def _pooled_rounds(port: int, rounds: int, failing: tuple[str, str]) -> int:
    """`rounds` of (an error, then a login) on one kept-alive connection that is never
    reopened: returns how many requests failed in transport."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.auto_open = 0  # a connection the server closed is a failure, not a reconnect
    connection.connect()
    failures = 0
    login = json.dumps({"email": "x@example.com", "password": "x"}).encode()
    try:
        for _ in range(rounds):
            for method, path, body in ((*failing, None), ("POST", "/api/auth/login", login)):
                try:
                    connection.request(method, path, body=body)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    return failures + 1
    finally:
        connection.close()
    return failures


@pytest.mark.parametrize("failing", [("GET", "/api/nope"), ("GET", "/api/me")], ids=["404", "401"])
async def test_a_pooled_connection_survives_errors_without_a_body(api: ApiClient, failing):
    assert await asyncio.to_thread(_pooled_rounds, _port(api), 30, failing) == 0


async def test_a_url_past_the_limit_is_414_in_json(api: ApiClient):
    answers = await asyncio.to_thread(
        _pipelined, _port(api), _request("GET", "/api/mentors/?q=" + "a" * 100_000)
    )
    assert len(answers) == 1, answers
    status, headers, body = answers[0]
    assert status == 414 and headers["connection"].lower() == "close"
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    assert (await api.get("/healthz")).status == 200


async def test_a_header_block_past_the_limit_is_431_in_json(api: ApiClient):
    for size in (70_000, 500_000):
        answers = await asyncio.to_thread(
            _pipelined, _port(api), _request("GET", "/healthz", {"X-Big": "b" * size})
        )
        assert len(answers) == 1, (size, answers)
        status, headers, body = answers[0]
        assert status == 431 and headers["connection"].lower() == "close"
        assert json.loads(body)["error"]["code"] == "headers_too_large"
    assert (await api.get("/healthz")).status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Length": "-5"},
        {"Content-Length": "abc"},
        {"Content-Length": "5, 6"},
        {"Content-Length": "5", "Transfer-Encoding": "chunked"},
        {"Transfer-Encoding": "gzip"},
    ],
    ids=["negative", "not-a-number", "two-lengths", "length-and-chunked", "unknown-encoding"],
)
async def test_a_bad_body_framing_is_400_in_json(api: ApiClient, headers):
    lines = ["POST /api/auth/login HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    answers = await asyncio.to_thread(_pipelined, _port(api), raw)
    assert len(answers) == 1, answers
    status, answer_headers, body = answers[0]
    assert status == 400
    assert answer_headers.get("connection", "").lower() == "close"
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request"
    assert "Content-Length" in error["message"] or "Transfer-Encoding" in error["message"]


async def test_a_body_larger_than_the_server_reads_is_413_in_json(api: ApiClient):
    raw = _request("POST", "/api/auth/login", {"Content-Length": str(10**12)})
    raw = raw.replace(b"Content-Length: 0\r\n", b"")
    answers = await asyncio.to_thread(_pipelined, _port(api), raw)
    assert len(answers) == 1, answers
    status, headers, body = answers[0]
    assert status == 413 and headers["connection"].lower() == "close"
    assert json.loads(body)["error"]["code"] == "payload_too_large"
