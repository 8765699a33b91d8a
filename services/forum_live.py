"""The forum, live: what the sockets watching a question (`watch` frames) are told.

Each call reads the current state after a change has been committed and sends it to the
question's topic on every process: `question_updated` (the question's public view: score,
answer count, accepted answer...), `answer` (a new answer), `answer_updated` (edited, voted
on, accepted or no longer), `answer_deleted` and `question_deleted`. Views are the public
ones: `my_vote` is 0 in them, since they go to everyone.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.dbapi import DocumentDatabase
from hypee.realtime.hub import Hub
from models import answers, questions


def question_topic(question_id: ObjectId) -> str:
    return f"question:{question_id}"


class ForumLive:
    """Tells a question's watchers what changed on it."""

    def __init__(self, db: DocumentDatabase, hub: Hub) -> None:
        self.db = db
        self.hub = hub

    async def question_changed(self, question_id: ObjectId) -> None:
        question = await self.db[questions.COLLECTION].find_one({"_id": question_id})
        if question is None:
            return
        (view,) = await questions.render(self.db, [question], None)
        await self._tell(question_id, {"type": "question_updated", "question": view})

    async def answer_changed(self, answer_id: ObjectId, *, new: bool = False) -> None:
        answer = await answers.get(self.db, answer_id)
        if answer is None:
            return
        view = await answers.render(self.db, answer, None)
        kind = "answer" if new else "answer_updated"
        await self._tell(answer["question_id"], {"type": kind, "answer": view})

    async def answer_deleted(self, question_id: ObjectId, answer_id: ObjectId) -> None:
        frame = {
            "type": "answer_deleted",
            "question_id": str(question_id),
            "answer_id": str(answer_id),
        }
        await self._tell(question_id, frame)
        await self.question_changed(question_id)

    async def question_deleted(self, question_id: ObjectId) -> None:
        await self._tell(question_id, {"type": "question_deleted", "question_id": str(question_id)})

    async def _tell(self, question_id: ObjectId, frame: dict[str, Any]) -> None:
        await self.hub.publish_topic(question_topic(question_id), frame)
