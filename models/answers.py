"""Answers: their documents, views and queries.

An answer being deleted is marked `deleting` first, so no vote lands on it meanwhile. Which
answer is accepted, and the points that gives, is decided under the question's lock
(services/forum.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel, ReturnDocument

from hypee import batches
from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from hypee.fields import ObjectIdField, Text, UtcDateTime
from models import posts, users, votes

COLLECTION = "answers"
LIVE = posts.LIVE
MAX_BODY = 20000

INDEXES = {
    COLLECTION: [
        IndexModel([("question_id", 1), ("_id", 1)], name="by_question"),
        IndexModel([("author_id", 1), ("_id", -1)], name="by_author"),
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
    hidden = fields.Boolean(
        required=True,
        metadata={"description": "Removed by a moderator: the body is withheld (empty)."},
    )


class AnswerDocument(TypedDict, total=False):
    """An answer as stored in `answers`."""

    _id: ObjectId
    question_id: ObjectId
    author_id: ObjectId
    body: str
    score: int
    accepted: bool
    deleting: bool  # being deleted (models/posts.py)
    hidden: bool  # by a moderator (the body kept for the audit)
    created_at: datetime
    updated_at: datetime


class AnswerView(TypedDict):
    """An answer as the API shows it (AnswerSchema)."""

    id: str
    question_id: str
    author: users.PublicUserView | None
    body: str
    score: int
    accepted: bool
    my_vote: int
    created_at: datetime
    updated_at: datetime
    hidden: bool


def view(
    answer: AnswerDocument | dict[str, Any],
    people: dict[ObjectId, dict[str, Any]],
    my_votes: dict[ObjectId, int],
) -> AnswerView:
    """An answer as the API shows it; `people` maps author ids to users."""
    author = people.get(answer["author_id"])
    return {
        "id": str(answer["_id"]),
        "question_id": str(answer["question_id"]),
        "author": users.public_view(author) if author else None,
        "body": "" if answer.get("hidden") else answer["body"],
        "score": answer.get("score", 0),
        "accepted": answer.get("accepted", False),
        "my_vote": my_votes.get(answer["_id"], 0),
        "created_at": answer["created_at"],
        "updated_at": answer.get("updated_at", answer["created_at"]),
        "hidden": bool(answer.get("hidden")),
    }


async def authors_of(
    db: DocumentDatabase, posts: list[dict[str, Any]]
) -> dict[ObjectId, dict[str, Any]]:
    """The users who wrote `posts` (questions or answers), in one query."""
    return await users.public_users(db, (post["author_id"] for post in posts))


async def render(
    db: DocumentDatabase, answer: dict[str, Any], viewer_id: ObjectId | None
) -> AnswerView:
    """One answer's view for `viewer_id`."""
    people = await authors_of(db, [answer])
    mine = await votes.mine(db, viewer_id, "answer", [answer["_id"]])
    return view(answer, people, mine)


async def for_question(
    db: DocumentDatabase, question_id: ObjectId, viewer_id: ObjectId | None
) -> list[AnswerView]:
    """The answers of a question: accepted first, then by score, then oldest first."""
    answers = await db[COLLECTION].find({"question_id": question_id}).to_list(None)
    answers.sort(key=lambda a: (not a.get("accepted", False), -a.get("score", 0), a["_id"]))
    people = await authors_of(db, answers)
    mine = await votes.mine(db, viewer_id, "answer", [a["_id"] for a in answers])
    return [view(answer, people, mine) for answer in answers]


async def create(
    db: DocumentDatabase, question_id: ObjectId, author_id: ObjectId, body: str, now: datetime
) -> dict[str, Any]:
    """Store a new answer to `question_id` (whose answer count the caller has raised)."""
    answer = {
        "_id": ObjectId(),
        "question_id": question_id,
        "author_id": author_id,
        "body": body,
        "score": 0,
        "accepted": False,
        "created_at": now,
        "updated_at": now,
    }
    await db[COLLECTION].insert_one(answer)
    return answer


async def get_live(db: DocumentDatabase, answer_id: ObjectId) -> dict[str, Any]:
    """The answer, unless it is gone or being deleted (404)."""
    return await posts.get_live(db[COLLECTION], answer_id, "answer")


async def own(db: DocumentDatabase, answer_id: ObjectId, user_id: ObjectId) -> dict[str, Any]:
    """The caller's answer: 404 if there is none, 403 if it is someone else's."""
    return await posts.own(db[COLLECTION], answer_id, user_id, "answer")


async def get(db: DocumentDatabase, answer_id: ObjectId) -> dict[str, Any] | None:
    """The answer as stored now, or None."""
    return await db[COLLECTION].find_one({"_id": answer_id})


async def edit(
    db: DocumentDatabase, answer_id: ObjectId, body: str, now: datetime
) -> dict[str, Any]:
    """Replace an answer's body; 404 if it is gone."""
    answer = await db[COLLECTION].find_one_and_update(
        {"_id": answer_id},
        {"$set": {"body": body, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if answer is None:
        raise not_found("answer")
    return answer


async def set_accepted(db: DocumentDatabase, answer_id: ObjectId, accepted: bool) -> None:
    await db[COLLECTION].update_one({"_id": answer_id}, {"$set": {"accepted": accepted}})


async def add_score(db: DocumentDatabase, answer_id: ObjectId, delta: int) -> bool:
    """Change a live post's score by `delta`; False when it is gone or being deleted."""
    return await posts.add_score(db[COLLECTION], answer_id, delta)


async def score_of(db: DocumentDatabase, answer_id: ObjectId) -> int:
    return await posts.score_of(db[COLLECTION], answer_id)


async def ids_for_question(db: DocumentDatabase, question_id: ObjectId) -> list[ObjectId]:
    found = await db[COLLECTION].find({"question_id": question_id}, {"_id": 1}).to_list(None)
    return [answer["_id"] for answer in found]


async def mark_deleting(db: DocumentDatabase, answer_id: ObjectId) -> None:
    await posts.mark_deleting(db[COLLECTION], answer_id)


async def remove(db: DocumentDatabase, answer_id: ObjectId) -> None:
    await db[COLLECTION].delete_one({"_id": answer_id})


async def by_question(db: DocumentDatabase) -> dict[ObjectId, list[dict[str, Any]]]:
    """Every live answer's {_id, accepted}, by question (the integrity check)."""
    found: dict[ObjectId, list[dict[str, Any]]] = {}
    async for answer in batches.each(db[COLLECTION], LIVE, {"question_id": 1, "accepted": 1}):
        found.setdefault(answer["question_id"], []).append(answer)
    return found


async def set_hidden(db: DocumentDatabase, answer_id: ObjectId, hidden: bool) -> bool:
    """Hide (or restore) an answer for everyone; False when it is gone or already so."""
    return await posts.set_hidden(db[COLLECTION], answer_id, hidden)


async def by_author(db: DocumentDatabase, author_id: ObjectId) -> list[dict[str, Any]]:
    """Every answer `author_id` wrote (their export)."""
    return await db[COLLECTION].find({"author_id": author_id}).sort([("_id", -1)]).to_list(None)
