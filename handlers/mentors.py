"""The mentor directory (public reads)."""

from __future__ import annotations

from handlers.base import BaseHandler
from hypee.errors import not_found
from hypee.openapi import Operation
from hypee.paging import page_schema
from models import mentors, users

MentorPageSchema = page_schema(users.PublicUserSchema, "MentorPage")


class MentorListHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "Search the mentor directory",
            query=mentors.MentorQuerySchema,
            response=MentorPageSchema,
        )
    }

    async def get(self) -> None:
        params = self.load_query(mentors.MentorQuerySchema)
        page = await mentors.list_mentors(self.db, params)
        self.write_page([users.public_view(user) for user in page.items], page.next_cursor)


class MentorHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {"GET": Operation("A mentor's public profile", response=users.PublicUserSchema)}

    async def get(self, mentor_id: str) -> None:
        mentor = await mentors.get_mentor(self.db, self.path_id(mentor_id, "mentor"))
        if mentor is None:
            raise not_found("mentor")
        self.write_json(users.public_view(mentor))
