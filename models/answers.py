"""Answers: writing, editing, deleting, and accepting them, with the points acceptance gives.

The question document is the lock for everything that changes which answer is accepted, so
accepting, moving, un-accepting and deleting apply one at a time and undo exactly. The answer
author's +15 belongs to the accepted answer; the asker's +2 is kept while any answer that is
not their own is accepted.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel, ReturnDocument

from hypee import locks
from hypee.errors import forbidden, not_found
from hypee.jsonio import utcnow
from hypee.realtime.hub import Hub
from models import notifications, points, users, votes
from models.fields import ObjectIdField, Text, UtcDateTime

COLLECTION = "answers"
QUESTIONS = "questions"
MAX_BODY = 20000

INDEXES = {
    COLLECTION: [
        IndexModel([("question_id", 1), ("_id", 1)], name="by_question"),
        IndexModel("author_id", name="by_author"),
    ]
}


class NewAnswerSchema(Schema):
    question_id = ObjectIdField(required=True)
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class EditAnswerSchema(Schema):
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class AnswerSchema(Schema):
    id = ObjectIdField(required=True)
    question_id = ObjectIdField(required=True)
    author = fields.Nested(users.PublicUserSchema, required=True, allow_none=True)
    body = fields.String(required=True)
    score = fields.Integer(required=True)
    accepted = fields.Boolean(required=True)
    my_vote = fields.Integer(required=True, metadata={"description": "1, -1 or 0 (anonymous: 0)."})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


def view(
    answer: dict[str, Any], people: dict[ObjectId, dict], my_votes: dict[ObjectId, int]
) -> dict:
    """An answer as the API shows it; `people` maps author ids to users."""
    author = people.get(answer["author_id"])
    return {
        "id": str(answer["_id"]),
        "question_id": str(answer["question_id"]),
        "author": users.public_view(author) if author else None,
        "body": answer["body"],
        "score": answer.get("score", 0),
        "accepted": answer.get("accepted", False),
        "my_vote": my_votes.get(answer["_id"], 0),
        "created_at": answer["created_at"],
        "updated_at": answer.get("updated_at", answer["created_at"]),
    }


async def authors_of(db: Any, posts: list[dict[str, Any]]) -> dict[ObjectId, dict]:
    """The users who wrote `posts` (questions or answers), in one query."""
    return await users.public_users(db, (post["author_id"] for post in posts))


async def render(db: Any, answer: dict[str, Any], viewer_id: ObjectId | None) -> dict[str, Any]:
    """One answer's view for `viewer_id`."""
    people = await authors_of(db, [answer])
    mine = await votes.mine(db, viewer_id, "answer", [answer["_id"]])
    return view(answer, people, mine)


async def for_question(
    db: Any, question_id: ObjectId, viewer_id: ObjectId | None
) -> list[dict[str, Any]]:
    """The answers of a question: accepted first, then by score, then oldest first."""
    answers = await db[COLLECTION].find({"question_id": question_id}).to_list(None)
    answers.sort(key=lambda a: (not a.get("accepted", False), -a.get("score", 0), a["_id"]))
    people = await authors_of(db, answers)
    mine = await votes.mine(db, viewer_id, "answer", [a["_id"] for a in answers])
    return [view(answer, people, mine) for answer in answers]


async def create(db: Any, hub: Hub, author_id: ObjectId, data: dict[str, Any]) -> dict[str, Any]:
    """Answer a question; its author is notified (unless answering their own question)."""
    now = utcnow()
    question = await db[QUESTIONS].find_one_and_update(
        {"_id": data["question_id"], "deleting": {"$ne": True}},
        {"$inc": {"answer_count": 1}, "$set": {"last_activity_at": now}},
        projection={"author_id": 1, "title": 1},
        return_document=ReturnDocument.AFTER,
    )
    if question is None:
        raise not_found("question")
    answer = {
        "_id": ObjectId(),
        "question_id": question["_id"],
        "author_id": author_id,
        "body": data["body"],
        "score": 0,
        "accepted": False,
        "created_at": now,
        "updated_at": now,
    }
    await db[COLLECTION].insert_one(answer)
    if question["author_id"] != author_id:
        await notifications.notify(
            db,
            hub,
            question["author_id"],
            "new_answer",
            {
                "question_id": str(question["_id"]),
                "answer_id": str(answer["_id"]),
                "question_title": question["title"],
                "author_id": str(author_id),
            },
        )
    return answer


async def own(db: Any, answer_id: ObjectId, user_id: ObjectId) -> dict[str, Any]:
    """The caller's answer: 404 if there is none, 403 if it is someone else's."""
    answer = await db[COLLECTION].find_one({"_id": answer_id, "deleting": {"$ne": True}})
    if answer is None:
        raise not_found("answer")
    if answer["author_id"] != user_id:
        raise forbidden("Only its author can change an answer.")
    return answer


