"""Mentorships as events: requests, their answers, expiry, capacity, and the end.

Every move is one unit of work: the conditional change of state (models/mentorships.py), what
it does to the mentor's record (a place taken or given back, a responsiveness sample), and a
notification to the other side. An acceptance also opens (or reuses) the pair's direct
conversation and posts a system message there. A request nobody answers expires after
HYPEE_REQUEST_EXPIRY_DAYS through a scheduled job; the mentee is then shown mentors in the
same specialties who are taking mentees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, field_error, forbidden, not_found
from hypee.units import retry_transient
from models import goals, jobs, mentor_record, mentors, mentorships, users
from models.mentorships import TRANSITIONS, MentorshipDocument
from services import reach
from services.conversations import ConversationService
from services.messages import MessageService
from services.notifier import Notifier
from services.scheduling import Scheduling


def expiry_key(mentorship_id: ObjectId) -> str:
    return f"request_expiry:{mentorship_id}"


class Mentorships:
    """Requests and the moves of TRANSITIONS (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        conversations: ConversationService,
        messages: MessageService,
        scheduling: Scheduling,
        expiry_days: int,
    ) -> None:
        self.store = store
        self.db = store.db
        self.notifier = notifier
        self.conversations = conversations
        self.messages = messages
        self.scheduling = scheduling
        self.expiry = timedelta(days=expiry_days)

    def expires_at(self, mentorship: MentorshipDocument) -> datetime:
        """When a request expires if nobody answers it."""
        return mentorship["created_at"] + self.expiry

    @retry_transient
    async def request(self, mentee_id: ObjectId, data: dict[str, Any]) -> MentorshipDocument:
        """A mentee asks a mentor (loaded NewMentorshipSchema `data`): pending, with its goals."""
        mentor_id = data["mentor_id"]
        if mentor_id == mentee_id:
            raise field_error("mentor_id", "You cannot be your own mentor.")
        async with self.store.atomic():
            await users.require_not_suspended(self.db, mentee_id)
            mentor = await mentors.get_mentor(self.db, mentor_id)
            if mentor is None:
                raise not_found("mentor")
            await reach.refuse_blocked(self.db, mentee_id, [mentor_id])
            profile = mentor["mentor"]
            name = mentor["display_name"]
            if not profile.get("available", True):
                raise ApiError("at_capacity", f"{name} is not taking mentees at the moment.")
            if profile.get("places_left", 1) <= 0:
                raise ApiError(
                    "at_capacity",
                    f"{name} is full: all {profile.get('max_mentees')} places are taken. "
                    "Ask another mentor, or ask again when a place opens.",
                )
            if await mentorships.has_mentor(self.db, mentee_id, mentor_id):
                raise ApiError("conflict", f"{name} is already your mentor.")
            now = clock.now()
            mentorship = await mentorships.create(
                self.db, mentee_id, mentor_id, data.get("message", ""), now
            )
            for text in data["goals"]:
                await goals.add(self.db, mentorship["_id"], mentee_id, text, now)
            await jobs.schedule(
                self.db,
                key=expiry_key(mentorship["_id"]),
                kind=jobs.REQUEST_EXPIRY,
                user_id=mentee_id,
                due_at=now + self.expiry,
                data={"mentorship_id": mentorship["_id"]},
            )
            await self._tell(mentorship, mentee_id, "requested")
        return mentorship

    @retry_transient
    async def act(
        self, user_id: ObjectId, mentorship_id: ObjectId, action: str, reason: str = ""
    ) -> MentorshipDocument:
        """`user_id` takes `action` (accept, decline, withdraw, complete, end): 404 outside
        the mentorship, 403 for the wrong side, 409 from any other state (with `state`),
        409 `at_capacity` when accepting with no place left."""
        async with self.store.atomic():
            mentorship = await mentorships.of_member(self.db, mentorship_id, user_id)
            side = "mentor" if user_id == mentorship["mentor_id"] else "mentee"
            who = TRANSITIONS[action][2]
            if who not in (side, "either"):
                raise forbidden(f"Only the {who} can {action} this mentorship.")
            await users.require_not_suspended(self.db, user_id)
            now = clock.now()
            changes: dict[str, Any] = {}
            if action in ("decline", "end") and reason:
                changes["reason"] = reason
            if action in ("accept", "decline"):
                changes["answered_at"] = now
            if action in ("complete", "end"):
                changes.update({"ended_at": now, "ended_by": user_id})
            if action == "accept":
                moved = await self._accept(mentorship, changes, now)
            else:
                moved = await mentorships.move(self.db, mentorship, action, changes, now)
            if action in ("accept", "decline", "withdraw"):
                await jobs.cancel(self.db, expiry_key(mentorship_id))
            if action in ("accept", "decline"):
                seconds = int((now - mentorship["created_at"]).total_seconds())
                sample = {"at": now, "answered": True, "seconds": seconds}
                await mentor_record.add_sample(self.db, mentorship["mentor_id"], "requests", sample)
            if action in ("complete", "end"):
                await mentor_record.give_place(self.db, mentorship["mentor_id"])
                await self.scheduling.cancel_all(moved, user_id)
            await self._tell(moved, user_id, moved["state"], reason)
        return moved

    async def _accept(
        self, mentorship: MentorshipDocument, changes: dict[str, Any], now: datetime
    ) -> MentorshipDocument:
        """Take one of the mentor's places, then move to accepted with the conversation. A
        failed move gives the place back (a transaction undoes both anyway; a standalone
        MongoDB would otherwise keep the place taken)."""
        if not await mentor_record.take_place(self.db, mentorship["mentor_id"]):
            raise ApiError(
                "at_capacity",
                "All your places are taken: finish a mentorship or raise your number of "
                "mentees before accepting another.",
            )
        try:
            changes["conversation_id"] = await self._open_conversation(mentorship)
            return await mentorships.move(self.db, mentorship, "accept", changes, now)
        except BaseException:
            await mentor_record.give_place(self.db, mentorship["mentor_id"])
            raise

    async def close_all(self, user_id: ObjectId) -> None:
        """`user_id`'s account is deleted (in the caller's unit): their pending requests are
        withdrawn or declined, their mentorships ended, and the other side told."""
        reason, now = "The account was deleted.", clock.now()
        for mentorship in await mentorships.of_person(self.db, user_id, mentorships.OPEN_STATES):
            changes: dict[str, Any] = {"reason": reason}
            if mentorship["state"] == "pending":
                mentee = user_id == mentorship["mentee_id"]
                action = "withdraw" if mentee else "decline"
                changes["answered_at" if action == "decline" else "updated_at"] = now
                await jobs.cancel(self.db, expiry_key(mentorship["_id"]))
            else:
                action = "end"
                changes.update({"ended_at": now, "ended_by": user_id})
                await mentor_record.give_place(self.db, mentorship["mentor_id"])
                await self.scheduling.cancel_all(mentorship, user_id)
            moved = await mentorships.move(self.db, mentorship, action, changes, now)
            await self._tell(moved, user_id, moved["state"], reason)

    async def _open_conversation(self, mentorship: MentorshipDocument) -> ObjectId:
        """The pair's direct conversation (opened by the mentor, or the one they have), with a
        system message saying the mentorship started."""
        mentor_id, mentee_id = mentorship["mentor_id"], mentorship["mentee_id"]
        conversation, _ = await self.conversations.open(mentor_id, {"participant_ids": [mentee_id]})
        cid: ObjectId = conversation["_id"]
        names = {u: await users.display_name(self.db, u) for u in (mentor_id, mentee_id)}
        event = {"type": "mentorship_accepted", "mentorship_id": str(mentorship["_id"])}
        body = f"{names[mentor_id]} accepted {names[mentee_id]}'s mentorship request"
        await self.messages.post_system(cid, mentor_id, event, body)
        return cid

    async def _tell(
        self, mentorship: MentorshipDocument, actor_id: ObjectId, event: str, reason: str = ""
    ) -> None:
        """The other side's notification of `event`, in the caller's unit."""
        other = (
            mentorship["mentee_id"]
            if actor_id == mentorship["mentor_id"]
            else mentorship["mentor_id"]
        )
        data: dict[str, Any] = {
            "event": event,
            "mentorship_id": str(mentorship["_id"]),
            "actor_name": await users.display_name(self.db, actor_id),
        }
        if reason:
            data["reason"] = reason
        if mentorship.get("suggestions"):
            data["suggestions"] = [{**s, "id": str(s["id"])} for s in mentorship["suggestions"]]
        await self.notifier.notify(other, "mentorship", data, actor_id=actor_id)

    async def expire(self, job: jobs.JobDocument, owner: ObjectId) -> None:
        """The expiry job: a request still pending expires (a sample against the mentor's
        answered share), with suggestions of other mentors for the mentee."""
        await self._expire(job)

    @retry_transient
    async def _expire(self, job: jobs.JobDocument) -> None:
        async with self.store.atomic():
            mentorship = await mentorships.get(self.db, job["data"]["mentorship_id"])
            if mentorship is not None and mentorship["state"] == "pending":
                mentor = await users.get_user(self.db, mentorship["mentor_id"])
                profile = (mentor or {}).get("mentor") or {}
                exclude = [mentorship["mentor_id"], mentorship["mentee_id"]]
                suggestions = await mentors.similar(self.db, profile, exclude)
                now = clock.now()
                moved = await mentorships.move(
                    self.db, mentorship, "expire", {"suggestions": suggestions}, now
                )
                sample = {"at": now, "answered": False}
                await mentor_record.add_sample(self.db, mentorship["mentor_id"], "requests", sample)
                await self._tell(moved, mentorship["mentor_id"], "expired")
            await jobs.done(self.db, job)
