"""Conversations: the one module that reads and writes the conversation document.

A conversation is direct (one per pair of users, decided by the unique `direct_key`) or a
group. Its document holds the participants, each member's read marker, the last assigned
message number `seq`, its change counter `rev` (every message stored, edited or deleted takes
the next one, and keeps the rev of its last change: the messages themselves are the change
log), the inbox summary `last_message`, and `skipped`: the seqs that were assigned but hold
no message (a crash between the two writes of a send on MongoDB), so that unread counts stay
exact. Every other module asks this one, including the membership check:
a conversation the caller does not take part in is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee import batches
from hypee.dbapi import DocumentDatabase
from hypee.errors import field_error, not_found, validation_error
from hypee.fields import ObjectIdField, StrictInteger, Text, UtcDateTime
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, find_page
from models import users
from models.message_schemas import (
    FirstMessageSchema,
    MessageDocument,
    MessageSchema,
    MessageView,
    message_view,
)

COLLECTION = "conversations"
MAX_PARTICIPANTS = 50
PREVIEW_CHARACTERS = 140

INDEXES = {
    COLLECTION: [
        IndexModel("direct_key", unique=True, sparse=True, name="one_direct_per_pair"),
        IndexModel(
            [("participants", 1), ("updated_at", -1), ("_id", -1)], name="inbox_by_activity"
        ),
        IndexModel([("created_by", 1), ("created_at", -1)], name="by_creator"),
    ]
}
INBOX = Listing("inbox", [("updated_at", -1), ("_id", -1)], (datetime, ObjectId))


class NewConversationSchema(Schema):
    participant_ids = fields.List(
        ObjectIdField(),
        required=True,
        validate=validate.Length(1, MAX_PARTICIPANTS),
        metadata={"description": "The other participants; the caller is always one."},
    )
    title = Text(max_length=100, metadata={"description": "Group conversations only."})
    message = fields.Nested(
        FirstMessageSchema,
        metadata={"description": "An optional first message."},
    )


class MembersSchema(Schema):
    user_ids = fields.List(
        ObjectIdField(),
        required=True,
        validate=validate.Length(1, MAX_PARTICIPANTS),
        metadata={"description": "Users to add; those already in the group are ignored."},
    )


class RenameSchema(Schema):
    title = Text(max_length=100, required=True)


class ReadMarkerSchema(Schema):
    seq = StrictInteger(required=True, validate=validate.Range(min=0))


class ConversationSchema(Schema):
    id = ObjectIdField(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["direct", "group"]))
    title = fields.String(required=True, allow_none=True)
    participants = fields.List(fields.Nested(users.PublicUserSchema), required=True)
    last_message = fields.Nested(MessageSchema, required=True, allow_none=True)
    unread_count = fields.Integer(required=True)
    last_read_seq = fields.Integer(required=True)
    rev = fields.Integer(
        required=True,
        metadata={"description": "The change counter: the rev of the latest message change."},
    )
    read_marks = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Each participant's read marker: {user_id: seq}."},
    )
    created_by = ObjectIdField(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    muted = fields.Boolean(
        required=True,
        metadata={"description": "The caller muted it: no notifications, emails or pushes."},
    )


def last_read(conversation: dict[str, Any], user_id: ObjectId) -> int:
    """The seq the user has read up to."""
    return _last_read(conversation, user_id)


def _last_read(conversation: dict[str, Any], user_id: ObjectId) -> int:
    return int(conversation["members"].get(str(user_id), {}).get("last_read_seq", 0))


def read_marks(conversation: dict[str, Any]) -> dict[str, int]:
    """Every participant's read marker: {user id: seq}."""
    return {str(p): _last_read(conversation, p) for p in conversation["participants"]}


def unread_count(conversation: dict[str, Any], user_id: ObjectId, after: int | None = None) -> int:
    """Messages after the user's read marker (or after seq `after`), skipped seqs left out."""
    last_read = _last_read(conversation, user_id) if after is None else after
    skipped = sum(1 for seq in conversation.get("skipped", ()) if seq > last_read)
    return max(0, int(conversation["seq"]) - last_read - skipped)


