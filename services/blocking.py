"""Blocking people and muting conversations: what one person decides for themselves.

A block's effects are checked where things pass between people (services/messages.py,
conversations.py, notifier.py, the socket's presence), so a block acts from its commit on.
Once it commits, each of the two stops seeing the other online.
"""

from __future__ import annotations

from bson import ObjectId

from hypee.db import Store
from hypee.errors import field_error, not_found
from hypee.realtime.hub import Hub
from hypee.units import retry_transient
from models import blocks, conversations, users


class Blocking:
    """Blocks and mutes (see the module docstring)."""

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub

    @retry_transient
    async def block(self, blocker_id: ObjectId, blocked_id: ObjectId) -> bool:
        """`blocker_id` blocks `blocked_id` (404 for no such person): True when it is new."""
        if blocker_id == blocked_id:
            raise field_error("user_id", "You cannot block yourself.")
        async with self.store.atomic() as unit:
            person = await users.get_user(self.db, blocked_id)
            if person is None or person.get("deleted_at") is not None:
                raise not_found("user")
            created = await blocks.block(self.db, blocker_id, blocked_id)
            if created:
                unit.on_commit(lambda: self._vanish(blocker_id, blocked_id))
        return created

    async def _vanish(self, a: ObjectId, b: ObjectId) -> None:
        """Each of two people who now have a block sees the other offline."""
        for viewer, other in ((a, b), (b, a)):
            frame = {"type": "presence", "user_id": str(other), "online": False}
            await self.hub.publish([viewer], frame)

    @retry_transient
    async def unblock(self, blocker_id: ObjectId, blocked_id: ObjectId) -> None:
        """Lift a block (404 when there was none)."""
        async with self.store.atomic():
            if not await blocks.unblock(self.db, blocker_id, blocked_id):
                raise not_found("block")

    @retry_transient
    async def mute(self, conversation_id: ObjectId, user_id: ObjectId, muted: bool) -> None:
        """Mute or unmute a conversation for its member `user_id` (404 otherwise)."""
        async with self.store.atomic():
            await conversations.set_muted(self.db, conversation_id, user_id, muted)
