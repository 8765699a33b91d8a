"""Questions of the forum: their documents, views, queries and search.

A question being deleted is marked `deleting` first, so no answer or vote lands on it
meanwhile. The question document is also the lock of its acceptance (see `locked`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import IndexModel, ReturnDocument

from hypee import batches, locks
from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from hypee.fields import SPACE, ObjectIdField, Text, UtcDateTime, trim
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema
from hypee.textsearch import prefix_filter, query_words, words
from models import answers, posts, users, votes

COLLECTION = "questions"
LIVE = posts.LIVE
MAX_TAGS = 5
MAX_SEARCH_WORDS = 2000
_TAG = re.compile(r"^[a-z0-9][a-z0-9+#._-]{0,34}$")
_TAG_ANY_CASE = (
    rf"^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9+#._-]{{0,34}}[{SPACE}]*$"  # _TAG, as clients may send it
)

INDEXES = {
    COLLECTION: [
        IndexModel([("score", -1), ("_id", -1)], name="by_votes"),
        IndexModel([("last_activity_at", -1), ("_id", -1)], name="by_activity"),
        IndexModel([("tags", 1), ("_id", -1)], name="by_tag"),
        IndexModel([("author_id", 1), ("_id", -1)], name="by_author"),
        IndexModel("search", name="search_words"),
    ]
}

LISTINGS = {
    "newest": Listing("questions:newest", [("_id", -1)], (ObjectId,)),
    "votes": Listing("questions:votes", [("score", -1), ("_id", -1)], (int, ObjectId)),
    "active": Listing(
        "questions:active", [("last_activity_at", -1), ("_id", -1)], (datetime, ObjectId)
    ),
}
STATUSES: dict[str, dict[str, Any]] = {
    "open": {"answer_count": 0},
    "answered": {"answer_count": {"$gt": 0}, "accepted_answer_id": None},
    "accepted": {"accepted_answer_id": {"$ne": None}},
}


class Tags(fields.List[str]):
    """0 to 5 tags (as sent); any case in, lower case out, duplicates dropped."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), **kwargs)

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        return {"maxItems": MAX_TAGS, "items": {"type": "string", "pattern": _TAG_ANY_CASE}}

    def _deserialize(  # type: ignore[override]  # marshmallow: list[T | None] for List[T]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> list[str]:
        if isinstance(value, list) and len(value) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        tags = list(
            dict.fromkeys(
                trim(tag or "").lower() for tag in super()._deserialize(value, attr, data, **kwargs)
            )
        )
        bad = [tag for tag in tags if not _TAG.match(tag)]
        if bad:
            raise ValidationError(f"Not a valid tag: {bad[0]!r} (letters, digits, + # . _ -).")
        return tags


class NewQuestionSchema(Schema):
    title = Text(min_length=10, max_length=200, required=True)
    body = Text(max_length=20000, multiline=True, required=True)
    tags = Tags(load_default=list, metadata={"description": "0 to 5, lower-case."})


class EditQuestionSchema(Schema):
    title = Text(min_length=10, max_length=200)
    body = Text(max_length=20000, multiline=True)
    tags = Tags()


class QuestionQuerySchema(PageQuerySchema):
    q = Text(min_length=0, max_length=200, metadata={"description": "Words in title or body."})
    tag = fields.String(validate=validate.Length(1, 35))
    author = ObjectIdField(metadata={"description": "A user id."})
    status = fields.String(
        validate=validate.OneOf(list(STATUSES)),
        metadata={
            "description": "open: no answer; answered: answers, none accepted; "
            "accepted: an accepted answer."
        },
    )
    sort = fields.String(load_default="newest", validate=validate.OneOf(list(LISTINGS)))


class QuestionSchema(Schema):
    id = ObjectIdField(required=True)
    author = fields.Nested(users.PublicUserSchema, required=True, allow_none=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    score = fields.Integer(required=True)
    answer_count = fields.Integer(required=True)
    accepted_answer_id = ObjectIdField(required=True, allow_none=True)
    my_vote = fields.Integer(required=True, metadata={"description": "1, -1 or 0 (anonymous: 0)."})
    created_at = UtcDateTime(required=True)
    last_activity_at = UtcDateTime(required=True)
    hidden = fields.Boolean(
        required=True,
        metadata={
            "description": "Removed by a moderator: title and body are withheld (empty), and "
            "listings leave it out."
        },
    )


class QuestionDetailSchema(QuestionSchema):
    answers = fields.List(fields.Nested(answers.AnswerSchema), required=True)


class QuestionDocument(TypedDict, total=False):
    """A question as stored in `questions`."""

    _id: ObjectId
    author_id: ObjectId
    title: str
    body: str
    tags: list[str]
    score: int
    answer_count: int
    accepted_answer_id: ObjectId | None
    accept_effects: list[dict[str, Any]]  # the points its acceptance gave, to undo
    accept_bonus: list[dict[str, Any]]
    search: list[str]
    deleting: bool  # being deleted (models/posts.py)
    hidden: bool  # by a moderator (title and body kept for the audit)
    created_at: datetime
    last_activity_at: datetime


class QuestionView(TypedDict):
    """A question as the API shows it (QuestionSchema)."""

    id: str
    author: users.PublicUserView | None
    title: str
    body: str
    tags: list[str]
    score: int
    answer_count: int
    accepted_answer_id: str | None
    my_vote: int
    created_at: datetime
    last_activity_at: datetime
    hidden: bool


class QuestionDetailView(QuestionView):
    """A question with its answers (QuestionDetailSchema)."""

    answers: list[answers.AnswerView]


def view(
    question: QuestionDocument | dict[str, Any],
    people: dict[ObjectId, dict[str, Any]],
    my_votes: dict[ObjectId, int],
) -> QuestionView:
    author = people.get(question["author_id"])
    accepted = question.get("accepted_answer_id")
    hidden = bool(question.get("hidden"))
    return {
        "id": str(question["_id"]),
        "author": users.public_view(author) if author else None,
        "title": "" if hidden else question["title"],
        "body": "" if hidden else question["body"],
        "tags": question["tags"],
        "score": question.get("score", 0),
        "answer_count": question.get("answer_count", 0),
        "accepted_answer_id": str(accepted) if accepted else None,
        "my_vote": my_votes.get(question["_id"], 0),
        "created_at": question["created_at"],
        "last_activity_at": question["last_activity_at"],
        "hidden": hidden,
    }


async def render(
    db: DocumentDatabase, questions: list[dict[str, Any]], viewer_id: ObjectId | None
) -> list[QuestionView]:
    """Views of `questions` for `viewer_id` (authors and the viewer's votes in two queries)."""
    people = await answers.authors_of(db, questions)
    mine = await votes.mine(db, viewer_id, "question", [q["_id"] for q in questions])
    return [view(question, people, mine) for question in questions]


def _search(title: str, body: str) -> list[str]:
    return words(title, body)[:MAX_SEARCH_WORDS]


async def create(db: DocumentDatabase, author_id: ObjectId, data: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    question = {
        "_id": ObjectId(),
        "author_id": author_id,
        "title": data["title"],
        "body": data["body"],
        "tags": data["tags"],
        "score": 0,
        "answer_count": 0,
        "accepted_answer_id": None,
        "created_at": now,
        "updated_at": now,
        "last_activity_at": now,
        "search": _search(data["title"], data["body"]),
    }
    await db[COLLECTION].insert_one(question)
    return question


async def get_live(db: DocumentDatabase, question_id: ObjectId) -> dict[str, Any]:
    """The question, unless it is gone or being deleted (404)."""
    return await posts.get_live(db[COLLECTION], question_id, "question")


async def own(db: DocumentDatabase, question_id: ObjectId, user_id: ObjectId) -> dict[str, Any]:
    """The caller's question: 404 if there is none, 403 if it is someone else's."""
    return await posts.own(db[COLLECTION], question_id, user_id, "question")


async def edit(
    db: DocumentDatabase, question: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply loaded EditQuestionSchema `changes`; the search words follow."""
    if not changes:
        return question
    merged = {**question, **changes}
    now = utcnow()
    updated = await db[COLLECTION].find_one_and_update(
        {"_id": question["_id"]},
        {
            "$set": {
                **changes,
                "search": _search(merged["title"], merged["body"]),
                "updated_at": now,
                "last_activity_at": now,
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        raise not_found("question")
    return updated


def locked(db: DocumentDatabase, question_id: ObjectId) -> AbstractAsyncContextManager[locks.Held]:
    """Hold the question's lock: everything that changes which answer is accepted, or deletes
    the question, applies one at a time under it. 404 when the question is gone."""
    return locks.locked(db[COLLECTION], {"_id": question_id}, missing=not_found("question"))


async def answer_added(
    db: DocumentDatabase, question_id: ObjectId, now: datetime
) -> dict[str, Any]:
    """Count a new answer on a live question: its {author_id, title}; 404 when it is gone."""
    question = await db[COLLECTION].find_one_and_update(
        {"_id": question_id, **LIVE},
        {"$inc": {"answer_count": 1}, "$set": {"last_activity_at": now}},
        projection={"author_id": 1, "title": 1},
        return_document=ReturnDocument.AFTER,
    )
    if question is None:
        raise not_found("question")
    return question


async def touched(db: DocumentDatabase, question_id: ObjectId, now: datetime) -> None:
    """Something on the question changed (an answer was edited): it is active again."""
    await db[COLLECTION].update_one({"_id": question_id}, {"$set": {"last_activity_at": now}})


async def add_score(db: DocumentDatabase, question_id: ObjectId, delta: int) -> bool:
    """Change a live post's score by `delta`; False when it is gone or being deleted."""
    return await posts.add_score(db[COLLECTION], question_id, delta)


async def score_of(db: DocumentDatabase, question_id: ObjectId) -> int:
    return await posts.score_of(db[COLLECTION], question_id)


async def mark_deleting(db: DocumentDatabase, question_id: ObjectId) -> None:
    await posts.mark_deleting(db[COLLECTION], question_id)


def acceptance_effects(question: dict[str, Any]) -> list[dict[str, Any]]:
    """The points a question's accepted answer gave (to undo when it goes)."""
    effects: list[dict[str, Any]] = question.get("accept_effects", [])
    return effects + list(question.get("accept_bonus", []))


async def listing(db: DocumentDatabase, params: dict[str, Any]) -> Page:
    """A page of questions for loaded QuestionQuerySchema `params`."""
    clauses: list[dict[str, Any]] = [LIVE, {"hidden": {"$ne": True}}]
    query = query_words(params.get("q") or "")
    if query:
        clauses.append(prefix_filter("search", query))
    if params.get("tag"):
        clauses.append({"tags": trim(params["tag"]).lower()})
    if params.get("author"):
        clauses.append({"author_id": params["author"]})
    if params.get("status"):
        clauses.append(STATUSES[params["status"]])
    sort = params["sort"]
    return await find_page(
        db[COLLECTION],
        {"$and": clauses},
        LISTINGS[sort],
        limit=params["limit"],
        cursor=params.get("cursor"),
        projection={"search": 0},
    )


async def set_hidden(db: DocumentDatabase, question_id: ObjectId, hidden: bool) -> bool:
    """Hide (or restore) a question for everyone; False when it is gone or already so."""
    return await posts.set_hidden(db[COLLECTION], question_id, hidden)


async def by_author(db: DocumentDatabase, author_id: ObjectId) -> list[dict[str, Any]]:
    """Every question `author_id` asked (their export)."""
    return (
        await db[COLLECTION]
        .find({"author_id": author_id}, {"search": 0})
        .sort([("_id", -1)])
        .to_list(None)
    )


# -- integrity (run.py --check) ---------------------------------------------------------------


def each(db: DocumentDatabase) -> AsyncIterator[dict[str, Any]]:
    """Every question's score, answer count and acceptance."""
    return batches.each(
        db[COLLECTION],
        projection={"score": 1, "answer_count": 1, "accepted_answer_id": 1, "deleting": 1},
    )


async def correct(db: DocumentDatabase, question_id: ObjectId, changes: dict[str, Any]) -> None:
    await db[COLLECTION].update_one({"_id": question_id}, {"$set": changes})
