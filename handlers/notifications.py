"""The caller's notifications."""

from __future__ import annotations

from marshmallow import fields

from handlers.base import BaseHandler
from hypee.openapi import Operation
from hypee.paging import page_schema
from models import notifications

_Page = page_schema(notifications.NotificationSchema, "NotificationPageItems")
NotificationPageSchema = type(
    "NotificationPageSchema",
    (_Page,),
    {"unread_count": fields.Integer(required=True, metadata={"description": "All unread ones."})},
)


class NotificationListHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "The caller's notifications, newest first",
            query=notifications.NotificationQuerySchema,
            response=NotificationPageSchema,
        )
    }

    async def get(self) -> None:
        params = self.load_query(notifications.NotificationQuerySchema)
        page, unread = await notifications.listing(self.db, self.user_id, params)
        results = [notifications.view(n) for n in page.items]
        self.write_page(results, page.next_cursor, unread_count=unread)


class NotificationReadHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Mark notifications read",
            body=notifications.MarkReadSchema,
            response=None,
            description="`{ids: [...]}`, `{all: true}`, or `{question_id}` (every notification "
            "about that question: the app sends it when the question is on screen); other "
            "people's ids are ignored.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(notifications.MarkReadSchema)
        await self.services.notifier.mark_read(self.user_id, data)
        self.no_content()
