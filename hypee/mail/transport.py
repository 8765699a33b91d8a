"""Handing a composed email over: to an SMTP server (aiosmtplib), or to a folder of .eml files.

A transport raises DeliveryFailed when it could not: `transient` says whether trying again
later may work (connection refused, timeouts, SMTP 4xx) or not (SMTP 5xx).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

log = logging.getLogger("hypee.mail")

SMTP_TIMEOUT_SECONDS = 30
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class DeliveryFailed(Exception):
    """An email or push was not delivered; `transient`: a later attempt may succeed."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class Transport(Protocol):
    """Where composed emails go."""

    def describe(self) -> str:
        """One line for the start-up log (no password)."""

    async def send(self, message: EmailMessage) -> None:
        """Hand `message` over; DeliveryFailed when it could not be."""


@dataclass(frozen=True)
class SmtpTransport:
    """An SMTP server: smtp:// (STARTTLS; required except on loopback hosts unless
    `?starttls=auto|off|required` says otherwise) or smtps:// (TLS from the start)."""

    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    starttls: str  # "required", "auto" or "off"

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        parts = urlsplit(url)
        use_tls = parts.scheme.lower() == "smtps"
        default_starttls = "auto" if (parts.hostname or "") in LOOPBACK_HOSTS else "required"
        starttls = parse_qs(parts.query).get("starttls", [default_starttls])[0]
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if use_tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            starttls="off" if use_tls else starttls,
        )

    def describe(self) -> str:
        scheme = "smtps" if self.use_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port} (STARTTLS {self.starttls})"

    async def send(self, message: EmailMessage) -> None:
        start_tls = {"required": True, "auto": None, "off": False}.get(self.starttls)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=start_tls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [recipient.code for recipient in refused.recipients]
            raise DeliveryFailed(
                f"recipients refused: {codes}", transient=all(400 <= c < 500 for c in codes)
            ) from None
        except aiosmtplib.SMTPResponseException as answer:
            raise DeliveryFailed(
                f"SMTP {answer.code} {answer.message}", transient=answer.code < 500
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}", transient=True) from None


@dataclass(frozen=True)
class FolderTransport:
    """Embedded mode: each email becomes an .eml file in `folder`, and the log says so."""

    folder: Path

    def describe(self) -> str:
        return f"written to {self.folder} as .eml files (no HYPEE_SMTP_URL)"

    async def send(self, message: EmailMessage) -> None:
        name = re.sub(r"[^A-Za-z0-9.@_-]", "", str(message["Message-ID"])) or "email"
        path = self.folder / f"{name}.eml"
        try:
            await asyncio.to_thread(self._write, path, bytes(message))
        except OSError as error:
            raise DeliveryFailed(f"cannot write {path}: {error}", transient=True) from None
        log.info(
            "email written",
            extra={"to": message["To"], "subject": message["Subject"], "file": str(path)},
        )

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(data)
        partial.replace(path)