class ConversationDocument(TypedDict, total=False):
    """A conversation as stored in `conversations` (see the module docstring)."""

    _id: ObjectId
    kind: str  # "direct" or "group"
    title: str | None
    participants: list[ObjectId]
    members: dict[str, dict[str, Any]]  # by user id: {last_read_seq, joined_at}
    direct_key: str  # direct ones: the pair's ids, sorted (unique)
    seq: int  # the last seq assigned
    rev: int  # the change counter
    last_message: dict[str, Any] | None  # the inbox summary: a message without seq
    skipped: list[int]  # seqs assigned that hold no message
    muted_by: list[ObjectId]  # members who get no notification from it
    created_by: ObjectId
    created_at: datetime
    updated_at: datetime


class ConversationView(TypedDict):
    """A conversation as one participant sees it (ConversationSchema)."""

    id: str
    kind: str
    title: str | None
    participants: list[users.PublicUserView]
    last_message: MessageView | None
    unread_count: int
    last_read_seq: int
    rev: int
    read_marks: dict[str, int]
    created_by: str
    created_at: datetime
    updated_at: datetime
    muted: bool


class MessagePreview(TypedDict):
    """What a notification shows of a message."""

    id: str
    seq: int
    sender_id: str
    body: str  # shortened


def preview(message: MessageView) -> MessagePreview:
    """What a notification shows of a message: {id, seq, sender_id, body (shortened)}."""
    return {
        "id": message["id"],
        "seq": message["seq"],
        "sender_id": message["sender_id"],
        "body": message["body"][:PREVIEW_CHARACTERS],
    }


def _last_message(conversation: dict[str, Any]) -> MessageView | None:
    """The inbox summary as a message view (the summary is set in the update that assigns the
    seq: its seq is the conversation's unless it says otherwise)."""
    last = conversation.get("last_message")
    if not last:
        return None
    summary = cast(MessageDocument, {"seq": conversation["seq"], **last})
    return message_view(conversation["_id"], summary)


def run_of(conversation: dict[str, Any], user_id: ObjectId) -> dict[str, Any]:
    """The user's run of unread messages: {count, last_message (a preview, or None)}."""
    last = _last_message(conversation)
    return {
        "count": unread_count(conversation, user_id),
        "last_message": preview(last) if last else None,
    }


def view(
    conversation: dict[str, Any], viewer_id: ObjectId, people: dict[ObjectId, dict[str, Any]]
) -> ConversationView:
    """`conversation` as `viewer_id` sees it; `people` maps participant ids to user documents."""
    last_read = _last_read(conversation, viewer_id)
    return {
        "id": str(conversation["_id"]),
        "kind": conversation["kind"],
        "title": conversation.get("title"),
        "participants": [
            users.public_view(people[p]) for p in conversation["participants"] if p in people
        ],
        "last_message": _last_message(conversation),
        "unread_count": unread_count(conversation, viewer_id),
        "last_read_seq": last_read,
        "rev": conversation["rev"],
        "read_marks": read_marks(conversation),
        "created_by": str(conversation["created_by"]),
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
        "muted": viewer_id in conversation.get("muted_by", ()),
    }


async def people_of(
    db: DocumentDatabase, conversations: list[dict[str, Any]]
) -> dict[ObjectId, dict[str, Any]]:
    """The user documents of every participant of `conversations`, in one query."""
    return await users.public_users(
        db, (p for conversation in conversations for p in conversation["participants"])
    )


# -- creating ------------------------------------------------------------------------------


