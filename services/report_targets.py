"""What a report is about: finding its target as the reporter may see it, and what a report
keeps of it (a snapshot, and for a message the messages around it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from models import answers, conversations, messages, questions, reviews, users
from models.message_schemas import MessageDocument

CONTEXT_EACH_SIDE = 3


@dataclass
class Resolved:
    """A report's target as found: who wrote it, and what a report keeps of it."""

    author_id: ObjectId | None
    snapshot: dict[str, Any]
    hidden: bool  # content hidden by a moderator; a user suspended
    context: list[dict[str, Any]] = field(default_factory=list)


async def resolve(
    db: DocumentDatabase, target: dict[str, Any], viewer_id: ObjectId | None
) -> Resolved:
    """Find a target (as `viewer_id` may see it; None: a moderator, who sees all) and what
    a report keeps of it. 404 when it does not exist or the viewer may not see it."""
    kind, target_id = target["kind"], target["id"]
    if kind == "message":
        return await _resolve_message(db, target_id, viewer_id)
    if kind == "question":
        question = await questions.get_live(db, target_id)
        name = await users.display_name(db, question["author_id"])
        snapshot = {
            "title": question["title"],
            "body": question["body"],
            "tags": question.get("tags", []),
            "author_id": question["author_id"],
            "author_name": name,
            "created_at": question["created_at"],
        }
        return Resolved(question["author_id"], snapshot, bool(question.get("hidden")))
    if kind == "answer":
        answer = await answers.get_live(db, target_id)
        question = await questions.get_live(db, answer["question_id"])
        name = await users.display_name(db, answer["author_id"])
        snapshot = {
            "body": answer["body"],
            "question_id": answer["question_id"],
            "question_title": question["title"],
            "author_id": answer["author_id"],
            "author_name": name,
            "created_at": answer["created_at"],
        }
        return Resolved(answer["author_id"], snapshot, bool(answer.get("hidden")))
    if kind == "review":
        review = await reviews.get(db, target_id)
        if review is None:
            raise not_found("review")
        snapshot = {
            "rating": review["rating"],
            "body": review["text"],
            "mentor_id": review["mentor_id"],
            "author_id": review["mentee_id"],
            "author_name": await users.display_name(db, review["mentee_id"]),
            "created_at": review["created_at"],
        }
        return Resolved(review["mentee_id"], snapshot, bool(review.get("hidden")))
    user = await users.get_user(db, target_id)
    if user is None or user.get("deleted_at") is not None:
        raise not_found("user")
    profile = user.get("mentor") or user.get("mentor_suspended") or {}
    snapshot = {
        "display_name": user["display_name"],
        "bio": user.get("bio", ""),
        "role": user["role"],
        "headline": profile.get("headline", ""),
        "mentor_bio": profile.get("bio", ""),
        "has_avatar": bool(user.get("avatar")),
        "created_at": user["created_at"],
    }
    return Resolved(user["_id"], snapshot, users.active_suspension(user) is not None)


async def _resolve_message(
    db: DocumentDatabase, message_id: ObjectId, viewer_id: ObjectId | None
) -> Resolved:
    message = await messages.by_id(db, message_id)
    if message is None or message.get("kind") == "system":
        raise not_found("message")
    conversation_id = message["conversation_id"]
    if viewer_id is not None and not await conversations.is_member(db, conversation_id, viewer_id):
        raise not_found("message")
    neighbours = await messages.around(db, message, CONTEXT_EACH_SIDE)
    people = await users.public_users(
        db, [message["sender_id"], *(m["sender_id"] for m in neighbours)]
    )

    def shown(m: MessageDocument) -> dict[str, Any]:
        sender = people.get(m["sender_id"])
        return {
            "id": m["_id"],
            "seq": m["seq"],
            "sender_id": m["sender_id"],
            "sender_name": sender["display_name"] if sender else "Someone",
            "body": m["body"],
            "attachments": [
                {
                    "filename": a["filename"],
                    "content_type": a["content_type"],
                    "size": a["size"],
                }
                for a in m.get("attachments", [])
            ],
            "kind": m.get("kind", "user"),
            "deleted": m.get("deleted", False),
            "created_at": m["created_at"],
            "edited_at": m.get("edited_at"),
        }

    snapshot = {**shown(message), "conversation_id": conversation_id}
    return Resolved(
        message["sender_id"],
        snapshot,
        bool(message.get("hidden")),
        [shown(m) for m in neighbours],
    )
