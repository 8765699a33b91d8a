"""Notifications as events: stored for later, then pushed to the user's open sockets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.realtime.hub import Hub
from hypee.units import current_unit, retry_transient
from models import notifications
from models.message_schemas import MessageView
from models.notifications import NotificationDocument


class Notifier:
    """Stores notifications (models/notifications.py) and pushes them once committed.

    The storing methods run inside the caller's unit of work and register the push on it
    (hypee/units.py), so no socket hears of something that was not kept.
    """

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub

    async def notify(self, user_id: ObjectId, kind: str, data: dict[str, Any]) -> None:
        """Store a notification for `user_id` (never about their own action: callers check),
        pushed to their sockets once the caller's unit commits."""
        stored = await notifications.create(self.db, user_id, kind, data)
        current_unit().on_commit(lambda: self._push([stored]))

    async def message_stored(self, recipients: list[ObjectId], message: MessageView) -> None:
        """A message was stored (in the caller's unit): the recipients' coalesced
        `new_message` notifications, pushed once it commits."""
        created = await notifications.message_stored(self.db, recipients, message)
        if created:
            current_unit().on_commit(lambda: self._push(created))

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
