"""What an email says and where it goes: queued in the caller's unit of work, sent after.

Emails are rendered when queued (hypee/mail/render.py) and stored in the outbox
(models/outbox.py) with the change that causes them; services/delivery.py hands them to the
transport once committed. Notification emails carry a one-click unsubscribe link (RFC 8058);
account emails carry none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from bson import ObjectId

from config import Settings
from hypee.db import Store
from hypee.errors import ApiError, field_error
from hypee.mail.render import RenderedEmail, compose, language_of, render
from hypee.mail.transport import Transport
from hypee.pagination import decode_cursor, encode_cursor
from hypee.units import current_unit
from models import notification_settings, outbox

log = logging.getLogger("hypee.mail")

UNSUBSCRIBE = "unsubscribe"


class Mailer:
    """Queues emails (inside the caller's unit of work) and composes them for sending.

    `transport` None means mail is disabled: nothing is queued, and /readyz says so.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        transport: Transport | None,
        wake: Callable[[], None],
    ) -> None:
        self.db = store.db
        self.transport = transport
        self.sender = settings.mail_from
        self.public_url = (settings.public_url or _local_url(settings)).rstrip("/")
        self.wake = wake

    @property
    def enabled(self) -> bool:
        return self.transport is not None

    def link(self, path: str) -> str:
        """An absolute link to `path` of the web app, for emails."""
        return self.public_url + path

    async def queue(
        self,
        kind: str,
        recipient: dict[str, Any],
        context: dict[str, Any],
        *,
        to: str | None = None,
        topic: str | None = None,
        calendar: dict[str, str] | None = None,
    ) -> None:
        """Queue the email `kind` to `recipient` (a user with email, display_name and notify;
        `to` overrides the address) with template `context`. Kinds in
        notification_settings.UNSUBSCRIBABLE (and "new_answer", "answer_accepted": forum) get
        the unsubscribe headers and link (`topic` says which setting it turns off, for
        emails of several kinds); `calendar` ({method, ics}) is attached as an invitation.
        Sent once the caller's unit commits."""
        if self.transport is None:
            return
        settings = notification_settings.of(recipient)
        context = {
            "name": recipient.get("display_name", ""),
            "settings_url": self.link("/settings"),
            **context,
        }
        headers: dict[str, str] = {}
        topic = topic or unsubscribe_topic(kind)
        if topic is not None:
            token = encode_cursor(UNSUBSCRIBE, [str(recipient["_id"]), topic])
            one_click = self.link(f"/api/unsubscribe/{token}")
            headers["List-Unsubscribe"] = f"<{one_click}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            context["unsubscribe_url"] = self.link(f"/unsubscribe?token={token}")
        rendered = render(kind, language_of(settings["language"]), context)
        body: outbox.EmailBody = {
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "headers": headers,
        }
        if calendar is not None:
            body["calendar"] = calendar
        await outbox.add_email(
            self.db, kind=kind, user_id=recipient["_id"], to=to or recipient["email"], body=body
        )
        current_unit().on_commit(self.wake)

    def message_of(self, entry: outbox.OutboxDocument) -> EmailMessage:
        """The email an outbox entry holds, ready for the transport; its Message-ID is the
        entry's, so a retried send is recognisably the same email."""
        body = entry["email"]
        domain = self.sender.rsplit("@", 1)[-1].rstrip(">") or "hypee.localhost"
        return compose(
            _rendered(body),
            sender=self.sender,
            to=entry["to"],
            message_id=f"<{entry['_id']}@{domain}>",
            headers=body["headers"],
            calendar=body.get("calendar"),
        )


def _local_url(settings: Settings) -> str:
    """This server as a browser on the same machine reaches it (development without
    HYPEE_PUBLIC_URL; production requires the setting when it sends emails)."""
    host = "localhost" if settings.host in ("", "0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


def _rendered(body: outbox.EmailBody) -> RenderedEmail:
    return RenderedEmail(body["subject"], body["text"], body["html"])


FORUM_KINDS = ("new_answer", "answer_accepted")
MENTORSHIP_KINDS = ("mentorship", "session", "session_invitation")


def unsubscribe_topic(kind: str) -> str | None:
    """The setting a one-click unsubscribe from email `kind` turns off; None for account
    emails."""
    if kind == "missed_messages":
        return "messages"
    if kind in FORUM_KINDS:
        return "forum"
    if kind == "digest":
        return "digest"
    if kind in MENTORSHIP_KINDS:
        return "mentorship"
    return None


def read_unsubscribe(token: str) -> tuple[ObjectId, str]:
    """(user id, topic) of an unsubscribe token; 400 naming `token` when it is not one."""
    try:
        user_id, topic = decode_cursor(token, UNSUBSCRIBE, (str, str))
        if topic not in notification_settings.UNSUBSCRIBABLE or not ObjectId.is_valid(user_id):
            raise ValueError(topic)
    except (ApiError, ValueError):
        raise field_error("token", "Not a valid unsubscribe link.") from None
    return ObjectId(user_id), topic
