"""Reports and moderation: filing reports, the automatic guard, moderators' actions, roles.

Every action is one unit of work with its audit entry, so the log and the change agree; what
the action tells sockets (a hidden message updated in open conversations, a suspended user's
sockets closed on every process) leaves once it commits.

Races: a report's case counts distinct reporters (one open report per reporter and target,
under a unique index); content is hidden by a conditional update, and only the update that
changed it writes the audit entry, so twenty reports at once hide once and log once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from hypee import clock
from hypee.db import Store
from hypee.errors import ApiError, conflict, field_error, not_found
from hypee.realtime.hub import CLOSE_UNAUTHORIZED, Hub
from hypee.units import current_unit, retry_transient
from models import (
    answers,
    audit,
    conversations,
    mentor_record,
    messages,
    questions,
    reports,
    reviews,
    sessions,
    users,
)
from services import report_targets
from services.forum_live import ForumLive

CONTENT_KINDS = ("message", "question", "answer", "review")
ACTIONS = ("dismiss", "hide", "restore", "suspend", "lift_suspension")


class Moderation:
    """Reports, the moderation actions and staff roles (see the module docstring)."""

    def __init__(self, store: Store, hub: Hub, live: ForumLive, autohide_reports: int) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.live = live
        self.autohide_reports = autohide_reports

    # -- reports ---------------------------------------------------------------------------

    @retry_transient
    async def report(
        self, reporter_id: ObjectId, data: dict[str, Any]
    ) -> tuple[reports.ReportDocument, bool]:
        """File a report (loaded NewReportSchema `data`) of something the reporter can see
        (404 otherwise): (the report, created). A repeat while one is open answers that one.
        At `autohide_reports` distinct reporters, content is hidden until a moderator
        decides."""
        target = data["target"]
        if target["kind"] == "user" and target["id"] == reporter_id:
            raise field_error("target", "You cannot report yourself.")
        async with self.store.atomic():
            resolved = await report_targets.resolve(self.db, target, reporter_id)
            report, case = await reports.file(
                self.db, reporter_id, data, resolved.snapshot, resolved.context, resolved.author_id
            )
            if case is None:
                return report, False
            if (
                case["count"] >= self.autohide_reports
                and target["kind"] in CONTENT_KINDS
                and not case.get("auto_hidden")
                and await self._set_hidden(target, True)
            ):
                await reports.mark_auto_hidden(self.db, case["_id"])
                reason = f"reported by {case['count']} people"
                await audit.record(self.db, None, "auto_hide", target, reason)
        return report, True

    # -- hiding ----------------------------------------------------------------------------

    async def _set_hidden(self, target: dict[str, Any], hidden: bool) -> bool:
        """Hide or restore content for everyone, in the caller's unit; True when it changed.
        Open conversations and question pages hear of it once the unit commits."""
        kind, target_id = target["kind"], target["id"]
        unit = current_unit()
        if kind == "message":
            message = await messages.by_id(self.db, target_id)
            if message is None or bool(message.get("hidden")) == hidden:
                return False
            changed = await messages.set_hidden(self.db, message, hidden)
            frame = {"type": "message_updated", "message": changed.view}
            unit.on_commit(
                lambda: self.hub.publish(
                    changed.participants, frame, conversation_id=message["conversation_id"]
                )
            )
            return True
        if kind == "review":
            review = await reviews.get(self.db, target_id)
            if review is None or not await reviews.set_hidden(self.db, target_id, hidden):
                return False
            change = -1 if hidden else 1  # a hidden review leaves the rating
            await mentor_record.count_rating(
                self.db, review["mentor_id"], change * review["rating"], change
            )
            return True
        if kind == "question":
            if not await questions.set_hidden(self.db, target_id, hidden):
                return False
            unit.on_commit(lambda: self.live.question_changed(target_id))
            return True
        if not await answers.set_hidden(self.db, target_id, hidden):
            return False
        unit.on_commit(lambda: self.live.answer_changed(target_id))
        return True

    # -- moderators' actions ---------------------------------------------------------------

    @retry_transient
    async def act(self, moderator_id: ObjectId, data: dict[str, Any]) -> audit.AuditDocument:
        """Carry out a moderation action (loaded ActionSchema `data`) with its audit entry:
        the entry. 409 when the action changes nothing (dismissing with no open report,
        hiding what is hidden, lifting no suspension)."""
        action, target, reason = data["action"], data["target"], data["reason"]
        until: datetime | None = data.get("until")
        async with self.store.atomic() as unit:
            if action == "dismiss":
                case = await reports.close(self.db, target, "dismissed")
                if case is None:
                    raise conflict("There is no open report of this target.")
                if case.get("auto_hidden"):
                    await self._set_hidden(target, False)
            elif action in ("hide", "restore"):
                self._content_only(target)
                await report_targets.resolve(self.db, target, None)
                if not await self._set_hidden(target, action == "hide"):
                    raise conflict(f"It is already {'hidden' if action == 'hide' else 'shown'}.")
                if action == "hide":
                    await reports.close(self.db, target, "actioned")
            elif action == "suspend":
                if until is not None and until <= clock.now():
                    raise field_error("until", "Must be in the future (or left out: for good).")
                person = await self._person(target)
                user_id = person["_id"]
                if users.moderates(person):
                    raise conflict("Staff cannot be suspended; revoke their role first.")
                suspension = await users.suspend(self.db, person, until, reason)
                await conversations.mirror_standing(
                    self.db, user_id, {"$set": {"suspension": suspension}}
                )
                await sessions.revoke_all_of(self.db, user_id, "suspended")
                await reports.close(self.db, target, "actioned")
                unit.on_commit(
                    lambda: self.hub.close_user(user_id, CLOSE_UNAUTHORIZED, "suspended")
                )
                target = {"kind": "user", "id": user_id}
            else:  # lift_suspension
                person = await self._person(target)
                user_id = person["_id"]
                if not await users.lift_suspension(self.db, person):
                    raise conflict("This account is not suspended.")
                await conversations.mirror_standing(
                    self.db, user_id, {"$unset": {"suspension": ""}}
                )
                target = {"kind": "user", "id": user_id}
            ends = until if action == "suspend" else None  # `until` means nothing elsewhere
            entry = await audit.record(self.db, moderator_id, action, target, reason, ends)
        return entry

    @staticmethod
    def _content_only(target: dict[str, Any]) -> None:
        if target["kind"] not in CONTENT_KINDS:
            raise field_error("target", "Only a message, question, answer or review can be hidden.")

    async def _person(self, target: dict[str, Any]) -> dict[str, Any]:
        """The account a suspension applies to: the target user, or the content's author
        (404 when it does not exist, or was deleted)."""
        user_id = target["id"]
        if target["kind"] != "user":
            user_id = (await report_targets.resolve(self.db, target, None)).author_id
        user = await users.get_user(self.db, user_id) if user_id else None
        if user is None or user.get("deleted_at") is not None:
            raise not_found("user")
        return user

    async def case_detail(self, case: reports.CaseDocument) -> dict[str, Any]:
        """A case with its reports, and its target as it is now (null when it is gone)."""
        found = await reports.reports_of_case(self.db, case)
        author_id = case.get("author_id")
        people = await users.public_users(
            self.db, [r["reporter_id"] for r in found] + ([author_id] if author_id else [])
        )
        try:
            now = await report_targets.resolve(self.db, case["target"], None)
            current: dict[str, Any] | None = {**now.snapshot, "hidden": now.hidden}
        except ApiError:
            current = None
        return {
            **case_view(case, people),
            "context": case.get("context", []),
            "current": current,
            "reports": [
                {
                    "id": report["_id"],
                    "reporter": users.public_view(people[report["reporter_id"]])
                    if report["reporter_id"] in people
                    else None,
                    "reason": report["reason"],
                    "details": report.get("details", ""),
                    "created_at": report["created_at"],
                }
                for report in found
            ],
        }

    # -- roles -----------------------------------------------------------------------------

    @retry_transient
    async def set_role(
        self, actor_id: ObjectId | None, user_id: ObjectId, role: str, held: bool, reason: str
    ) -> list[str]:
        """Give or take a staff role, with its audit entry (`actor_id` None: the command
        line): the user's roles after. 404 when there is no such account."""
        async with self.store.atomic():
            if not await users.set_role(self.db, user_id, role, held):
                raise not_found("user")
            action = "grant_role" if held else "revoke_role"
            await audit.record(
                self.db, actor_id, action, {"kind": "user", "id": user_id}, f"{role}: {reason}"
            )
            roles = await users.staff_roles(self.db, user_id)
        return roles


def case_view(case: reports.CaseDocument, people: dict[ObjectId, dict[str, Any]]) -> dict[str, Any]:
    """CaseSchema data of `case`; `people` holds its author."""
    author_id = case.get("author_id")
    author = people.get(author_id) if author_id else None
    return {
        "id": case["_id"],
        "target": case["target"],
        "status": case["status"],
        "count": case["count"],
        "reasons": case.get("reasons", {}),
        "author": users.public_view(author) if author else None,
        "snapshot": case.get("snapshot", {}),
        "auto_hidden": case.get("auto_hidden", False),
        "opened_at": case["opened_at"],
        "closed_at": case.get("closed_at"),
    }
