"""What each person decides for their own safety: blocks, muted conversations, reports."""

from __future__ import annotations

from marshmallow import Schema, fields

from handlers.base import BaseHandler
from handlers.common import require_may_reach_out
from hypee.errors import not_found
from hypee.openapi import Operation
from models import blocks, conversations, reports

BlockListSchema = Schema.from_dict(
    {"results": fields.List(fields.Nested(blocks.BlockSchema), required=True)},
    name="BlockList",
)
MutedListSchema = Schema.from_dict(
    {"results": fields.List(fields.Nested(conversations.ConversationSchema), required=True)},
    name="MutedList",
)


class BlockListHandler(BaseHandler):
    docs = {
        "GET": Operation("The people the caller blocked, newest first", response=BlockListSchema)
    }

    async def get(self) -> None:
        self.write_json({"results": await blocks.listing(self.db, self.user_id)})


class BlockHandler(BaseHandler):
    docs = {
        "PUT": Operation(
            "Block someone",
            response=None,
            errors=(400,),
            description="400 naming `user_id` for the caller's own id. "
            "Between two people where either blocked the other: neither can start "
            "a conversation with the other; sends in their direct conversation are 403 "
            "`blocked`; no typing, presence, read marks, notifications, emails or pushes pass "
            "between them; the blocked person leaves the blocker's directory. In a group, the "
            "blocker gets the blocked person's messages marked `from_blocked: true`, and no "
            "notification for them. Blocking again changes nothing (204).",
        ),
        "DELETE": Operation("Unblock someone", response=None),
    }

    async def put(self, user_id: str) -> None:
        await self.services.blocking.block(self.user_id, self.path_id(user_id, "user"))
        self.no_content()

    async def delete(self, user_id: str) -> None:
        await self.services.blocking.unblock(self.user_id, self.path_id(user_id, "block"))
        self.no_content()


class MuteHandler(BaseHandler):
    docs = {
        "PUT": Operation(
            "Mute a conversation",
            response=None,
            description="No notifications, emails or pushes come from it; unread still counts.",
        ),
        "DELETE": Operation("Unmute a conversation", response=None),
    }

    async def put(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        await self.services.blocking.mute(cid, self.user_id, True)
        self.no_content()

    async def delete(self, conversation_id: str) -> None:
        cid = self.path_id(conversation_id, "conversation")
        await self.services.blocking.mute(cid, self.user_id, False)
        self.no_content()


class MutedListHandler(BaseHandler):
    docs = {"GET": Operation("The conversations the caller muted", response=MutedListSchema)}

    async def get(self) -> None:
        found = await conversations.muted_by(self.db, self.user_id)
        people = await conversations.people_of(self.db, found)
        self.write_json({"results": [conversations.view(c, self.user_id, people) for c in found]})


class ReportListHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Report a message, question, answer or user",
            body=reports.NewReportSchema,
            response=reports.ReportSchema,
            status=201,
            errors=(403, 404),
            description="Only what the caller can see can be reported (anything else is 404). "
            "One open report per reporter and target: reporting again answers the open one "
            "with 200. The report keeps a snapshot of the content as it was (for a message, "
            "the few messages around it too). Content reported by HYPEE_AUTOHIDE_REPORTS "
            "distinct people (3) is hidden until a moderator decides. 403 `email_unverified` "
            "when verification is required and the caller's address is not verified.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(reports.NewReportSchema)
        await require_may_reach_out(self.services, self.user_id)
        report, created = await self.services.moderation.report(self.user_id, data)
        self.write_json(reports.report_view(report), 201 if created else 200)


class ReportHandler(BaseHandler):
    docs = {"GET": Operation("One of the caller's reports", response=reports.ReportSchema)}

    async def get(self, report_id: str) -> None:
        found = await reports.get_own(self.db, self.path_id(report_id, "report"), self.user_id)
        if found is None:
            raise not_found("report")
        self.write_json(reports.report_view(found))
