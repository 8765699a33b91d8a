"""Sending, editing and deleting messages: where a message is stored and fanned out.

REST (`POST .../messages/`, a new conversation's first message) and the WebSocket `message`
frame all call `MessageService.send`, which runs, in this order:

1. admission: past HYPEE_MAX_SENDS_IN_FLIGHT sends in flight in this process, 503 `busy` at
   once (hypee/admission.py); a client id the sender already used is answered from the store;
   then the sender's rate limit (429 past HYPEE_SEND_RATE_PER_10S);
2. the attachments, verified with storage and reserved (given back if the message is not
   stored);
3. one unit of work (one transaction on the embedded engine): the attachments attached, the
   message stored (models/messages.py: the seq is assigned, the sender's read marker moved);
   the sender's standing, which the conversation it just updated keeps (users.mirrored), undoes
   it when the sender is suspended (403 `suspended`) or, in a direct conversation, has a block
   either way (403 `blocked`); the recipients' coalesced `new_message` notifications kept
   (none for those who muted the conversation or have a block with the sender);
4. once that is committed: the metric, then `ack(view)` to the caller (the sending socket's
   `ack` frame);
5. the fan-out of a `message` event to every socket of every participant but `origin` (those
   who blocked the sender in a group get it marked `from_blocked`), and of the new
   notifications.

Checking suspension and blocks on the conversation document the send updates costs no read,
and is exact: a suspension or a block writes the same documents, so a send that commits after
one was answered sees it (on MongoDB the two transactions conflict, and one is retried).

A replayed client id returns the stored message (acked, not fanned out again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.admission import SendAdmission
from hypee.db import Store
from hypee.errors import ApiError
from hypee.jsonio import utcnow
from hypee.metrics import Metrics
from hypee.realtime.hub import Hub
from hypee.units import current_unit, retry_transient
from models import conversations, mentor_record, messages, uploads, users
from models.message_schemas import MessageView
from models.messages import Stored
from services.attachments import AttachmentService
from services.notifier import Notifier

Ack = Callable[[MessageView], object]


class MessageService:
    """The one path of every message send, edit and delete (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        attachments: AttachmentService,
        notifier: Notifier,
        metrics: Metrics,
        admission: SendAdmission,
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.attachments = attachments
        self.notifier = notifier
        self.metrics = metrics
        self.admission = admission

    async def send(
        self,
        conversation_id: ObjectId,
        sender_id: ObjectId,
        data: dict[str, Any],
        *,
        ack: Ack | None = None,
        origin: object = None,
    ) -> Stored:
        """Send loaded NewMessageSchema `data` from `sender_id`; `origin` is the sending socket,
        which gets `ack` instead of the `message` event. A retry of a stored client id is
        answered from the store before any limit counts it."""
        with self.admission.slot():
            client_id = data["client_id"]
            replayed = await messages.sent_before(self.db, conversation_id, sender_id, client_id)
            if replayed is not None:
                if ack is not None:
                    ack(replayed)  # stored before: answered again, not fanned out again
                return Stored(replayed, False, [])
            await self.admission.check_rate(str(sender_id))
            return await self._store(conversation_id, sender_id, data, ack, origin)

    @retry_transient
    async def _store(
        self,
        conversation_id: ObjectId,
        sender_id: ObjectId,
        data: dict[str, Any],
        ack: Ack | None,
        origin: object,
    ) -> Stored:
        """Store the message with its attachments and the recipients' notifications in one
        unit of work; once it commits: the metric, the `ack`, the fan-out (and the
        notifications' push, which the notifier registered). Uploads are verified (a call to
        storage, so outside the unit) and attached with the message; if it is not stored (an
        error, or a concurrent send of the same client id) they are given back untouched."""
        claimed: list[dict[str, Any]] = []
        if data["attachments"]:
            claimed = await self.attachments.claim(
                sender_id, data["attachments"], conversation_id=conversation_id
            )
        ids = [upload["_id"] for upload in claimed]
        views = [uploads.attachment_view(upload) for upload in claimed]
        message = messages.new_message(sender_id, data, views)
        try:
            async with self.store.atomic() as unit:
                if ids:
                    await self.attachments.attach(
                        ids, conversation_id=conversation_id, owner_id=message["_id"]
                    )
                stored = await messages.store(self.db, conversation_id, message, checked=True)
                if stored.created:
                    relations = self._relations(stored)
                    unit.on_commit(self.metrics.messages_stored.inc)
                if ack is not None:
                    unit.on_commit(lambda: ack(stored.message))
                if stored.created:
                    unit.on_commit(
                        lambda: self._fan_out(conversation_id, stored, relations.blocked_by, origin)
                    )
                    since = stored.sender_standing.get("awaiting_reply_since")
                    if since is not None:
                        await self._replied(conversation_id, sender_id, since)
                    quiet = relations.either | set(stored.muted_by)
                    others = [p for p in stored.participants if p != sender_id and p not in quiet]
                    await self.notifier.message_stored(others, stored.message)
                elif ids:
                    await self.attachments.release(ids, message["_id"])
        except BaseException:
            if ids:
                await self.attachments.give_back(ids, message["_id"])
            raise
        return stored

    async def _replied(
        self, conversation_id: ObjectId, mentor_id: ObjectId, since: datetime
    ) -> None:
        """A mentor's first reply to a mentee's first message: a responsiveness sample."""
        now = clock.now()
        await conversations.replied(self.db, conversation_id, mentor_id)
        sample = {"at": now, "seconds": max(0, int((now - since).total_seconds()))}
        await mentor_record.add_sample(self.db, mentor_id, "replies", sample)

    @staticmethod
    def _relations(stored: Stored) -> users.Relations:
        """The sender's standing, as the conversation it just updated keeps it: 403
        `suspended` (401 for a deleted account), or the blocks between the sender and the
        other participants, with 403 `blocked` in a direct conversation with one either way
        (each undoes the unit)."""
        users.check_standing(stored.sender_standing)
        relations = users.relations_of(stored.sender_standing, stored.participants)
        if stored.kind == "direct" and relations.either:
            if relations.blocked:
                raise ApiError(
                    "blocked", "You blocked this person: unblock them to write to them again."
                )
            raise ApiError("blocked", "You cannot send messages in this conversation.")
        return relations

    async def _fan_out(
        self,
        conversation_id: ObjectId,
        stored: Stored,
        folding: set[ObjectId],
        origin: object,
    ) -> None:
        """The `message` event to every participant's sockets; those in `folding` (they
        blocked the sender) get it marked `from_blocked`."""
        frame = {"type": "message", "message": stored.message}
        audience = [p for p in stored.participants if p not in folding]
        await self.hub.publish(audience, frame, conversation_id=conversation_id, exclude=origin)
        if folding:
            folded = {"type": "message", "message": {**stored.message, "from_blocked": True}}
            await self.hub.publish(folding, folded, conversation_id=conversation_id)

    async def post_system(
        self, conversation_id: ObjectId, actor_id: ObjectId, event: dict[str, Any], body: str
    ) -> Stored:
        """Store a system message (a change of the group by `actor_id`) in the caller's unit of
        work; every participant's sockets get it once that commits."""
        message = messages.system_message(actor_id, event, body)
        stored = await messages.store(self.db, conversation_id, message, checked=True)
        frame = {"type": "message", "message": stored.message}
        current_unit().on_commit(
            lambda: self.hub.publish(stored.participants, frame, conversation_id=conversation_id)
        )
        return stored

    @retry_transient
    async def edit(
        self, conversation_id: ObjectId, user_id: ObjectId, seq: int, body: str
    ) -> MessageView:
        """Replace the body of the caller's message `seq`; participants get `message_updated`."""
        async with self.store.atomic() as unit:
            changed = await messages.change_own(
                self.db, conversation_id, user_id, seq, {"body": body, "edited_at": utcnow()}
            )
            unit.on_commit(lambda: self._updated(conversation_id, changed))
        return changed.view

    @retry_transient
    async def delete(self, conversation_id: ObjectId, user_id: ObjectId, seq: int) -> None:
        """Soft-delete the caller's message `seq`: it stays, with an empty body, no attachments
        and `deleted` set; its attachments are removed from storage."""
        changes = {"deleted": True, "body": "", "attachments": []}
        async with self.store.atomic() as unit:
            changed = await messages.change_own(self.db, conversation_id, user_id, seq, changes)
            attached = [ObjectId(a["id"]) for a in changed.before.get("attachments", [])]
            unit.on_commit(lambda: self._updated(conversation_id, changed))
            unit.on_commit(lambda: self.attachments.discard(attached))

    async def _updated(self, conversation_id: ObjectId, changed: messages.Changed) -> None:
        await self.hub.publish(
            changed.participants,
            {"type": "message_updated", "message": changed.view},
            conversation_id=conversation_id,
        )
