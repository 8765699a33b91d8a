"""Digests: a daily or weekly email at 08:00 in the person's time zone, saying what waits for
them (unread conversations, answers to their questions, and for mentors the open questions
in their specialties). Nothing is sent when there is nothing to say.

Each person with a digest has one recurring job (key "digest:<user>"). Running it queues the
email and moves the job to the next period in one unit of work, so exactly one digest leaves
per period, with several processes and across restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.units import retry_transient
from models import conversations, jobs, notification_settings, notifications, questions
from services import recipients
from services.mail import Mailer

ITEMS = 10
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


class Digests:
    """Schedules each person's digest and runs it when due (jobs of kind "digest")."""

    def __init__(self, store: Store, mailer: Mailer) -> None:
        self.store = store
        self.db = store.db
        self.mailer = mailer

    async def schedule(
        self, user_id: ObjectId, settings: notification_settings.NotificationSettings
    ) -> None:
        """Put (or move, or remove) the person's digest job after a change of settings, in the
        caller's unit of work."""
        due = notification_settings.next_digest(settings, clock.now())
        if due is None:
            await jobs.cancel(self.db, jobs.digest_key(user_id))
        else:
            await jobs.put(
                self.db, key=jobs.digest_key(user_id), kind=jobs.DIGEST, user_id=user_id, due_at=due
            )

    async def run(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        found = await recipients.ready(self.db, job)
        if found is None:
            return
        user, settings = found
        now = clock.now()
        content = await self._content(user, settings, now) if user.get("email_verified") else {}
        await self._send(job, user, settings, content, now)

    @retry_transient
    async def _send(
        self,
        job: jobs.JobDocument,
        user: dict[str, Any],
        settings: notification_settings.NotificationSettings,
        content: dict[str, Any],
        now: datetime,
    ) -> None:
        next_due = notification_settings.next_digest(settings, now)
        async with self.store.atomic():
            if next_due is None:
                await jobs.done(self.db, job)
            else:
                await jobs.move(self.db, job, next_due)
            if any(content.values()):
                await self.mailer.queue(
                    "digest", user, {**content, "frequency": settings["digest"]}
                )

    async def _content(
        self,
        user: dict[str, Any],
        settings: notification_settings.NotificationSettings,
        now: datetime,
    ) -> dict[str, Any]:
        since = now - PERIODS.get(settings["digest"], PERIODS["weekly"])
        return {
            "conversations": await self._unread(user),
            "answers": await self._answers(user["_id"], since),
            "questions": await self._open_questions(user, since),
        }

    async def _unread(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        page = await conversations.inbox(self.db, user["_id"], 50, None)
        unread = [c for c in page.items if conversations.unread_count(c, user["_id"])]
        people = await conversations.people_of(self.db, unread)
        shown = []
        for conversation in unread[:ITEMS]:
            view = conversations.view(conversation, user["_id"], people)
            others = [
                p["display_name"] for p in view["participants"] if p["id"] != str(user["_id"])
            ]
            shown.append(
                {
                    "title": view["title"] or ", ".join(others) or "Hypee",
                    "unread": view["unread_count"],
                    "link": self.mailer.link(f"/chat/{conversation['_id']}"),
                }
            )
        return shown

    async def _answers(self, user_id: ObjectId, since: datetime) -> list[dict[str, Any]]:
        found = await notifications.of_kind_since(self.db, user_id, "new_answer", since, ITEMS)
        return [
            {
                "author": n["data"].get("actor_name", ""),
                "question": n["data"].get("question_title", ""),
                "link": self.mailer.link(f"/questions/{n['data']['question_id']}"),
            }
            for n in found
        ]

    async def _open_questions(self, user: dict[str, Any], since: datetime) -> list[dict[str, Any]]:
        specialties = (user.get("mentor") or {}).get("specialties") or []
        seen: dict[Any, dict[str, Any]] = {}
        for tag in specialties[:5]:
            page = await questions.listing(
                self.db, {"tag": tag, "status": "open", "sort": "newest", "limit": ITEMS}
            )
            for question in page.items:
                if question["created_at"] >= since and question["author_id"] != user["_id"]:
                    seen.setdefault(question["_id"], question)
        return [
            {"title": q["title"], "link": self.mailer.link(f"/questions/{q['_id']}")}
            for q in list(seen.values())[:ITEMS]
        ]