async def create(
    db: DocumentDatabase, creator_id: ObjectId, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Open a conversation from loaded NewConversationSchema `data`: (document, created).

    With exactly one other participant it is the pair's direct conversation: asking again, or
    both sides asking at once, returns the same one (the unique `direct_key` decides).
    """
    others = list(dict.fromkeys(p for p in data["participant_ids"] if p != creator_id))
    if not others:
        raise field_error("participant_ids", "Name at least one other user.")
    people = await users.standings(db, [creator_id, *others])
    unknown = [p for p in others if p not in people]
    if unknown:
        raise validation_error({"participant_ids": [f"Unknown user id: {p}" for p in unknown]})
    participants = [creator_id, *others]
    now = utcnow()
    document: dict[str, Any] = {
        "_id": ObjectId(),
        "kind": "group",
        "title": data.get("title"),
        "participants": participants,
        "members": {
            str(p): {"last_read_seq": 0, "joined_at": now, **users.mirrored(people.get(p, {}))}
            for p in participants
        },
        "seq": 0,
        "rev": 0,
        "last_message": None,
        "skipped": [],
        "created_by": creator_id,
        "created_at": now,
        "updated_at": now,
    }
    if len(others) > 1:
        await db[COLLECTION].insert_one(document)
        return document, True
    return await _direct(db, document)


def _direct_key(participants: list[ObjectId]) -> str:
    return ":".join(sorted(str(p) for p in participants))


async def direct_between(
    db: DocumentDatabase, user_id: ObjectId, other_id: ObjectId
) -> dict[str, Any] | None:
    """The direct conversation of two people, if they have one (never creates it)."""
    if user_id == other_id:
        return None
    return await db[COLLECTION].find_one({"direct_key": _direct_key([user_id, other_id])})


async def _direct(db: DocumentDatabase, document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    key = _direct_key(document["participants"])
    document = {**document, "kind": "direct", "title": None, "direct_key": key}
    try:
        conversation = await db[COLLECTION].find_one_and_update(
            {"direct_key": key},
            {"$setOnInsert": {k: v for k, v in document.items() if k != "direct_key"}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:
        # Both sides created it at the same moment; the other insert won.
        conversation = await db[COLLECTION].find_one({"direct_key": key})
    assert conversation is not None  # the one whose insert won
    return conversation, conversation["_id"] == document["_id"]


# -- group membership ------------------------------------------------------------------------


async def group_of(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId
) -> dict[str, Any]:
    """The group `user_id` takes part in (404 otherwise); 400 for a direct conversation, whose
    two participants and missing title never change."""
    conversation = await for_member(db, conversation_id, user_id)
    if conversation["kind"] != "group":
        raise field_error(
            "conversation_id", "A direct conversation keeps its two participants and no title."
        )
    return conversation


async def add_members(
    db: DocumentDatabase, conversation: dict[str, Any], user_ids: list[ObjectId]
) -> list[ObjectId]:
    """Add those of `user_ids` who are not participants yet (400 for unknown ids, or past
    MAX_PARTICIPANTS); they have read up to the current seq. Returns the users added."""
    new = [u for u in dict.fromkeys(user_ids) if u not in conversation["participants"]]
    if not new:
        return []
    people = await users.standings(db, new)
    unknown = [u for u in new if u not in people]
    if unknown:
        raise validation_error({"user_ids": [f"Unknown user id: {u}" for u in unknown]})
    if len(conversation["participants"]) + len(new) > MAX_PARTICIPANTS:
        raise field_error("user_ids", f"A group has at most {MAX_PARTICIPANTS} participants.")
    now = utcnow()
    joined = {"last_read_seq": conversation["seq"], "joined_at": now}
    await db[COLLECTION].update_one(
        {"_id": conversation["_id"]},
        {
            "$addToSet": {"participants": {"$each": new}},
            "$set": {f"members.{u}": {**joined, **users.mirrored(people[u])} for u in new},
        },
    )
    return new


async def remove_member(db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId) -> None:
    """Take `user_id` out of the conversation: from now on it is a 404 to them."""
    result = await db[COLLECTION].update_one(
        {"_id": conversation_id, "participants": user_id},
        {"$pull": {"participants": user_id}, "$unset": {f"members.{user_id}": ""}},
    )
    if result.matched_count == 0:
        raise not_found("member")


async def rename(db: DocumentDatabase, conversation_id: ObjectId, title: str) -> None:
    await db[COLLECTION].update_one({"_id": conversation_id}, {"$set": {"title": title}})


# -- membership and reading ------------------------------------------------------------------


async def for_member(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    user_id: ObjectId,
    projection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The conversation (the fields of `projection`) if `user_id` takes part in it; else 404.

    This is the membership check: every access to a conversation goes through it.
    """
    conversation = await db[COLLECTION].find_one(
        {"_id": conversation_id, "participants": user_id}, projection
    )
    if conversation is None:
        raise not_found("conversation")
    return conversation


async def is_member(db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId) -> bool:
    """True when `user_id` takes part in the conversation."""
    found = await db[COLLECTION].count_documents(
        {"_id": conversation_id, "participants": user_id}, limit=1
    )
    return found > 0


async def participants_of(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId
) -> list[ObjectId]:
    """The participants of a conversation `user_id` takes part in; 404 otherwise."""
    conversation = await for_member(db, conversation_id, user_id, {"participants": 1})
    return list(conversation["participants"])


async def participants(db: DocumentDatabase, conversation_id: ObjectId) -> list[ObjectId]:
    """Who takes part in a conversation now (none when it does not exist)."""
    conversation = await db[COLLECTION].find_one({"_id": conversation_id}, {"participants": 1})
    return list((conversation or {}).get("participants", []))


async def mirror_standing(
    db: DocumentDatabase, user_id: ObjectId, changes: dict[str, dict[str, Any]]
) -> None:
    """Apply `changes` ({operator: {field: value}}) to `user_id`'s standing in every
    conversation it takes part in (users.mirrored), in the caller's unit."""
    update = {
        operator: {f"members.{user_id}.{field}": value for field, value in fields.items()}
        for operator, fields in changes.items()
    }
    await db[COLLECTION].update_many({"participants": user_id}, update)


async def set_muted(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, muted: bool
) -> None:
    """Mute (or unmute) a conversation for one member: 404 when not a member."""
    operation = "$addToSet" if muted else "$pull"
    result = await db[COLLECTION].update_one(
        {"_id": conversation_id, "participants": user_id}, {operation: {"muted_by": user_id}}
    )
    if result.matched_count == 0:
        raise not_found("conversation")


async def muted_by(db: DocumentDatabase, user_id: ObjectId) -> list[dict[str, Any]]:
    """The conversations `user_id` muted, most recently active first."""
    return (
        await db[COLLECTION]
        .find({"muted_by": user_id, "participants": user_id})
        .sort([("updated_at", -1)])
        .limit(500)
        .to_list(None)
    )


async def created_since(db: DocumentDatabase, creator_id: ObjectId, since: datetime) -> int:
    """How many conversations `creator_id` opened since `since` (the new-account limit)."""
    return await db[COLLECTION].count_documents(
        {"created_by": creator_id, "created_at": {"$gte": since}}
    )


async def inbox(db: DocumentDatabase, user_id: ObjectId, limit: int, cursor: str | None) -> Page:
    """The caller's conversations, most recent activity first."""
    return await find_page(
        db[COLLECTION],
        {"participants": user_id},
        INBOX,
        limit=limit,
        cursor=cursor,
    )


async def unread_runs(
    db: DocumentDatabase, user_id: ObjectId, conversation_ids: list[ObjectId]
) -> dict[ObjectId, dict[str, Any]]:
    """The user's runs of unread messages (`run_of`) in the conversations they take part in."""
    if not conversation_ids:
        return {}
    found = (
        await db[COLLECTION]
        .find(
            {"_id": {"$in": conversation_ids}, "participants": user_id},
            {"seq": 1, "last_message": 1, "skipped": 1, f"members.{user_id}": 1},
        )
        .to_list(None)
    )
    return {conversation["_id"]: run_of(conversation, user_id) for conversation in found}


async def peers(db: DocumentDatabase, user_id: ObjectId) -> list[ObjectId]:
    """Everyone who shares a conversation with `user_id`."""
    found = await db[COLLECTION].distinct("participants", {"participants": user_id})
    return [p for p in found if p != user_id]


# -- sending ---------------------------------------------------------------------------------


async def reserve_seq(
    db: DocumentDatabase, conversation_id: ObjectId, sender_id: ObjectId, message: MessageDocument
) -> dict[str, Any]:
    """Assign the next seq and rev to `message` from `sender_id`, make it the inbox summary
    and move the sender's read marker to it, in one conditional update (an update pipeline, so
    the marker and the summary take the new numbers): the conversation's {participants, seq,
    rev}. 404 when not a member."""
    conversation = await db[COLLECTION].find_one_and_update(
        {"_id": conversation_id, "participants": sender_id},
        [
            {
                "$set": {
                    "seq": {"$add": ["$seq", 1]},
                    "rev": {"$add": ["$rev", 1]},
                    "updated_at": {"$literal": message["created_at"]},
                    "last_message": {"$literal": message},
                }
            },
            {
                "$set": {
                    f"members.{sender_id}.last_read_seq": "$seq",
                    "last_message.rev": "$rev",
                }
            },
        ],
        projection={
            "participants": 1,
            "seq": 1,
            "rev": 1,
            "kind": 1,
            "muted_by": 1,
            f"members.{sender_id}": 1,  # the sender's standing (users.mirrored)
        },
        return_document=ReturnDocument.AFTER,
    )
    if conversation is None:
        raise not_found("conversation")
    return conversation


async def skip_seq(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    unused: MessageDocument,
    stored: MessageDocument,
) -> None:
    """The seq assigned to `unused` will hold no message, because `stored` (the same send,
    stored first) holds it: unread counts leave the seq out, and a summary that shows `unused`
    shows `stored` instead."""
    await db[COLLECTION].update_one(
        {"_id": conversation_id}, {"$addToSet": {"skipped": unused["seq"]}}
    )
    summary = {k: v for k, v in stored.items() if k != "conversation_id"}
    await db[COLLECTION].update_one(
        {"_id": conversation_id, "last_message._id": unused["_id"]},
        {"$set": {"last_message": summary}},
    )


async def next_rev(db: DocumentDatabase, conversation_id: ObjectId) -> int:
    """Take the conversation's next rev (for a change of one of its messages)."""
    conversation = await db[COLLECTION].find_one_and_update(
        {"_id": conversation_id},
        {"$inc": {"rev": 1}},
        projection={"rev": 1},
        return_document=ReturnDocument.AFTER,
    )
    if conversation is None:
        raise not_found("conversation")
    return int(conversation["rev"])


async def summary_changed(
    db: DocumentDatabase, conversation_id: ObjectId, message_id: ObjectId, changes: dict[str, Any]
) -> None:
    """A message was edited or deleted: the inbox summary follows if it shows that message."""
    await db[COLLECTION].update_one(
        {"_id": conversation_id, "last_message._id": message_id},
        {"$set": {f"last_message.{field}": value for field, value in changes.items()}},
    )


# -- read markers ----------------------------------------------------------------------------


async def advance_read_marker(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, seq: int
) -> tuple[int, bool, dict[str, Any]]:
    """Move the member's read marker forward to `seq` (never back, never past the last message).

    Returns (the marker, whether it moved, the conversation as it was: {participants, seq,
    members, last_message, skipped}).
    """
    conversation = await for_member(
        db,
        conversation_id,
        user_id,
        {"participants": 1, "seq": 1, "members": 1, "last_message": 1, "skipped": 1},
    )
    seq = min(seq, conversation["seq"])
    field = f"members.{user_id}.last_read_seq"
    result = await db[COLLECTION].update_one(
        {"_id": conversation_id, field: {"$lt": seq}}, {"$max": {field: seq}}
    )
    if result.modified_count:
        return seq, True, conversation
    marker = conversation["members"].get(str(user_id), {}).get("last_read_seq", 0)
    return max(seq, marker), False, conversation


# -- integrity (run.py --check) ---------------------------------------------------------------


def each(db: DocumentDatabase) -> AsyncIterator[dict[str, Any]]:
    """Every conversation's {seq, skipped, last_message}, for the integrity check."""
    return batches.each(db[COLLECTION], projection={"seq": 1, "skipped": 1, "last_message": 1})


async def correct_sequence(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    seq: int,
    skipped: list[int],
    last: MessageDocument | None,
) -> None:
    """Set what the stored messages say: the last seq, the seqs with no message, the summary."""
    summary = {k: v for k, v in last.items() if k != "conversation_id"} if last else None
    await db[COLLECTION].update_one(
        {"_id": conversation_id},
        {"$set": {"seq": seq, "skipped": skipped, "last_message": summary}},
    )


def each_membership(db: DocumentDatabase) -> AsyncIterator[dict[str, Any]]:
    """Every conversation's {participants, members}, for the integrity check."""
    return batches.each(db[COLLECTION], projection={"participants": 1, "members": 1})


async def set_member_standing(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, standing: dict[str, Any]
) -> None:
    """Replace a member's standing copy with `standing` (users.mirrored): the repair."""
    update: dict[str, Any] = {}
    fields = users.MIRRORED_FIELDS
    kept = {f"members.{user_id}.{f}": standing[f] for f in fields if f in standing}
    dropped = {f"members.{user_id}.{f}": "" for f in fields if f not in standing}
    if kept:
        update["$set"] = kept
    if dropped:
        update["$unset"] = dropped
    await db[COLLECTION].update_one({"_id": conversation_id}, update)


async def await_reply(
    db: DocumentDatabase, conversation_id: ObjectId, mentor_id: ObjectId, since: datetime
) -> None:
    """A mentee's first message to `mentor_id` waits for a reply from `since`: the mentor's
    standing copy carries it, so the send that replies sees it at no extra read."""
    await db[COLLECTION].update_one(
        {"_id": conversation_id}, {"$set": {f"members.{mentor_id}.awaiting_reply_since": since}}
    )


async def replied(db: DocumentDatabase, conversation_id: ObjectId, mentor_id: ObjectId) -> None:
    """The mentor replied: nothing waits any more."""
    await db[COLLECTION].update_one(
        {"_id": conversation_id}, {"$unset": {f"members.{mentor_id}.awaiting_reply_since": ""}}
    )