async def edit(db: Any, answer_id: ObjectId, user_id: ObjectId, body: str) -> dict[str, Any]:
    await own(db, answer_id, user_id)
    now = utcnow()
    answer = await db[COLLECTION].find_one_and_update(
        {"_id": answer_id},
        {"$set": {"body": body, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if answer is None:
        raise not_found("answer")
    await db[QUESTIONS].update_one(
        {"_id": answer["question_id"]}, {"$set": {"last_activity_at": now}}
    )
    return answer


async def _set_accepted(
    db: Any, question: locks.Locked, answer: dict[str, Any] | None
) -> dict[str, Any]:
    """Make `answer` (or none) the accepted answer of a locked question, moving the points.

    Returns the `$set` for the question document; the caller releases the lock with it.
    """
    current = question.document
    if current.get("accepted_answer_id"):
        await db[COLLECTION].update_one(
            {"_id": current["accepted_answer_id"]}, {"$set": {"accepted": False}}
        )
    await points.undo(db, current.get("accept_effects", []))
    effects: list[dict[str, Any]] = []
    bonus = current.get("accept_bonus", [])
    asker = current["author_id"]
    earns = answer is not None and answer["author_id"] != asker
    if answer is not None:
        await db[COLLECTION].update_one({"_id": answer["_id"]}, {"$set": {"accepted": True}})
        ref = {"type": "answer", "id": answer["_id"]}
        if earns:
            effects = [
                await points.grant(
                    db, answer["author_id"], points.ANSWER_ACCEPTED, "answer_accepted", ref
                )
            ]
            if not bonus:
                bonus = [
                    await points.grant(db, asker, points.ACCEPTED_AN_ANSWER, "accepted_answer", ref)
                ]
    if not earns and bonus:
        await points.undo(db, bonus)
        bonus = []
    return {
        "accepted_answer_id": answer["_id"] if answer else None,
        "accept_effects": effects,
        "accept_bonus": bonus,
    }


async def _lock_question_of(db: Any, answer: dict[str, Any]) -> locks.Locked:
    held = await locks.lock(db[QUESTIONS], {"_id": answer["question_id"]})
    if held is None:
        raise not_found("question")
    return held


async def accept(db: Any, hub: Hub, answer_id: ObjectId, user_id: ObjectId, accepted: bool) -> dict:
    """Accept (or un-accept) an answer; only the question's author may. Returns the answer."""
    answer = await db[COLLECTION].find_one({"_id": answer_id, "deleting": {"$ne": True}})
    if answer is None:
        raise not_found("answer")
    question = await _lock_question_of(db, answer)
    changed = False
    try:
        if question.document["author_id"] != user_id:
            raise forbidden("Only the question's author can accept an answer.")
        is_accepted = question.document.get("accepted_answer_id") == answer_id
        if accepted != is_accepted:
            update = await _set_accepted(db, question, answer if accepted else None)
            await question.release({"$set": update})
            changed = True
    finally:
        if not changed:
            await question.release()
    if changed and accepted and answer["author_id"] != user_id:
        await notifications.notify(
            db,
            hub,
            answer["author_id"],
            "answer_accepted",
            {
                "question_id": str(answer["question_id"]),
                "answer_id": str(answer_id),
                "question_title": question.document.get("title", ""),
                "accepted_by": str(user_id),
            },
        )
    return await db[COLLECTION].find_one({"_id": answer_id}) or answer


def acceptance_effects(question: dict[str, Any]) -> list[dict[str, Any]]:
    """The points a question's acceptance gave (to undo when it goes)."""
    return question.get("accept_effects", []) + question.get("accept_bonus", [])


async def delete(db: Any, answer_id: ObjectId, user_id: ObjectId) -> None:
    """Delete the caller's answer, undoing every point it brought anyone."""
    answer = await own(db, answer_id, user_id)
    question = await _lock_question_of(db, answer)
    update: dict[str, Any] = {"$inc": {"answer_count": -1}}
    try:
        effects = await purge(db, answer_id)
        if question.document.get("accepted_answer_id") == answer_id:
            effects += acceptance_effects(question.document)
            update["$set"] = {"accepted_answer_id": None, "accept_effects": [], "accept_bonus": []}
        await points.undo(db, effects)
    except BaseException:
        await question.release()
        raise
    await question.release(update)


async def purge(db: Any, answer_id: ObjectId) -> list[dict[str, Any]]:
    """Remove an answer and its votes; returns the points they gave, for the caller to undo
    (with the answer's acceptance, which is the question's business)."""
    await db[COLLECTION].update_one({"_id": answer_id}, {"$set": {"deleting": True}})
    effects = await votes.remove_all(db, "answer", answer_id)
    await db[COLLECTION].delete_one({"_id": answer_id})
    return effects
