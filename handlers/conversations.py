"""Conversations and messages over REST; sends go through services/messages.py, as on the socket."""

from __future__ import annotations

import re

from bson import ObjectId

from handlers.base import BaseHandler
from handlers.common import require_may_reach_out
from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from hypee.fields import ObjectIdField
from hypee.openapi import Operation
from hypee.pagination import Page
from hypee.paging import PageQuerySchema, page_schema
from models import blocks, conversations, message_schemas, messages
from models.message_schemas import MessageView

ConversationPageSchema = page_schema(conversations.ConversationSchema, "ConversationPage")


class InboxQuerySchema(PageQuerySchema):
    with_ = ObjectIdField(
        data_key="with",
        metadata={
            "description": "Only the direct conversation with this user, if there is one (no "
            "result otherwise): a client looks before writing a first message."
        },
    )


MessagePageSchema = page_schema(message_schemas.MessageSchema, "MessagePage")


_SEQ = re.compile(r"[0-9]{1,18}")


def _seq(value: str) -> int:
    """A message seq from the URL: ASCII digits only ("³" or "١٢" are digits to Python)."""
    if not _SEQ.fullmatch(value):
        raise not_found("message")
    return int(value)


async def fold_blocked(
    db: DocumentDatabase, reader_id: ObjectId, views: list[MessageView]
) -> list[MessageView]:
    """`views` with those from people the reader blocked marked `from_blocked`."""
    blocked = await blocks.blocked_by_user(db, reader_id)
    if not blocked:
        return views
    return [
        {**view, "from_blocked": True} if ObjectId(view["sender_id"]) in blocked else view
        for view in views
    ]


class ConversationListHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "The caller's inbox, newest activity first",
            query=InboxQuerySchema,
            response=ConversationPageSchema,
        ),
        "POST": Operation(
            "Open a conversation",
            body=conversations.NewConversationSchema,
            response=conversations.ConversationSchema,
            status=201,
            errors=(403, 429, 503),
            description="With exactly one other participant it is a direct conversation: asking "
            "again returns the existing one with 200. Unknown participant ids are 400. With a "
            "first `message`, 503 `busy` (see Retry-After) when the server is shedding load. "
            "403 `email_unverified` when this deployment requires a verified email address "
            "(HYPEE_REQUIRE_VERIFIED_EMAIL) and the caller's is not.",
        ),
    }

    async def get(self) -> None:
        params = self.load_query(InboxQuerySchema)
        if "with_" in params:
            found = await conversations.direct_between(self.db, self.user_id, params["with_"])
            page = Page([found] if found else [], None)
        else:
            page = await conversations.inbox(
                self.db, self.user_id, params["limit"], params.get("cursor")
            )
        people = await conversations.people_of(self.db, page.items)
        results = [conversations.view(c, self.user_id, people) for c in page.items]
        self.write_page(results, page.next_cursor)

    async def post(self) -> None:
        data = self.load_body(conversations.NewConversationSchema)
        await require_may_reach_out(self.services, self.user_id)
        conversation, created = await self.services.conversations.open(self.user_id, data)
        people = await conversations.people_of(self.db, [conversation])
        self.write_json(
            conversations.view(conversation, self.user_id, people), 201 if created else 200
        )


class ConversationViewHandler(BaseHandler):
    """Answers with the conversation as the caller sees it (after a change, or on GET)."""

    async def render_conversation(self, cid: ObjectId) -> None:
        conversation = await conversations.for_member(self.db, cid, self.user_id)
        people = await conversations.people_of(self.db, [conversation])
        self.write_json(conversations.view(conversation, self.user_id, people))


