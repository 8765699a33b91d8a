"""Notifications as events: stored for later, pushed to the user's open sockets, and for
someone with no open socket, sent as web pushes and emails as their settings allow.

Everything a notification causes is decided inside the caller's unit of work: sockets hear of
it once the unit commits, and pushes, emails and missed-message checks are stored in the same
unit (the outbox, scheduled jobs) and leave after it. Nobody is notified of their own actions
(callers check).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.realtime.hub import Hub
from hypee.units import current_unit, retry_transient
from models import jobs, notification_settings, notifications, outbox, push_subscriptions, users
from models.message_schemas import MessageView
from models.notifications import NotificationDocument
from services import notice_emails
from services.mail import Mailer
from services.push_payloads import push_payload


class Notifier:
    """Stores notifications (models/notifications.py) and reaches people with them: sockets
    for those connected, pushes and emails for those away (see the module docstring)."""

    def __init__(self, store: Store, hub: Hub, mailer: Mailer, missed_delay_seconds: int) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.mailer = mailer
        self.missed_delay = timedelta(seconds=missed_delay_seconds)
        self.pushes_enabled = False  # set when Web Push is configured (server/lifecycle.py)

    async def notify(
        self,
        user_id: ObjectId,
        kind: str,
        data: dict[str, Any],
        *,
        actor_id: ObjectId,
        excerpt: str = "",
        email: bool = True,
    ) -> None:
        """Store a notification for `user_id` about what `actor_id` did (never their own
        action: callers check; nothing when either blocked the other), pushed to their sockets
        once the caller's unit commits; `excerpt` is what an email about it quotes; `email`
        False: the caller sends its own email about it (a session's invitation)."""
        if (await users.relations(self.db, user_id, [actor_id])).either:
            return
        stored = await notifications.create(self.db, user_id, kind, data)
        current_unit().on_commit(lambda: self._push([stored]))
        await self._reach_away([stored], excerpt, email)

    async def message_stored(self, recipients: list[ObjectId], message: MessageView) -> None:
        """A message was stored (in the caller's unit): the recipients' coalesced
        `new_message` notifications, pushed once it commits."""
        created = await notifications.message_stored(self.db, recipients, message)
        if created:
            current_unit().on_commit(lambda: self._push(created))
            await self._reach_away(created)

    @retry_transient
    async def mark_read(self, user_id: ObjectId, data: dict[str, Any]) -> None:
        """Mark notifications read (loaded MarkReadSchema `data`), in one unit of work."""
        async with self.store.atomic():
            await notifications.mark_read(self.db, user_id, data)

    async def _push(self, stored: Sequence[NotificationDocument]) -> None:
        """Send stored notifications to their users' sockets."""
        for notification in stored:
            await self.hub.publish(
                [notification["user_id"]],
                {"type": "notification", "notification": notifications.view(notification)},
            )

    async def _reach_away(
        self, stored: Sequence[NotificationDocument], excerpt: str = "", email: bool = True
    ) -> None:
        """For users with no open socket anywhere: queue pushes and emails (held through quiet
        hours), or schedule the missed-message check of a conversation."""
        online = await self.hub.online([n["user_id"] for n in stored])
        away = [n for n in stored if n["user_id"] not in online]
        if not away:
            return
        people = {
            u["_id"]: u for u in await users.with_settings(self.db, [n["user_id"] for n in away])
        }
        subscriptions = (
            await push_subscriptions.of_users(self.db, list(people)) if self.pushes_enabled else {}
        )
        now = clock.now()
        for notification in away:
            user = people.get(notification["user_id"])
            if user is None:
                continue
            settings = notification_settings.of(user)
            topic = notice_emails.topic_of(notification["kind"])
            held_until = notification_settings.quiet_until(settings, now)
            if notification_settings.wants(settings, "push", topic):
                payload = push_payload(notification, settings["language"])
                mine = subscriptions.get(user["_id"], [])
                await self._push_away(notification, payload, mine, held_until)
            if not (
                email
                and notification_settings.wants(settings, "email", topic)
                and user.get("email_verified")
            ):
                continue
            if topic == "messages":
                conversation_id = notification["data"]["conversation_id"]
                await jobs.schedule(
                    self.db,
                    key=jobs.missed_key(user["_id"], conversation_id),
                    kind=jobs.MISSED_MESSAGES,
                    user_id=user["_id"],
                    due_at=now + self.missed_delay,
                    data={"conversation_id": ObjectId(conversation_id)},
                )
            else:
                context = notice_emails.context(self.mailer, notification, excerpt, settings)
                await self._email_away(notification, user, context, held_until)

    async def _push_away(
        self,
        notification: NotificationDocument,
        payload: dict[str, Any],
        subscriptions: list[push_subscriptions.SubscriptionDocument],
        held_until: datetime | None,
    ) -> None:
        """Queue the push to each subscription; in quiet hours, hold it (PushService.send_held
        sends what was held as one push when they end)."""
        if not subscriptions:
            return
        user_id = notification["user_id"]
        if held_until is not None:
            await jobs.schedule(
                self.db,
                key=jobs.held_key(jobs.HELD_PUSH, user_id, notification["_id"]),
                kind=jobs.HELD_PUSH,
                user_id=user_id,
                due_at=held_until,
                data={"payload": payload},
            )
            return
        await outbox.add_pushes(self.db, user_id, [s["_id"] for s in subscriptions], payload)
        current_unit().on_commit(self.mailer.wake)

    async def _email_away(
        self,
        notification: NotificationDocument,
        user: dict[str, Any],
        context: dict[str, Any],
        held_until: datetime | None,
    ) -> None:
        """Queue a forum or mentorship email; in quiet hours, hold it (services/missed.py sends
        it with the other emails held for the person, as one, when they end)."""
        if held_until is None:
            await self.mailer.queue(notification["kind"], user, context)
            return
        await jobs.schedule(
            self.db,
            key=jobs.held_key(jobs.HELD_EMAIL, user["_id"], notification["_id"]),
            kind=jobs.HELD_EMAIL,
            user_id=user["_id"],
            due_at=held_until,
            data={"kind": notification["kind"], "context": context},
        )
