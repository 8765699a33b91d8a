"""Missed-message emails: one email per conversation left unread by someone away, and the
emails quiet hours held.

The notifier schedules a check (a job keyed by user and conversation) when a run of unread
messages starts for someone with no open socket. When it comes due, the check reads the
conversation as it is then: edited messages as they are now, deleted ones left out, nothing
sent when everything was read or deleted. During the person's quiet hours the checks wait
for them to end, as do the forum emails that came meanwhile (held jobs); whatever is due
then for that person goes out as one email. The email and the end of its jobs are one unit
of work, so each is emailed once.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bson import ObjectId

from hypee.db import Store
from hypee.units import retry_transient
from models import jobs, messages, notification_settings, users
from models.message_schemas import MessageDocument
from services import notice_emails, recipients
from services.mail import Mailer

MESSAGES_PER_CONVERSATION = 10
BODY_CHARACTERS = 500


class MissedMessages:
    """Runs the missed-message checks and the held forum emails (jobs of kinds
    "missed_messages" and "held_email")."""

    def __init__(self, store: Store, mailer: Mailer) -> None:
        self.store = store
        self.db = store.db
        self.mailer = mailer

    async def run(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        found = await recipients.ready(self.db, job)
        if found is None:
            return
        user, settings = found
        batch = [job]
        for kind in (jobs.MISSED_MESSAGES, jobs.HELD_EMAIL):
            batch += await jobs.claim_more(self.db, owner, kind, user["_id"])
        checks = [j for j in batch if j["kind"] == jobs.MISSED_MESSAGES]
        zone = notification_settings.zone_of(settings)
        unread = [
            await self._conversation(j["data"]["conversation_id"], user, zone) for j in checks
        ]
        held = [j["data"] for j in batch if j["kind"] == jobs.HELD_EMAIL]
        await self._send(user, settings, batch, (unread, held))

    @retry_transient
    async def _send(
        self,
        user: dict[str, Any],
        settings: notification_settings.NotificationSettings,
        batch: list[jobs.JobDocument],
        found: tuple[list[dict[str, Any] | None], list[dict[str, Any]]],
    ) -> None:
        unread = [c for c in found[0] if c is not None]
        if not notification_settings.wants(settings, "email", "messages"):
            unread = []
        forum = [
            item
            for item in found[1]
            if notification_settings.wants(settings, "email", notice_emails.topic_of(item["kind"]))
        ]
        async with self.store.atomic():
            for job in batch:
                await jobs.done(self.db, job)
            if unread and not forum:
                await self.mailer.queue("missed_messages", user, {"conversations": unread})
            elif len(forum) == 1 and not unread:
                await self.mailer.queue(forum[0]["kind"], user, forum[0]["context"])
            elif forum:
                items = [{"kind": item["kind"], **item["context"]} for item in forum]
                await self.mailer.queue(
                    "while_away",
                    user,
                    {"conversations": unread, "forum": items},
                    topic="messages" if unread else notice_emails.topic_of(forum[0]["kind"]),
                )

    async def _conversation(
        self, conversation_id: ObjectId, user: dict[str, Any], zone: ZoneInfo
    ) -> dict[str, Any] | None:
        """What the email says of one conversation, or None when nothing in it is unread."""
        conversation, unread = await messages.unread_by(
            self.db, conversation_id, user["_id"], MESSAGES_PER_CONVERSATION
        )
        if conversation is None or user["_id"] in conversation.get("muted_by", ()):
            return None
        either = (await users.relations(self.db, user["_id"], conversation["participants"])).either
        unread = [message for message in unread if message["sender_id"] not in either]
        if not unread:
            return None
        people = await users.public_users(self.db, conversation["participants"])
        names = {person_id: person["display_name"] for person_id, person in people.items()}
        if conversation["kind"] == "group":
            title = conversation.get("title") or ", ".join(
                names[p] for p in conversation["participants"] if p != user["_id"] and p in names
            )
        else:
            title = next(
                (names[p] for p in conversation["participants"] if p != user["_id"] and p in names),
                "Hypee",
            )
        return {
            "title": title,
            "link": self.mailer.link(f"/chat/{conversation_id}"),
            "messages": [
                {
                    "author": names.get(message["sender_id"], "?"),
                    "at": message["created_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "text": _shown(message),
                }
                for message in unread
            ],
        }


def _shown(message: MessageDocument) -> str:
    body = str(message["body"])
    if len(body) > BODY_CHARACTERS:
        body = body[:BODY_CHARACTERS] + "…"
    files = len(message.get("attachments") or [])
    if files:
        body = f"{body} [{files} file{'s' if files > 1 else ''}]".strip()
    return body
