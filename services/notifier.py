"""Notifications as events: stored for later, then pushed to the user's open sockets."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.realtime.hub import Hub
from models import notifications


class Notifier:
    """Stores notifications (models/notifications.py) and pushes them once committed.

    The storing methods run inside the caller's unit of work and return what to push; the
    caller pushes after the unit ends, so no socket hears of something that was not kept.
    """

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub

    async def notify(self, user_id: ObjectId, kind: str, data: dict[str, Any]) -> dict:
        """Store a notification for `user_id` (never about their own action: callers check)."""
        return await notifications.create(self.db, user_id, kind, data)

    async def message_stored(
        self, recipients: list[ObjectId], message: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A message was stored: the recipients' coalesced `new_message` notifications."""
        return await notifications.message_stored(self.db, recipients, message)

    async def mark_read(self, user_id: ObjectId, data: dict[str, Any]) -> None:
        """Mark notifications read (loaded MarkReadSchema `data`), in one unit of work."""
        async with self.store.atomic():
            await notifications.mark_read(self.db, user_id, data)

    async def push(self, stored: list[dict[str, Any]]) -> None:
        """Send stored notifications to their users' sockets."""
        for notification in stored:
            await self.hub.publish(
                [notification["user_id"]],
                {"type": "notification", "notification": notifications.view(notification)},
            )
