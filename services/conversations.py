"""Conversations as events: opening one, group membership and titles, read markers, and
presence among their participants.

Each change of a group is one unit of work that also stores a system message (`kind:
"system"`, its `event` saying what happened), so every member's history and sockets show the
changes in order with the messages. A member who leaves or is removed gets that system
message, then nothing more from the conversation: their `/ws/chat/{id}/` sockets close with
4404 and REST answers 404.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.dbapi import DocumentDatabase
from hypee.errors import forbidden, not_found
from hypee.realtime.hub import CLOSE_NOT_PARTICIPANT, Hub
from hypee.units import retry_transient
from models import conversations, mentors, notifications, users
from services import reach
from services.messages import MessageService
from services.notifier import Notifier


class ConversationService:
    """Opens conversations and moves read markers, telling the participants' sockets."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        messages: MessageService,
        notifier: Notifier,
        new_conversations_per_day: int,
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.messages = messages
        self.notifier = notifier
        self.new_conversations_per_day = new_conversations_per_day

    @retry_transient
    async def open(self, creator_id: ObjectId, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Open a conversation from loaded NewConversationSchema `data`, sending its optional
        first message: (the conversation as stored now, created).

        A new one is announced to every participant's sockets (`conversation`), and the others
        get a `new_conversation` notification. Asking again for a direct one returns it.
        Refused as `reach.may_open` says (suspended, blocked, the new-account limit).
        """
        async with self.store.atomic() as unit:
            limit = self.new_conversations_per_day
            await reach.may_open(self.db, creator_id, data["participant_ids"], limit)
            conversation, created = await conversations.create(self.db, creator_id, data)
            if created:
                await _await_mentor_reply(self.db, conversation, creator_id, data)
                await self._notify(conversation, creator_id)
                unit.on_commit(lambda: self._announce(conversation, creator_id))
                unit.on_commit(lambda: self._share_presence(conversation["participants"]))
        cid = conversation["_id"]
        if "message" in data:
            await self.messages.send(cid, creator_id, {**data["message"], "attachments": []})
        return await conversations.for_member(self.db, cid, creator_id), created

    async def _share_presence(
        self, participants: list[ObjectId], newcomers: list[ObjectId] | None = None
    ) -> None:
        """People who now share a conversation learn who of them is online (presence frames
        otherwise only come when someone connects or leaves). With `newcomers`, only the pairs
        that include one of them."""
        online = set(await self.hub.online(participants))
        for user_id in participants:
            for other in await reach.unblocked(self.db, user_id, list(online)):
                is_new = newcomers is None or user_id in newcomers or other in newcomers
                if other != user_id and is_new:
                    frame = {"type": "presence", "user_id": str(other), "online": True}
                    await self.hub.publish([user_id], frame)

    async def _announce(self, conversation: dict[str, Any], creator_id: ObjectId) -> None:
        people = await conversations.people_of(self.db, [conversation])
        view = conversations.view(conversation, creator_id, people)
        await self.hub.publish(
            conversation["participants"], {"type": "conversation", "conversation": view}
        )

    async def _notify(self, conversation: dict[str, Any], creator_id: ObjectId) -> None:
        data = _opened(conversation, await users.display_name(self.db, creator_id))
        for other in conversation["participants"]:
            if other != creator_id:
                await self.notifier.notify(other, "new_conversation", data, actor_id=creator_id)

    # -- groups --------------------------------------------------------------------------------

    @retry_transient
    async def add_members(
        self, conversation_id: ObjectId, actor_id: ObjectId, user_ids: list[ObjectId]
    ) -> None:
        """Any member adds people to a group; they get the conversation (`conversation`) and a
        `new_conversation` notification, everyone the system message."""
        async with self.store.atomic() as unit:
            conversation = await conversations.group_of(self.db, conversation_id, actor_id)
            await reach.refuse_blocked(self.db, actor_id, user_ids)
            added = await conversations.add_members(self.db, conversation, user_ids)
            if not added:
                return
            names = await self._names([actor_id, *added])
            body = f"{names[actor_id]} added {_listed([names[u] for u in added])}"
            event = {"type": "members_added", "user_ids": [str(u) for u in added]}
            await self.messages.post_system(conversation_id, actor_id, event, body)
            conversation = await conversations.for_member(self.db, conversation_id, actor_id)
            opened = _opened(conversation, names[actor_id])
            for user_id in added:
                await self.notifier.notify(user_id, "new_conversation", opened, actor_id=actor_id)
            unit.on_commit(lambda: self._welcome(conversation, added))
            unit.on_commit(lambda: self._share_presence(conversation["participants"], added))

    async def _welcome(self, conversation: dict[str, Any], added: list[ObjectId]) -> None:
        """People added to a group get the conversation on their sockets."""
        people = await conversations.people_of(self.db, [conversation])
        for user_id in added:
            view = conversations.view(conversation, user_id, people)
            await self.hub.publish([user_id], {"type": "conversation", "conversation": view})

    @retry_transient
    async def remove_member(
        self, conversation_id: ObjectId, actor_id: ObjectId, user_id: ObjectId
    ) -> None:
        """A member leaves a group, or its creator removes someone (403 for anyone else)."""
        async with self.store.atomic() as unit:
            conversation = await conversations.group_of(self.db, conversation_id, actor_id)
            leaving = user_id == actor_id
            if not leaving and conversation["created_by"] != actor_id:
                raise forbidden("Only the group's creator can remove others; anyone can leave.")
            audience = list(conversation["participants"])
            if user_id not in audience:
                raise not_found("member")
            names = await self._names([actor_id, user_id])
            if leaving:
                event, body = "member_left", f"{names[user_id]} left"
            else:
                event, body = "member_removed", f"{names[actor_id]} removed {names[user_id]}"
            await self.messages.post_system(
                conversation_id, actor_id, {"type": event, "user_ids": [str(user_id)]}, body
            )
            await conversations.remove_member(self.db, conversation_id, user_id)
            unit.on_commit(
                lambda: self.hub.close_scope(user_id, conversation_id, CLOSE_NOT_PARTICIPANT)
            )

    @retry_transient
    async def rename(self, conversation_id: ObjectId, actor_id: ObjectId, title: str) -> None:
        """Any member renames a group."""
        async with self.store.atomic():
            await conversations.group_of(self.db, conversation_id, actor_id)
            await conversations.rename(self.db, conversation_id, title)
            names = await self._names([actor_id])
            event = {"type": "renamed", "title": title}
            body = f"{names[actor_id]} renamed the group to {title}"
            await self.messages.post_system(conversation_id, actor_id, event, body)

    async def _names(self, user_ids: list[ObjectId]) -> dict[ObjectId, str]:
        people = await users.public_users(self.db, user_ids)
        return {u: people[u]["display_name"] if u in people else "Someone" for u in user_ids}

    # -- reading ---------------------------------------------------------------------------

    @retry_transient
    async def mark_read(self, conversation_id: ObjectId, user_id: ObjectId, seq: int) -> int:
        """Move the caller's read marker forward to `seq` (never back, never past the last
        message). The other participants get a `read` event when it moved; reading to the end
        marks the conversation's `new_message` notification read. Returns the marker."""
        async with self.store.atomic() as unit:
            marker, moved, conversation = await conversations.advance_read_marker(
                self.db, conversation_id, user_id, seq
            )
            if min(seq, conversation["seq"]) == conversation["seq"]:
                run = conversations.run_of(conversation, user_id)
                await notifications.conversation_read(self.db, user_id, conversation_id, run)
            if moved:
                frame = {
                    "type": "read",
                    "conversation_id": str(conversation_id),
                    "user_id": str(user_id),
                    "seq": marker,
                }
                audience = await reach.unblocked(self.db, user_id, conversation["participants"])
                unit.on_commit(
                    lambda: self.hub.publish(
                        audience, frame, conversation_id=conversation_id, exclude_user=user_id
                    )
                )
        return marker

    async def typing(
        self, conversation_id: ObjectId, user_id: ObjectId, participants: list[ObjectId]
    ) -> None:
        """`user_id` is typing in the conversation: its other participants' sockets are told
        (nothing is stored: typing is only ever live)."""
        await self.hub.publish(
            await reach.unblocked(self.db, user_id, participants),
            {"type": "typing", "conversation_id": str(conversation_id), "user_id": str(user_id)},
            conversation_id=conversation_id,
            exclude_user=user_id,
        )

    async def announce_presence(self, user_id: ObjectId, online: bool) -> None:
        """Tell the people who share a conversation with `user_id` that it came online or left
        (the hub calls this when a user's first socket opens or last one closes)."""
        peers = await conversations.peers(self.db, user_id)
        await self.hub.publish(
            await reach.unblocked(self.db, user_id, peers),
            {"type": "presence", "user_id": str(user_id), "online": online},
        )


def _listed(names: list[str]) -> str:
    """ "Bob", "Bob and Carol", "Bob, Carol and Dan"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


async def _await_mentor_reply(
    db: DocumentDatabase, conversation: dict[str, Any], creator_id: ObjectId, data: dict[str, Any]
) -> None:
    """Someone opens a direct conversation with a first message to a mentor: the time the
    mentor takes to reply counts in their responsiveness (MessageService records it)."""
    if conversation["kind"] != "direct" or "message" not in data:
        return
    other = next(p for p in conversation["participants"] if p != creator_id)
    if await mentors.get_mentor(db, other) is not None:
        await conversations.await_reply(db, conversation["_id"], other, clock.now())


def _opened(conversation: dict[str, Any], actor_name: str) -> dict[str, Any]:
    """A `new_conversation` notification's data; `actor_name` opened it (or added you)."""
    return {
        "conversation_id": str(conversation["_id"]),
        "kind": conversation["kind"],
        "title": conversation.get("title"),
        "created_by": str(conversation["created_by"]),
        "actor_name": actor_name,
    }
