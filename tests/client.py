"""A small HTTP client for the tests: real requests over loopback, JSON in and out."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from dataclasses import dataclass
from typing import Any

import jsonschema
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.websocket import websocket_connect

PASSWORD = "correct horse battery"
# Frames that arrive on their own and most tests do not wait for.
BACKGROUND = ("presence", "notification")
_numbers = itertools.count(1)


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        try:
            return self.json["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:300]!r}>"


@dataclass
class Account:
    """A registered user and its tokens."""

    id: str
    email: str
    password: str
    access: str
    refresh: str
    user: dict


class ApiClient:
    """Talks to one running server at `base_url`."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = AsyncHTTPClient()

    async def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        token: str | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        request_timeout: float = 30,
    ) -> Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body)
            all_headers.setdefault("Content-Type", "application/json")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        request = HTTPRequest(
            self.base_url + path,
            method=method,
            headers=all_headers,
            body=body,
            allow_nonstandard_methods=True,
            request_timeout=request_timeout,
            follow_redirects=False,
        )
        response: HTTPResponse = await self.http.fetch(request, raise_error=False)
        if response.code == 599:
            raise response.error or RuntimeError("request failed")
        return Response(response.code, response.headers, response.body or b"")

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Response:
        return await self.request("POST", path, json_body, **kwargs)

    async def put(self, path: str, json_body: Any = None, **kwargs: Any) -> Response:
        return await self.request("PUT", path, json_body, **kwargs)

    async def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> Response:
        return await self.request("PATCH", path, json_body, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Response:
        return await self.request("DELETE", path, **kwargs)

    async def register(
        self,
        display_name: str | None = None,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        role: str | None = None,
    ) -> Account:
        """Register a new account (unique email unless given) and return it with its tokens."""
        number = next(_numbers)
        body = {
            "email": email or f"user{number}@example.com",
            "password": password,
            "display_name": display_name or f"User {number}",
        }
        if role:
            body["role"] = role
        response = await self.post("/api/auth/register", body)
        assert response.status == 201, response
        data = response.json
        return Account(
            id=data["user"]["id"],
            email=body["email"].lower(),
            password=password,
            access=data["access"],
            refresh=data["refresh"],
            user=data["user"],
        )


@functools.cache
def _frame_validator(kind: str | None) -> jsonschema.protocols.Validator:
    """A validator of the server frame of type `kind` (`ServerFrame` for an unknown one),
    against the server's own OpenAPI document."""
    from server.routes import openapi_document

    components = openapi_document()["components"]
    mapping = components["schemas"]["ServerFrame"]["discriminator"]["mapping"]
    schema = {
        "$ref": mapping.get(kind, "#/components/schemas/ServerFrame"),
        "components": components,
    }
    return jsonschema.Draft202012Validator(schema)


class Socket:
    """A WebSocket client speaking the JSON frames of docs/api.md."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def connect(cls, base_url: str, path: str = "/ws", token: str | None = None) -> Socket:
        """Connect; with `token`, authenticate and wait for `ready`."""
        url = base_url.replace("http://", "ws://") + path
        socket = cls(await websocket_connect(url))
        if token is not None:
            await socket.send({"type": "auth", "token": token})
            ready = await socket.expect("ready")
            socket.user = ready["user"]
        return socket

    async def send(self, frame: Any) -> None:
        await self.connection.write_message(
            frame if isinstance(frame, str | bytes) else json.dumps(frame),
            binary=isinstance(frame, bytes),
        )

    async def recv(self, timeout: float = 5) -> dict | None:
        """The next frame, or None when the socket closed. Every frame must be one the
        published schemas describe (models/frames.py: `ServerFrame` in OpenAPI)."""
        message = await asyncio.wait_for(self.connection.read_message(), timeout)
        if message is None:
            return None
        frame = json.loads(message)
        problems = [
            error.message for error in _frame_validator(frame.get("type")).iter_errors(frame)
        ]
        assert not problems, (frame, problems)
        return frame

    async def expect(
        self, kind: str, timeout: float = 5, skip: tuple[str, ...] = BACKGROUND
    ) -> dict:
        """The next frame of type `kind`, skipping frames of the `skip` types."""
        while True:
            frame = await self.recv(timeout)
            assert frame is not None, f"socket closed ({self.close_code}) while waiting for {kind}"
            if frame["type"] in skip and kind not in skip:
                continue
            assert frame["type"] == kind, frame
            return frame

    async def expect_any(self, timeout: float = 5, skip: tuple[str, ...] = BACKGROUND) -> dict:
        """The next frame whose type is not one of `skip`."""
        while True:
            frame = await self.recv(timeout)
            assert frame is not None, f"socket closed ({self.close_code})"
            if frame["type"] not in skip:
                return frame

    async def silent(self, timeout: float = 0.3, skip: tuple[str, ...] = BACKGROUND) -> None:
        """Assert that no frame (other than `skip` types) arrives within `timeout`."""
        try:
            while True:
                frame = await self.recv(timeout)
                if frame is None:
                    return
                assert frame["type"] in skip, frame
        except TimeoutError:
            return

    async def closed(self, timeout: float = 15) -> int | None:
        """Wait for the server to close the socket; its close code."""
        while await self.recv(timeout) is not None:
            pass
        return self.close_code

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    def close(self) -> None:
        self.connection.close()
