"""Deleting an account: every login ends at once, and only an anonymous name remains.

In one unit of work: the account is anonymized (models/users.py: "Deleted user", no address,
password, avatar, mentor profile, settings or points; the address can register again), its
logins, blocks, availability, points history, notifications, push subscriptions, scheduled
work, queued emails and export go; its open mentorships close (requests withdrawn or
declined, mentorships ended, sessions to come cancelled, the other side told); with
`erase_messages`, each message it wrote becomes a deletion. The others keep their
conversations and the forum keeps its posts, shown as by "Deleted user". Once it commits:
its sockets close on every process, the other participants of conversations whose messages
were erased get a `resync` (their clients resume and see the deletions), and stored files
(avatar, erased attachments, the export) are removed.
"""

from __future__ import annotations

from bson import ObjectId

from hypee.db import Store
from hypee.errors import unauthorized
from hypee.realtime.hub import CLOSE_UNAUTHORIZED, Hub
from hypee.storage import Storage
from hypee.units import retry_transient
from models import (
    account_tokens,
    availability,
    blocks,
    conversations,
    exports,
    jobs,
    mentor_record,
    messages,
    notifications,
    outbox,
    points,
    push_subscriptions,
    sessions,
    users,
)
from services.attachments import AttachmentService
from services.credentials import Credentials
from services.mentorships import Mentorships


class AccountDeletion:
    """`DELETE /api/me` (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        credentials: Credentials,
        attachments: AttachmentService,
        storage: Storage,
        mentorships: Mentorships,
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.credentials = credentials
        self.attachments = attachments
        self.storage = storage
        self.mentorships = mentorships

    async def delete(self, user_id: ObjectId, password: str, erase_messages: bool) -> None:
        """Delete the caller's account once `password` is proven (400 naming `password`)."""
        await self.credentials.proven(user_id, password, "password")
        files, export_key, erased_in = await self._delete(user_id, erase_messages)
        await self.hub.close_user(user_id, CLOSE_UNAUTHORIZED, "account deleted")
        for conversation_id in erased_in:
            # One frame per conversation, not one per erased message: the others' clients
            # resume, and get the deletions as changes.
            people = await conversations.participants(self.db, conversation_id)
            await self.hub.publish(people, {"type": "resync"}, conversation_id=conversation_id)
        await self.attachments.discard(files)
        if export_key:
            await self.storage.delete(export_key)

    @retry_transient
    async def _delete(
        self, user_id: ObjectId, erase_messages: bool
    ) -> tuple[list[ObjectId], str | None, set[ObjectId]]:
        """The unit of work: (uploads to remove, the export file to remove, the
        conversations whose messages were erased)."""
        async with self.store.atomic():
            before = await users.anonymize(self.db, user_id)
            if before is None:
                raise unauthorized("This account no longer exists.")
            await sessions.revoke_all_of(self.db, user_id, "account deleted")
            for purpose in (account_tokens.VERIFY_EMAIL, account_tokens.RESET_PASSWORD):
                await account_tokens.revoke_all(self.db, user_id, purpose)
            await blocks.remove_all_of(self.db, user_id)
            await self.mentorships.close_all(user_id)
            await availability.forget(self.db, user_id)
            await mentor_record.forget(self.db, user_id)
            await conversations.mirror_standing(
                self.db, user_id, {"$set": {"deleted": True}, "$unset": {"suspension": ""}}
            )
            await points.forget(self.db, user_id)
            await notifications.forget(self.db, user_id)
            await push_subscriptions.forget(self.db, user_id)
            await jobs.forget(self.db, user_id)
            await outbox.forget_queued(self.db, user_id)
            export = await exports.forget(self.db, user_id)
            files = [avatar] if (avatar := users.avatar_upload_id(before)) else []
            erased_in: set[ObjectId] = set()
            if erase_messages:
                for message in await messages.sent_by(self.db, user_id):
                    files += [ObjectId(a["id"]) for a in message.get("attachments", [])]
                    if not message.get("deleted"):
                        await messages.erase(self.db, message)
                        erased_in.add(message["conversation_id"])
        return files, (export or {}).get("key"), erased_in
