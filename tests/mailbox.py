"""A real SMTP server on a loopback port (aiosmtpd), keeping what it receives for the tests.

It runs in its own thread (aiosmtpd's Controller), so the server under test talks to it over
TCP exactly as to a production mail server. `answer` makes it refuse mail: "451 ..." (try
again later) or "550 ..." (never).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


class Mailbox:
    """What the SMTP server received, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.answer: str | None = None  # a refusal to give instead of accepting
        self._lock = threading.Lock()
        self.controller: Controller | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer is not None:
            return self.answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self, port: int | None = None) -> Mailbox:
        self.port = port or self.port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 10, settle: Any = None
    ) -> list[EmailMessage]:
        """The first `count` emails to `address`, waiting up to `timeout` seconds (calling
        `settle()` between looks: a server's due-work loop, to go faster)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.to(address)) < count:
            assert asyncio.get_running_loop().time() < deadline, (
                f"{len(self.to(address))} of {count} emails to {address} arrived: "
                f"{[m['Subject'] for m in self.messages]}"
            )
            if settle is not None:
                await settle()
            await asyncio.sleep(0.05)
        return self.to(address)[:count]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage, path: str) -> str:
    """The token of the link to `path` (e.g. "/verify-email") in the email's text."""
    found = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_.=-]+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def settle(api: Any) -> Any:
    """The due-work loop of the in-process server behind `api`: awaiting it sends what is due."""
    return api.server.services.due_work.settled


async def verify(api: Any, mailbox: Mailbox, account: Any) -> None:
    """Verify `account`'s address with the link of its first email (sent at registration)."""
    [email] = await mailbox.wait_for(account.email, settle=settle(api))
    token = link_in(email, "/verify-email")
    assert (await api.post("/api/auth/verify-email", {"token": token})).status == 204
