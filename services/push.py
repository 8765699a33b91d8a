"""Web Push: the VAPID key every process shares, the subscriptions people register, and
delivering the pushes the notifier queued (models/outbox.py, channel "push")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import ObjectId

from config import Settings
from hypee.db import Store
from hypee.mail.transport import DeliveryFailed
from hypee.push.webpush import PushGone, WebPush, load_vapid, new_vapid_pem
from hypee.units import retry_transient
from models import jobs, outbox, push_subscriptions, server_keys
from services import recipients
from services.push_payloads import held_summary

VAPID_KEY = "vapid"


class PushService:
    """Subscriptions and sending. `sender` is None until `start()` has the VAPID key."""

    def __init__(self, store: Store, settings: Settings, wake: Callable[[], None]) -> None:
        self.wake = wake  # the due-work loop: pushes queued here leave once committed
        self.store = store
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

    async def send_held(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        """Quiet hours ended: the pushes they held for the person go as one (the push itself
        when only one was held), to each of their subscriptions (jobs of kind "held_push")."""
        found = await recipients.ready(self.db, job)
        if found is None:
            return
        user, settings = found
        batch = [job, *await jobs.claim_more(self.db, owner, jobs.HELD_PUSH, user["_id"])]
        payloads = [held["data"]["payload"] for held in batch]
        payload = (
            payloads[0] if len(payloads) == 1 else held_summary(payloads, settings["language"])
        )
        await self._queue_held(user["_id"], batch, payload)

    @retry_transient
    async def _queue_held(
        self, user_id: ObjectId, batch: list[jobs.JobDocument], payload: dict[str, Any]
    ) -> None:
        async with self.store.atomic() as unit:
            for held in batch:
                await jobs.done(self.db, held)
            subscriptions = await push_subscriptions.listing(self.db, user_id)
            await outbox.add_pushes(self.db, user_id, [s["_id"] for s in subscriptions], payload)
            unit.on_commit(self.wake)
