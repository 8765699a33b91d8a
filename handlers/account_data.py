"""The caller's data export."""

from __future__ import annotations

from handlers.base import BaseHandler
from hypee.openapi import Operation
from models import exports


class ExportHandler(BaseHandler):
    docs = {
        "GET": Operation("The state of the caller's data export", response=exports.ExportSchema),
        "POST": Operation(
            "Ask for a copy of the caller's data",
            response=exports.ExportSchema,
            status=202,
            description="A job builds one JSON file: the profile, the caller's own messages "
            "(with their conversation ids), questions, answers, votes, points history, "
            "notifications, settings, blocks and reports; nobody else's email or private "
            "data. It lands in attachment storage; GET then gives a signed `download_url`, "
            "and an email says it is ready (where mail is set up). Asking again while one is "
            "pending answers that one.",
        ),
    }

    async def get(self) -> None:
        self.write_json(await self.services.exports.state(self.user_id, self.base_url()))

    async def post(self) -> None:
        await self.services.exports.request(self.user_id)
        self.write_json(await self.services.exports.state(self.user_id, self.base_url()), 202)
