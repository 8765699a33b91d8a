"""Conversations as events: opening one, read markers, and presence among their participants."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.realtime.hub import Hub
from models import conversations, notifications
from services.messages import MessageService
from services.notifier import Notifier


class ConversationService:
    """Opens conversations and moves read markers, telling the participants' sockets."""

    def __init__(
        self, store: Store, hub: Hub, messages: MessageService, notifier: Notifier
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.messages = messages
        self.notifier = notifier

    async def open(self, creator_id: ObjectId, data: dict[str, Any]) -> tuple[dict, bool]:
        """Open a conversation from loaded NewConversationSchema `data`, sending its optional
        first message: (the conversation as stored now, created).

        A new one is announced to every participant's sockets (`conversation`), and the others
        get a `new_conversation` notification. Asking again for a direct one returns it.
        """
        async with self.store.atomic():
            conversation, created = await conversations.create(self.db, creator_id, data)
            fresh = await self._notify(conversation, creator_id) if created else []
        cid = conversation["_id"]
        if created:
            await self._announce(conversation, creator_id)
            await self.notifier.push(fresh)
        if "message" in data:
            await self.messages.send(cid, creator_id, {**data["message"], "attachments": []})
        return await conversations.for_member(self.db, cid, creator_id), created

    async def _announce(self, conversation: dict[str, Any], creator_id: ObjectId) -> None:
        people = await conversations.people_of(self.db, [conversation])
        view = conversations.view(conversation, creator_id, people)
        await self.hub.publish(
            conversation["participants"], {"type": "conversation", "conversation": view}
        )

    async def _notify(self, conversation: dict[str, Any], creator_id: ObjectId) -> list[dict]:
        data = {
            "conversation_id": str(conversation["_id"]),
            "kind": conversation["kind"],
            "title": conversation.get("title"),
            "created_by": str(creator_id),
        }
        return [
            await self.notifier.notify(other, "new_conversation", data)
            for other in conversation["participants"]
            if other != creator_id
        ]

    async def mark_read(self, conversation_id: ObjectId, user_id: ObjectId, seq: int) -> int:
        """Move the caller's read marker forward to `seq` (never back, never past the last
        message). The other participants get a `read` event when it moved; reading to the end
        marks the conversation's `new_message` notification read. Returns the marker."""
        async with self.store.atomic():
            marker, moved, conversation = await conversations.advance_read_marker(
                self.db, conversation_id, user_id, seq
            )
            if min(seq, conversation["seq"]) == conversation["seq"]:
                run = conversations.run_of(conversation, user_id)
                await notifications.conversation_read(self.db, user_id, conversation_id, run)
        if moved:
            await self.hub.publish(
                conversation["participants"],
                {
                    "type": "read",
                    "conversation_id": str(conversation_id),
                    "user_id": str(user_id),
                    "seq": marker,
                },
                conversation_id=conversation_id,
                exclude_user=user_id,
            )
        return marker

    async def announce_presence(self, user_id: ObjectId, online: bool) -> None:
        """Tell the people who share a conversation with `user_id` that it came online or left
        (the hub calls this when a user's first socket opens or last one closes)."""
        await self.hub.publish(
            await conversations.peers(self.db, user_id),
            {"type": "presence", "user_id": str(user_id), "online": online},
        )
