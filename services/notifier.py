"""Notifications as events: stored for later, and pushed at once to the user's open sockets."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.realtime.hub import Hub
from models import notifications


class Notifier:
    """Stores notifications (models/notifications.py) and pushes each new one."""

    def __init__(self, db: Any, hub: Hub) -> None:
        self.db = db
        self.hub = hub

    async def notify(self, user_id: ObjectId, kind: str, data: dict[str, Any]) -> None:
        """Tell `user_id` about something (never about their own action: callers check)."""
        await self._push(await notifications.create(self.db, user_id, kind, data))

    async def message_stored(self, recipients: list[ObjectId], message: dict[str, Any]) -> None:
        """A message was stored: the recipients' coalesced `new_message` notifications."""
        for notification in await notifications.message_stored(self.db, recipients, message):
            await self._push(notification)

    async def _push(self, notification: dict[str, Any]) -> None:
        await self.hub.publish(
            [notification["user_id"]],
            {"type": "notification", "notification": notifications.view(notification)},
        )
