"""Web Push: the VAPID key every process shares, the subscriptions people register, and
delivering the pushes the notifier queued (models/outbox.py, channel "push")."""

from __future__ import annotations

from bson import ObjectId

from config import Settings
from hypee.db import Store
from hypee.mail.transport import DeliveryFailed
from hypee.push.webpush import PushGone, WebPush, load_vapid, new_vapid_pem
from models import outbox, push_subscriptions, server_keys

VAPID_KEY = "vapid"


class PushService:
    """Subscriptions and sending. `sender` is None until `start()` has the VAPID key."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.db = store.db
        self.settings = settings
        self.sender: WebPush | None = None

    async def start(self) -> None:
        """Load the VAPID key: the setting's, or the one kept in the store (made the first
        time)."""
        key = self.settings.vapid_private_key or await server_keys.get_or_make(
            self.db, VAPID_KEY, new_vapid_pem
        )
        self.sender = WebPush(load_vapid(key), self.settings.vapid_subject)

    async def subscribe(
        self, user_id: ObjectId, endpoint: str, keys: dict[str, str]
    ) -> push_subscriptions.SubscriptionDocument:
        return await push_subscriptions.subscribe(self.db, user_id, endpoint, keys)

    async def deliver(self, entry: outbox.OutboxDocument) -> None:
        """Send one queued push; a subscription the push service no longer knows is deleted."""
        if self.sender is None:
            raise DeliveryFailed("Web Push is not started yet", transient=True)
        subscription = await push_subscriptions.get(self.db, entry["subscription_id"])
        if subscription is None:
            return  # unsubscribed since: nothing to deliver
        payload = entry["payload"]
        try:
            await self.sender.send(
                subscription["endpoint"], subscription["keys"], payload, payload["tag"]
            )
        except PushGone:
            await push_subscriptions.gone(self.db, subscription["_id"])
            raise
