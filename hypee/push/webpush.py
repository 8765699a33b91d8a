"""Sending one Web Push message: encrypt the payload for the subscription (aes128gcm, RFC
8291), sign a VAPID token for the push service (RFC 8292), POST it (RFC 8030).

Encryption and signing run in a worker thread, and the POST on Tornado's async client, so the
event loop never waits on either. The push service's answer decides what happens next: 201
delivered; 404 or 410 the subscription is gone (PushGone); 429 and 5xx try again later; any
other answer will not change (DeliveryFailed, not transient).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from hypee.mail.transport import DeliveryFailed

PUSH_TTL_SECONDS = 24 * 3600
REQUEST_TIMEOUT_SECONDS = 15


class PushGone(DeliveryFailed):
    """The push service no longer knows the subscription (404, 410): delete it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"push service answered {status}: subscription gone", transient=False)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_vapid(key: str) -> Vapid02:
    """A VAPID signing key from PEM text or base64url (raw or DER)."""
    if "BEGIN" in key:
        return Vapid02.from_pem(key.encode())
    return Vapid02.from_string(key)


def new_vapid_pem() -> str:
    """A new VAPID key pair, as the private key's PEM."""
    vapid = Vapid02()
    vapid.generate_keys()
    return str(vapid.private_pem().decode())


def topic_of(tag: str) -> str:
    """A Topic header (at most 32 base64url characters) for a replaceable message's tag."""
    return b64url(hashlib.sha256(tag.encode()).digest())[:32]


class WebPush:
    """Sends pushes signed with one VAPID key."""

    def __init__(self, vapid: Vapid02, subject: str) -> None:
        self.vapid = vapid
        self.subject = subject
        point = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.public_key = b64url(point)  # the browser's applicationServerKey

    async def send(
        self, endpoint: str, keys: dict[str, str], payload: dict[str, Any], tag: str
    ) -> None:
        """Deliver `payload` (JSON) to one subscription; PushGone or DeliveryFailed if not."""
        body, headers = await asyncio.to_thread(self._prepare, endpoint, keys, payload)
        headers["Topic"] = topic_of(tag)
        request = HTTPRequest(
            endpoint,
            method="POST",
            body=body,
            headers=headers,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
            connect_timeout=REQUEST_TIMEOUT_SECONDS,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as error:
            raise DeliveryFailed(f"push service unreachable: {error}", transient=True) from None
        status = response.code
        if status in (200, 201, 202):
            return
        if status in (404, 410):
            raise PushGone(status)
        transient = status == 429 or status >= 500 or status == 599  # 599: no answer
        raise DeliveryFailed(f"push service answered {status}", transient=transient)

    def _prepare(
        self, endpoint: str, keys: dict[str, str], payload: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        """(encrypted body, headers): the CPU-heavy part, run off the event loop."""
        sender = ec.generate_private_key(ec.SECP256R1())
        body = http_ece.encrypt(
            json.dumps(payload, separators=(",", ":")).encode(),
            salt=os.urandom(16),
            private_key=sender,
            dh=b64url_decode(keys["p256dh"]),
            auth_secret=b64url_decode(keys["auth"]),
            version="aes128gcm",
        )
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.subject,
        }
        headers = dict(self.vapid.sign(claims))
        headers.update(
            {
                "TTL": str(PUSH_TTL_SECONDS),
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "Urgency": "normal",
            }
        )
        return body, headers
