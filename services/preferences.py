"""A person's notification settings: changing them (which moves their digest), and turning a
kind of email off from a one-click unsubscribe link."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.errors import unauthorized
from hypee.units import retry_transient
from models import notification_settings, users
from models.notification_settings import NotificationSettings
from services.digests import Digests


class Preferences:
    """Reading and changing notification settings."""

    def __init__(self, store: Store, digests: Digests) -> None:
        self.store = store
        self.db = store.db
        self.digests = digests

    async def of(self, user_id: ObjectId) -> NotificationSettings:
        user = await users.get_user(self.db, user_id)
        if user is None:
            raise unauthorized("This account no longer exists.")
        return notification_settings.of(user)

    @retry_transient
    async def update(self, user_id: ObjectId, changes: dict[str, Any]) -> NotificationSettings:
        """Apply loaded NotificationSettingsSchema `changes`; the settings after."""
        async with self.store.atomic():
            user = await users.get_user(self.db, user_id)
            if user is None:
                raise unauthorized("This account no longer exists.")
            settings = notification_settings.changed(user, changes)
            await users.set_notification_settings(self.db, user_id, settings)
            await self.digests.schedule(user_id, settings)
        return settings

    async def unsubscribe(self, user_id: ObjectId, topic: str) -> None:
        """Turn off the emails of `topic` ("messages", "forum" or "digest"); an account that
        is gone has nothing to turn off."""
        user = await users.get_user(self.db, user_id)
        if user is None:
            return
        if topic == "digest":
            await self.update(user_id, {"digest": "off"})
        else:
            emails = notification_settings.of(user)["email"]
            await self.update(user_id, {"email": {**emails, topic: False}})

    async def registered(self, user_id: ObjectId) -> None:
        """A new account gets the default digest (in the caller's unit of work)."""
        await self.digests.schedule(user_id, notification_settings.DEFAULTS)
