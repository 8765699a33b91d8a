"""The forum's changes: questions, answers, acceptance and deletions, with the points they
give (votes: services/votes.py). A question's watchers are told each change (ForumLive).

Points follow every change exactly (models/points.py keeps what each grant applied, so undoing
is exact). The question document is the lock for everything that changes which answer is
accepted or deletes answers, so accepting, moving, un-accepting and deleting apply one at a
time. The answer author's +15 belongs to the accepted answer; the asker's +2 is kept while any
answer that is not their own is accepted.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.db import Store
from hypee.errors import forbidden
from hypee.jsonio import utcnow
from hypee.units import retry_transient
from models import answers, points, questions, users, votes
from services.forum_live import ForumLive
from services.notifier import Notifier


class ForumService:
    """Questions, answers, votes and acceptance (see the module docstring)."""

    def __init__(self, store: Store, notifier: Notifier, live: ForumLive) -> None:
        self.store = store
        self.db = store.db
        self.notifier = notifier
        self.live = live

    # -- questions ---------------------------------------------------------------------------

    async def ask(self, author_id: ObjectId, data: dict[str, Any]) -> dict[str, Any]:
        return await questions.create(self.db, author_id, data)

    @retry_transient
    async def edit_question(
        self, question_id: ObjectId, user_id: ObjectId, changes: dict[str, Any]
    ) -> dict[str, Any]:
        question = await questions.own(self.db, question_id, user_id)
        async with self.store.atomic() as unit:
            edited = await questions.edit(self.db, question, changes)
            unit.on_commit(lambda: self.live.question_changed(question_id))
        return edited

    @retry_transient
    async def delete_question(self, question_id: ObjectId, user_id: ObjectId) -> None:
        """Delete the caller's question and its answers, undoing every point they brought."""
        await questions.own(self.db, question_id, user_id)
        question_lock = questions.locked(self.db, question_id)
        async with self.store.atomic() as unit, question_lock as held:
            # From here on, no new answer or vote can land on it.
            await questions.mark_deleting(self.db, question_id)
            effects = questions.acceptance_effects(held.document)
            for answer_id in await answers.ids_for_question(self.db, question_id):
                effects += await self._purge_answer(answer_id)
            effects += await votes.remove_all(self.db, "question", question_id)
            await points.undo(self.db, effects)
            held.delete_on_release()
            unit.on_commit(lambda: self.live.question_deleted(question_id))

    # -- answers -----------------------------------------------------------------------------

    @retry_transient
    async def answer(self, author_id: ObjectId, data: dict[str, Any]) -> dict[str, Any]:
        """Answer a question; its author is notified (unless answering their own question)."""
        now = utcnow()
        async with self.store.atomic() as unit:
            question = await questions.answer_added(self.db, data["question_id"], now)
            answer = await answers.create(self.db, question["_id"], author_id, data["body"], now)
            if question["author_id"] != author_id:
                details = {
                    "question_id": str(question["_id"]),
                    "answer_id": str(answer["_id"]),
                    "question_title": question["title"],
                    "author_id": str(author_id),
                    "actor_name": await users.display_name(self.db, author_id),
                }
                await self.notifier.notify(
                    question["author_id"],
                    "new_answer",
                    details,
                    actor_id=author_id,
                    excerpt=data["body"],
                )
            unit.on_commit(lambda: self.live.answer_changed(answer["_id"], new=True))
            unit.on_commit(lambda: self.live.question_changed(answer["question_id"]))
        return answer

    @retry_transient
    async def edit_answer(
        self, answer_id: ObjectId, user_id: ObjectId, body: str
    ) -> dict[str, Any]:
        await answers.own(self.db, answer_id, user_id)
        now = utcnow()
        async with self.store.atomic() as unit:
            answer = await answers.edit(self.db, answer_id, body, now)
            await questions.touched(self.db, answer["question_id"], now)
            unit.on_commit(lambda: self.live.answer_changed(answer_id))
        return answer

    @retry_transient
    async def delete_answer(self, answer_id: ObjectId, user_id: ObjectId) -> None:
        """Delete the caller's answer, undoing every point it brought anyone."""
        answer = await answers.own(self.db, answer_id, user_id)
        question_lock = questions.locked(self.db, answer["question_id"])
        async with self.store.atomic() as unit, question_lock as held:
            effects = await self._purge_answer(answer_id)
            update: dict[str, Any] = {"$inc": {"answer_count": -1}}
            if held.document.get("accepted_answer_id") == answer_id:
                effects += questions.acceptance_effects(held.document)
                update["$set"] = {
                    "accepted_answer_id": None,
                    "accept_effects": [],
                    "accept_bonus": [],
                }
            await points.undo(self.db, effects)
            held.update_on_release(update)
            unit.on_commit(lambda: self.live.answer_deleted(answer["question_id"], answer_id))

    async def _purge_answer(self, answer_id: ObjectId) -> list[dict[str, Any]]:
        """Remove an answer and its votes; returns the points they gave, for the caller to undo
        (with the answer's acceptance, which is the question's business)."""
        await answers.mark_deleting(self.db, answer_id)
        effects = await votes.remove_all(self.db, "answer", answer_id)
        await answers.remove(self.db, answer_id)
        return effects

    # -- acceptance --------------------------------------------------------------------------

    @retry_transient
    async def accept(
        self, answer_id: ObjectId, user_id: ObjectId, accepted: bool
    ) -> dict[str, Any]:
        """Accept (or un-accept) an answer; only the question's author may. Returns the answer."""
        answer = await answers.get_live(self.db, answer_id)
        question_lock = questions.locked(self.db, answer["question_id"])
        async with self.store.atomic() as unit, question_lock as held:
            question = held.document
            if question["author_id"] != user_id:
                raise forbidden("Only the question's author can accept an answer.")
            previous = question.get("accepted_answer_id")
            changed = accepted != (previous == answer_id)
            if changed:
                update = await self._move_acceptance(question, answer if accepted else None)
                held.update_on_release({"$set": update})
            if changed and accepted and answer["author_id"] != user_id:
                details = {
                    "question_id": str(answer["question_id"]),
                    "answer_id": str(answer_id),
                    "question_title": question.get("title", ""),
                    "accepted_by": str(user_id),
                    "actor_name": await users.display_name(self.db, user_id),
                }
                await self.notifier.notify(
                    answer["author_id"], "answer_accepted", details, actor_id=user_id
                )
            if changed:
                unit.on_commit(lambda: self._accepted(answer["question_id"], answer_id, previous))
        return await answers.get(self.db, answer_id) or answer

    async def _accepted(
        self, question_id: ObjectId, answer_id: ObjectId, previous: ObjectId | None
    ) -> None:
        """Tell the question's watchers that its accepted answer moved."""
        for moved in {answer_id, previous}:
            if moved is not None:
                await self.live.answer_changed(moved)
        await self.live.question_changed(question_id)

    async def _move_acceptance(
        self, question: dict[str, Any], answer: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Make `answer` (or none) the accepted answer of a locked `question`, moving the points.

        Returns the `$set` for the question document, applied when its lock is released.
        """
        if question.get("accepted_answer_id"):
            await answers.set_accepted(self.db, question["accepted_answer_id"], False)
        await points.undo(self.db, question.get("accept_effects", []))
        effects: list[dict[str, Any]] = []
        bonus = question.get("accept_bonus", [])
        asker = question["author_id"]
        earns = answer is not None and answer["author_id"] != asker
        if answer is not None:
            await answers.set_accepted(self.db, answer["_id"], True)
            ref = {"type": "answer", "id": answer["_id"]}
            if earns:
                effects = [
                    await points.grant(
                        self.db, answer["author_id"], points.ANSWER_ACCEPTED, "answer_accepted", ref
                    )
                ]
                if not bonus:
                    bonus = [
                        await points.grant(
                            self.db, asker, points.ACCEPTED_AN_ANSWER, "accepted_answer", ref
                        )
                    ]
        if not earns and bonus:
            await points.undo(self.db, bonus)
            bonus = []
        return {
            "accepted_answer_id": answer["_id"] if answer else None,
            "accept_effects": effects,
            "accept_bonus": bonus,
        }
