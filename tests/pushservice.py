"""A Web Push service for the tests, on a loopback port: it checks each request's VAPID
signature (RFC 8292) and decrypts its aes128gcm payload (RFC 8291) with the subscription's
private key, as a browser vendor's push service and the browser would between them."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import tornado.web
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscription's secrets, as the browser keeps them."""

    name: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}


class PushService:
    """Accepts pushes for registered browsers; `status[name]` makes it answer otherwise."""

    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.received: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.status: dict[str, int] = {}
        self.problems: list[str] = []
        self.port = 0
        self.server: HTTPServer | None = None

    def browser(self, name: str) -> Browser:
        self.browsers[name] = Browser(name)
        return self.browsers[name]

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    def to(self, name: str) -> list[dict[str, Any]]:
        return [payload for who, payload, _ in self.received if who == name]

    def start(self) -> PushService:
        service = self

        class Endpoint(tornado.web.RequestHandler):
            def post(self, name: str) -> None:
                self.set_status(service.receive(name, self.request))

        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server = HTTPServer(tornado.web.Application([(r"/push/(\w+)", Endpoint)]))
        self.server.add_sockets(sockets)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def receive(self, name: str, request: Any) -> int:
        browser = self.browsers.get(name)
        if browser is None:
            return 404
        try:
            headers = self._check_vapid(request.headers)
            body = http_ece.decrypt(
                request.body,
                private_key=browser.key,
                auth_secret=browser.auth,
                version="aes128gcm",
            )
        except Exception as problem:  # a test asserts there were none
            self.problems.append(repr(problem))
            return 400
        status = self.status.get(name, 201)
        if status == 201:
            self.received.append((name, json.loads(body), headers))
        return status

    def _check_vapid(self, headers: Any) -> dict[str, str]:
        scheme, _, params = headers["Authorization"].partition(" ")
        assert scheme == "vapid", scheme
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        claims = jwt.decode(
            fields["t"], public, algorithms=["ES256"], audience=f"http://127.0.0.1:{self.port}"
        )
        assert claims["sub"].startswith(("mailto:", "https:")), claims
        assert int(headers["TTL"]) > 0 and headers["Content-Encoding"] == "aes128gcm"
        assert len(headers["Topic"]) <= 32
        return {"k": fields["k"], "topic": headers["Topic"]}
