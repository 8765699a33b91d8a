"""A small HTTP client for the tests: real requests over loopback, JSON in and out."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse

PASSWORD = "correct horse battery"
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
