"""The mentor directory (public reads)."""

from __future__ import annotations

from typing import Any

from handlers.base import BaseHandler
from hypee.answer_cache import Answer
from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from hypee.jsonio import dumps
from hypee.openapi import Operation
from hypee.paging import page_schema
from models import blocks, mentors, users

MentorPageSchema = page_schema(users.PublicUserSchema, "MentorPage")


async def directory_page(db: DocumentDatabase, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the directory for loaded MentorQuerySchema `params`, as the API answers it:
    {results, next_cursor} (also inlined in the web app's first visit: handlers/webapp.py)."""
    page = await mentors.list_mentors(db, params)
    return {
        "results": [users.public_view(user) for user in page.items],
        "next_cursor": page.next_cursor,
    }


class MentorListHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "Search the mentor directory",
            query=mentors.MentorQuerySchema,
            response=MentorPageSchema,
            also={304: None},
            parameters=(
                {
                    "in": "header",
                    "name": "If-None-Match",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The ETag of a page the client holds: 304 while unchanged.",
                },
            ),
            headers={
                "ETag": {
                    "schema": {"type": "string"},
                    "description": "The page's version (absent on a page of the reader's own).",
                }
            },
        )
    }

    async def get(self) -> None:
        params = self.load_query(mentors.MentorQuerySchema)
        hidden = (
            [] if self.identity is None else await blocks.blocked_by_user(self.db, self.user_id)
        )
        if hidden:  # this reader's own page: never kept
            params["hidden_ids"] = hidden
            self.write_json(await directory_page(self.db, params))
            return

        async def render() -> bytes:
            return dumps(await directory_page(self.db, params)).encode()

        key = repr(sorted(params.items()))
        self._write_kept(await self.services.directory.answer(key, render))

    def _write_kept(self, answer: Answer) -> None:
        """Answer with a kept page and its ETag: 304 with no body when the client holds it
        (`If-None-Match`); clients revalidate each time (`no-cache`)."""
        self.set_header("ETag", answer.etag)
        self.set_header("Cache-Control", "no-cache")
        if self.check_etag_header():
            self.set_status(304)
            self.clear_header("Content-Type")
            self.finish()
            return
        self.finish(answer.body)


class MentorHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {"GET": Operation("A mentor's public profile", response=users.PublicUserSchema)}

    async def get(self, mentor_id: str) -> None:
        mentor = await mentors.get_mentor(self.db, self.path_id(mentor_id, "mentor"))
        if mentor is None:
            raise not_found("mentor")
        self.write_json(users.public_view(mentor))
