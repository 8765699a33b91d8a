"""Data exports: a person asks for a copy of their data; a job builds one JSON file of it,
stores it in attachment storage, and tells them (an email where mail is set up).

The file holds only the person's own data: their account and profile, settings, the
messages they wrote (with their conversation ids), their questions, answers, votes, points
history, notifications, blocks and reports, their mentorships with the goals they added and
the sessions, the reviews they wrote and their availability. Nobody else's address or
private data is in it: other people appear only as the ids already in those records.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.jsonio import dumps
from hypee.storage import Storage
from hypee.units import retry_transient
from models import (
    answers,
    availability,
    blocks,
    bookings,
    exports,
    goals,
    jobs,
    mentorships,
    messages,
    notification_settings,
    notifications,
    points,
    questions,
    reports,
    reviews,
    users,
    votes,
)
from models.message_schemas import message_view
from services.mail import Mailer

FORMAT_VERSION = 1
DOWNLOAD_SECONDS = 15 * 60


def export_key(user_id: ObjectId) -> str:
    return f"export:{user_id}"


class DataExports:
    """Asking for an export, building it (a job), and its download link."""

    def __init__(self, store: Store, storage: Storage, mailer: Mailer, link_hours: int) -> None:
        self.store = store
        self.db = store.db
        self.storage = storage
        self.mailer = mailer
        self.lifetime = timedelta(hours=link_hours)

    @retry_transient
    async def request(self, user_id: ObjectId) -> exports.ExportDocument:
        """Start an export (one pending at a time: asking again answers it)."""
        async with self.store.atomic() as unit:
            export, started = await exports.start(self.db, user_id)
            if started:
                await jobs.schedule(
                    self.db,
                    key=export_key(user_id),
                    kind=jobs.EXPORT,
                    user_id=user_id,
                    due_at=clock.now(),
                )
                unit.on_commit(self.mailer.wake)
        return export

    async def state(self, user_id: ObjectId, base_url: str) -> dict[str, Any]:
        """ExportSchema data, with a fresh signed link when the file is ready."""
        export = await exports.get(self.db, user_id)
        url = None
        key = export.get("key") if export is not None else None
        if export is not None and export["status"] == "ready" and key:
            url = await self.storage.download_url(
                key, "hypee-export.json", "application/json", DOWNLOAD_SECONDS, base_url
            )
        return exports.view(export, url)

    async def run(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        """The export job: build the file, store it, then mark it ready and tell the user."""
        user_id = job["user_id"]
        user = await users.get_user(self.db, user_id)
        if user is None or user.get("deleted_at") is not None:
            async with self.store.atomic():
                await jobs.done(self.db, job)
            return
        data = dumps(await self.collect(user)).encode()
        key = f"exports/{user_id}/{secrets.token_hex(16)}.json"
        await self.storage.put(key, data, "application/json")
        await self._ready(job, user, key, len(data))

    @retry_transient
    async def _ready(
        self, job: jobs.JobDocument, user: dict[str, Any], key: str, size: int
    ) -> None:
        expires_at = clock.now() + self.lifetime
        previous = await exports.get(self.db, user["_id"])
        async with self.store.atomic():
            await exports.finish(self.db, user["_id"], key, size, expires_at)
            if user.get("email_verified"):
                context = {
                    "link": self.mailer.link("/settings#export"),
                    "until": expires_at.strftime("%Y-%m-%d %H:%M"),
                }
                await self.mailer.queue("export_ready", user, context)
            await jobs.done(self.db, job)
        previous_key = previous.get("key") if previous is not None else None
        if previous_key and previous_key != key:
            await self.storage.delete(previous_key)

    async def collect(self, user: dict[str, Any]) -> dict[str, Any]:
        """Everything of the user's own that the file holds (see the module docstring)."""
        user_id = user["_id"]
        written = await messages.sent_by(self.db, user_id)
        return {
            "format": "hypee-export",
            "version": FORMAT_VERSION,
            "exported_at": clock.now(),
            "account": users.private_view(user),
            "notification_settings": notification_settings.of(user),
            "messages": [message_view(m["conversation_id"], m) for m in written],
            "questions": [
                {
                    k: v
                    for k, v in q.items()
                    if k not in ("search", "accept_effects", "accept_bonus")
                }
                for q in await questions.by_author(self.db, user_id)
            ],
            "answers": await answers.by_author(self.db, user_id),
            "votes": await votes.cast_by(self.db, user_id),
            "points_history": await points.all_of(self.db, user_id),
            "notifications": await notifications.all_of(self.db, user_id),
            "blocked_user_ids": [b["blocked_id"] for b in await blocks.made_by(self.db, user_id)],
            "reports": [reports.report_view(r) for r in await reports.made_by(self.db, user_id)],
            **await self._mentoring(user_id),
        }

    async def _mentoring(self, user_id: ObjectId) -> dict[str, Any]:
        """The person's mentorships (the goals they added, the sessions), the reviews they
        wrote and their availability."""
        found = await mentorships.of_person(self.db, user_id)
        kept = [{k: v for k, v in m.items() if k != "pending_key"} for m in found]
        goals_added, sessions = [], []
        for mentorship in found:
            goals_added += [
                goals.view(g)
                for g in await goals.of_mentorship(self.db, mentorship["_id"])
                if g["added_by"] == user_id
            ]
            sessions += await bookings.of_mentorship(self.db, mentorship["_id"])
        return {
            "mentorships": kept,
            "goals": goals_added,
            "sessions": [{k: v for k, v in s.items() if k != "blocks"} for s in sessions],
            "reviews_written": await reviews.by_mentee(self.db, user_id),
            "availability": await availability.get(self.db, user_id),
        }
