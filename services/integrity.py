"""The invariants of the stored data, checked (`run.py --check`) and restored (`--repair`).

First, on the embedded engine, that every stored document can be decoded (the others are
moved to the table `_damaged`, kept for whoever can recover them) and that every index holds
exactly its documents' keys (rebuilt otherwise); then the invariants between documents:

On the embedded engine every multi-document change is a transaction, so nothing here should
ever be found. On MongoDB a change of several documents is several writes, and a crash
between two of them leaves one of the states below; each is repaired from the documents
that are the source of truth (the messages, the point history, the votes, the answers, the
blocks and the accounts: services/standing_check.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from hypee import locks
from hypee.db import Store
from hypee.embedded.documents import scans_allowed
from models import (
    answers,
    conversations,
    jobs,
    messages,
    outbox,
    points,
    posts,
    questions,
    uploads,
    users,
    votes,
)
from services.attachments import AttachmentService
from services.standing_check import check_standing_copies


@dataclass
class Report:
    """What was found, by invariant: a count and the first few examples."""

    found: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, invariant: str, example: str) -> None:
        self.found[invariant] = self.found.get(invariant, 0) + 1
        listed = self.examples.setdefault(invariant, [])
        if len(listed) < 5:
            listed.append(example)

    @property
    def clean(self) -> bool:
        return not self.found

    def lines(self, repaired: bool) -> list[str]:
        if self.clean:
            return ["every invariant holds"]
        verb = "repaired" if repaired else "found"
        return [
            f"{verb} {count}: {invariant}: {', '.join(self.examples[invariant])}"
            for invariant, count in self.found.items()
        ]


class IntegrityService:
    """Walks the store and compares what is kept twice (see the module docstring)."""

    def __init__(self, store: Store, attachments: AttachmentService) -> None:
        self.db = store.db
        self.embedded_db = store.embedded_db
        self.attachments = attachments

    async def run(self, repair: bool) -> Report:
        with scans_allowed():
            return await self._run(repair)

    async def _run(self, repair: bool) -> Report:
        report = Report()
        if self.embedded_db is not None:
            damaged = await self.embedded_db.damaged_documents(repair)
            for where in damaged:
                report.add("documents that cannot be decoded (set aside in _damaged)", where)
            if damaged and not repair:
                # The checks below read every document: they run once these are set aside.
                return report
            for index in await self.embedded_db.verify_indexes(repair):
                report.add("embedded indexes that disagree with their documents", index)
        await self._conversations(report, repair)
        await check_standing_copies(self.db, report, repair)
        await self._points(report, repair)
        for kind in ("question", "answer"):
            await self._scores(report, repair, kind)
        await self._questions(report, repair)
        await self._uploads(report, repair)
        await self._deliveries(report)
        for collection in (questions.COLLECTION, answers.COLLECTION, votes.COLLECTION):
            for _ in range(await locks.release_stale(self.db[collection], repair)):
                report.add("locks left by a crashed process", collection)
        return report

    async def _conversations(self, report: Report, repair: bool) -> None:
        async for conversation in conversations.each(self.db):
            cid = conversation["_id"]
            stored = await messages.seqs(self.db, cid)
            seq = max([conversation["seq"], *stored])
            skipped = sorted(set(range(1, seq + 1)) - set(stored))
            last = await messages.last(self.db, cid)
            summary = conversation.get("last_message") or {}
            summary_id = summary.get("_id", summary.get("id"))
            problems = []
            if seq != conversation["seq"]:
                problems.append("seq behind its messages")
            if skipped != sorted(conversation.get("skipped", [])):
                problems.append("seq reservations without a message")
            if (last["_id"] if last else None) != summary_id:
                problems.append("last_message not the last stored message")
            for problem in problems:
                report.add(problem, str(cid))
            if problems and repair:
                await conversations.correct_sequence(self.db, cid, seq, skipped, last)

    async def _points(self, report: Report, repair: bool) -> None:
        totals = await points.totals(self.db)
        for user_id, kept in (await users.points_of_everyone(self.db)).items():
            expected = max(0, totals.get(user_id, 0))
            if kept != expected:
                report.add("points that differ from the point history", str(user_id))
                if repair:
                    await users.set_points(self.db, user_id, expected)

    async def _scores(self, report: Report, repair: bool, kind: str) -> None:
        collection = self.db[questions.COLLECTION if kind == "question" else answers.COLLECTION]
        totals = await votes.totals(self.db, kind)
        async for post in posts.scores(collection):
            expected = totals.get(post["_id"], 0)
            if post.get("score", 0) != expected:
                report.add(f"{kind} scores that differ from their votes", str(post["_id"]))
                if repair:
                    await posts.set_score(collection, post["_id"], expected)

    async def _questions(self, report: Report, repair: bool) -> None:
        replies = await answers.by_question(self.db)
        async for question in questions.each(self.db):
            mine = replies.get(question["_id"], [])
            changes: dict[str, Any] = {}
            if question.get("answer_count", 0) != len(mine):
                report.add("answer counts that differ from the answers", str(question["_id"]))
                changes["answer_count"] = len(mine)
            accepted = question.get("accepted_answer_id")
            if accepted is not None and accepted not in {a["_id"] for a in mine}:
                report.add("accepted answers that no longer exist", str(question["_id"]))
                changes.update(accepted_answer_id=None, accept_effects=[], accept_bonus=[])
                accepted = None
            if repair and changes:
                await questions.correct(self.db, question["_id"], changes)
            for answer in mine:
                if answer.get("accepted", False) != (answer["_id"] == accepted):
                    report.add("answers flagged against their question", str(answer["_id"]))
                    if repair:
                        await answers.set_accepted(
                            self.db, answer["_id"], answer["_id"] == accepted
                        )

    async def _deliveries(self, report: Report) -> None:
        """Emails and pushes given up on, and due work no process is doing (reported: a
        running server delivers what is stuck as soon as it can)."""
        for entry in await outbox.failed(self.db):
            report.add(
                f"{entry['channel']}s that failed for good",
                f"{entry['kind']} {entry['_id']} ({entry.get('last_error', '')})",
            )
        for entry in await outbox.stuck(self.db):
            report.add(f"{entry['channel']}s queued over an hour past due", str(entry["_id"]))
        for job in await jobs.stuck(self.db):
            report.add("scheduled jobs over an hour past due", job["key"])

    async def _uploads(self, report: Report, repair: bool) -> None:
        orphans: list[ObjectId] = []
        async for upload in uploads.attached_to_messages(self.db):
            if not await messages.exists(self.db, upload["owner_id"]):
                report.add("uploads attached to messages that no longer exist", str(upload["_id"]))
                orphans.append(upload["_id"])
        if repair and orphans:
            await self.attachments.discard(orphans)