class ConversationHandler(ConversationViewHandler):
    docs = {
        "GET": Operation("A conversation", response=conversations.ConversationSchema),
        "PATCH": Operation(
            "Rename a group",
            body=conversations.RenameSchema,
            response=conversations.ConversationSchema,
            description="Any member may rename a group; a `renamed` system message records it. "
            "A direct conversation has no title: 400.",
        ),
    }

    async def get(self, conversation_id: str) -> None:
        await self.render_conversation(self.path_id(conversation_id, "conversation"))

    async def patch(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        data = self.load_body(conversations.RenameSchema)
        await self.services.conversations.rename(cid, self.user_id, data["title"])
        await self.render_conversation(cid)


class MembersHandler(ConversationViewHandler):
    docs = {
        "POST": Operation(
            "Add people to a group",
            body=conversations.MembersSchema,
            response=conversations.ConversationSchema,
            description="Any member may add people (those already in are ignored); a "
            "`members_added` system message records it, and they get the conversation. A direct "
            "conversation keeps its two participants: 400.",
        )
    }

    async def post(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        data = self.load_body(conversations.MembersSchema)
        await self.services.conversations.add_members(cid, self.user_id, data["user_ids"])
        await self.render_conversation(cid)


class MemberHandler(BaseHandler):
    docs = {
        "DELETE": Operation(
            "Leave a group, or remove someone from it",
            response=None,
            errors=(403,),
            description="Anyone may leave (their own id); only the group's creator may remove "
            "others. A `member_left` or `member_removed` system message records it; from then "
            "on the conversation is a 404 to them and their sockets get nothing more from it.",
        )
    }

    async def delete(self, conversation_id: str, user_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        member = self.path_id(user_id, "member")
        await self.services.conversations.remove_member(cid, self.user_id, member)
        self.no_content()


class MessageListHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "A page of messages, in ascending seq",
            query=message_schemas.HistoryQuerySchema,
            response=MessagePageSchema,
            description="`before` pages back through history (the default starts at the newest "
            "message); `after` catches up. Follow `next_cursor` to continue in the same direction.",
        ),
        "POST": Operation(
            "Send a message",
            body=message_schemas.NewMessageSchema,
            response=message_schemas.MessageSchema,
            status=201,
            errors=(409, 429, 503),
            description="The same client_id sent again returns the stored message with 200. "
            "503 `busy` with Retry-After: the server is shedding load; send it again then.",
        ),
    }

    async def get(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        params = self.load_query(message_schemas.HistoryQuerySchema)
        page = await messages.history(self.db, cid, self.user_id, params)
        self.write_page(await fold_blocked(self.db, self.user_id, page.items), page.next_cursor)

    async def post(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        data = self.load_body(message_schemas.NewMessageSchema)
        stored = await self.services.messages.send(cid, self.user_id, data)
        self.write_json(stored.message, 201 if stored.created else 200)


class ChangesHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "The messages changed after a rev, in rev order",
            query=message_schemas.ChangesQuerySchema,
            response=MessagePageSchema,
            errors=(410,),
            description="Every message stored, edited or deleted after `after_rev` (each once, "
            "in its current state), paged in `rev` order: apply them and remember the last "
            "`rev`. 410 `stale`: this conversation never reached `after_rev` (the server's "
            "data was restored from a backup, say): fetch the conversation anew.",
        )
    }

    async def get(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        params = self.load_query(message_schemas.ChangesQuerySchema)
        page = await messages.changes(self.db, cid, self.user_id, params)
        self.write_page(await fold_blocked(self.db, self.user_id, page.items), page.next_cursor)


class MessageHandler(BaseHandler):
    docs = {
        "PATCH": Operation(
            "Edit one of your messages",
            body=message_schemas.EditMessageSchema,
            response=message_schemas.MessageSchema,
            errors=(403, 409),
        ),
        "DELETE": Operation(
            "Delete one of your messages",
            response=None,
            errors=(403, 409),
            description="The message stays with `deleted: true`, an empty body, no attachments.",
        ),
    }

    async def patch(self, conversation_id: str, seq: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        data = self.load_body(message_schemas.EditMessageSchema)
        view = await self.services.messages.edit(cid, self.user_id, _seq(seq), data["body"])
        self.write_json(view)

    async def delete(self, conversation_id: str, seq: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        await self.services.messages.delete(cid, self.user_id, _seq(seq))
        self.no_content()


class ReadHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Mark the conversation read up to a seq",
            body=conversations.ReadMarkerSchema,
            response=None,
            description="The marker never moves backwards; others get a `read` event.",
        )
    }

    async def post(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        data = self.load_body(conversations.ReadMarkerSchema)
        await self.services.conversations.mark_read(cid, self.user_id, data["seq"])
        self.no_content()
