"""Messages: one document each, numbered by their conversation's `seq`.

Storing a message takes the next seq of its conversation (models/conversations.py, one
conditional update that also checks membership and sets the inbox summary), then inserts the
message under two unique indexes: (conversation, seq), and (conversation, sender, client id),
which makes a retried send with the same client id a replay of the stored message.

On the embedded engine a send is one transaction. On MongoDB the two writes can be separated
by a crash, which leaves a seq with no message: nothing else is stranded (the client id was
never registered, so a retry stores the message anew), the hole is skipped by history and
resume, and `run.py --repair` records it so unread counts stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.errors import ApiError, conflict, forbidden, not_found, stale, validation_error
from hypee.jsonio import utcnow
from hypee.pagination import Page, decode_cursor, encode_cursor
from models import conversations
from models.message_schemas import AttachmentView, MessageDocument, MessageView, message_view

COLLECTION = "messages"

INDEXES = {
    COLLECTION: [
        IndexModel([("conversation_id", 1), ("seq", 1)], unique=True, name="by_seq"),
        IndexModel(
            [("conversation_id", 1), ("sender_id", 1), ("client_id", 1)],
            unique=True,
            name="one_per_client_id",
        ),
        # The change log: a message keeps the rev of its last change (see models/conversations).
        IndexModel([("conversation_id", 1), ("rev", 1)], name="by_rev"),
        # A person's own messages: their data export, and erasing them with their account.
        IndexModel([("sender_id", 1), ("conversation_id", 1), ("seq", 1)], name="by_sender"),
    ]
}
CHANGES = "changes"


def _messages(db: DocumentDatabase) -> DocumentCollection[MessageDocument]:
    return typed(db[COLLECTION], MessageDocument)


@dataclass
class Stored:
    """The outcome of storing a message: its view, whether this call stored it (False for a
    replayed client id), and the conversation's participants (empty for a replay)."""

    message: MessageView
    created: bool
    participants: list[ObjectId]
    kind: str = "direct"  # the conversation's
    muted_by: list[ObjectId] = field(default_factory=list)
    # The sender's standing as the conversation keeps it (users.mirrored).
    sender_standing: dict[str, Any] = field(default_factory=dict)


def new_message(
    sender_id: ObjectId,
    data: dict[str, Any],
    attachments: list[AttachmentView],
    message_id: ObjectId | None = None,
) -> MessageDocument:
    """The document of a message to store from loaded NewMessageSchema `data` (no seq yet)."""
    return {
        "_id": message_id or ObjectId(),
        "kind": "user",
        "event": None,
        "sender_id": sender_id,
        "body": data["body"],
        "attachments": attachments,
        "client_id": data["client_id"],
        "created_at": utcnow(),
        "edited_at": None,
        "deleted": False,
    }


def system_message(actor_id: ObjectId, event: dict[str, Any], body: str) -> MessageDocument:
    """The document of a system message: a change of the group by `actor_id`, described by
    `event` for programs and by `body` for people."""
    message = new_message(actor_id, {"client_id": f"system:{ObjectId()}", "body": body}, [])
    return {**message, "kind": "system", "event": event}


async def sent_before(
    db: DocumentDatabase, conversation_id: ObjectId, sender_id: ObjectId, client_id: str
) -> MessageView | None:
    """The view of the message `sender_id` stored here with `client_id`, if any (404 if the
    sender is not a participant)."""
    stored = await _messages(db).find_one(
        {"conversation_id": conversation_id, "sender_id": sender_id, "client_id": client_id}
    )
    if stored is None:
        return None
    await conversations.for_member(db, conversation_id, sender_id, {"_id": 1})
    return message_view(conversation_id, stored)


async def store(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    message: MessageDocument,
    *,
    checked: bool = False,
) -> Stored:
    """Store `message` (from `new_message`): a seq is assigned and the sender has read up to
    it (one update of the conversation), then the message is inserted. A client id its sender
    already used here returns the stored message instead; `checked` says the caller looked for
    one just before (a concurrent send of it is still caught by the unique index)."""
    sender_id = message["sender_id"]
    if not checked:
        replayed = await sent_before(db, conversation_id, sender_id, message["client_id"])
        if replayed is not None:
            return Stored(replayed, False, [])
    conversation = await conversations.reserve_seq(db, conversation_id, sender_id, message)
    document: MessageDocument = {
        **message,
        "conversation_id": conversation_id,
        "seq": conversation["seq"],
        "rev": conversation["rev"],
    }
    try:
        await _messages(db).insert_one(document)
    except DuplicateKeyError:
        # A concurrent send with the same client id stored it first: this seq stays unused.
        stored = await _messages(db).find_one(
            {
                "conversation_id": conversation_id,
                "sender_id": sender_id,
                "client_id": document["client_id"],
            }
        )
        if stored is None:
            raise conflict("This message could not be stored; send it again.") from None
        await conversations.skip_seq(db, conversation_id, document, stored)
        return Stored(message_view(conversation_id, stored), False, [])
    return Stored(
        message_view(conversation_id, document),
        True,
        conversation["participants"],
        conversation.get("kind", "direct"),
        list(conversation.get("muted_by", [])),
        conversation.get("members", {}).get(str(sender_id), {}),
    )


async def _between(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    seq_filter: dict[str, int],
    newest_first: bool,
    limit: int,
) -> list[MessageDocument]:
    return (
        await _messages(db)
        .find({"conversation_id": conversation_id, "seq": seq_filter})
        .sort([("seq", DESCENDING if newest_first else ASCENDING)])
        .limit(limit)
        .to_list(None)
    )


async def history(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, params: dict[str, Any]
) -> Page:
    """A page of message views, in seq order, for a loaded HistoryQuerySchema.

    `after` pages forward (catching up); `before`, or neither, pages back from the newest.
    An `after` beyond the conversation's last seq is 410 `stale` (see `catch_up`).
    """
    conversation = await conversations.for_member(db, conversation_id, user_id, {"seq": 1})
    if params.get("after", 0) > conversation["seq"]:
        raise stale("This conversation never reached that seq here; fetch it anew.")
    limit = params["limit"]
    listing = f"messages:{conversation_id}"
    direction: str = "before"
    position: int | None = params.get("before")
    bound: int | None = None
    if "after" in params:
        direction, position, bound = "after", params["after"], params.get("before")
    if params.get("cursor"):
        direction, position, bound = _history_cursor(params["cursor"], listing)
    if direction == "after":
        assert position is not None
        seqs: dict[str, int] = {"$gt": position}
        if bound is not None:
            seqs["$lt"] = bound
        found = await _between(db, conversation_id, seqs, False, limit + 1)
    else:
        seqs = {"$lt": position} if position is not None else {"$gte": 0}
        found = list(reversed(await _between(db, conversation_id, seqs, True, limit + 1)))
    more = len(found) > limit
    if direction == "after":
        found = found[:limit]
        last = found[-1]["seq"] if more else None
        next_cursor = None
        if last is not None:
            next_cursor = encode_cursor(
                listing, ["after", last] if bound is None else ["after", last, bound]
            )
    else:
        found = found[-limit:] if more else found
        next_cursor = encode_cursor(listing, ["before", found[0]["seq"]]) if more else None
    return Page([message_view(conversation_id, m) for m in found], next_cursor)


def _history_cursor(cursor: str, listing: str) -> tuple[str, int, int | None]:
    """(direction, seq, upper bound or None) of a history cursor; 400 when it is not one."""
    try:
        direction, position, bound = decode_cursor(cursor, listing, (str, int, int))
    except ApiError:
        direction, position = decode_cursor(cursor, listing, (str, int))
        bound = None
    if direction not in ("before", "after") or (bound is not None and direction != "after"):
        raise validation_error({"cursor": ["Invalid cursor."]})
    return direction, position, bound


@dataclass
class CatchUp:
    """What a returning client missed in one conversation (the `resume` frame)."""

    new: list[MessageView]  # messages after its seq cursor, in seq order
    gap_after: int | None  # the last seq of `new` when more remain (paged over REST)
    updated: list[MessageView]  # messages at or below the cursor changed after its rev
    stale: bool  # those changes cannot be listed: the client refetches the conversation
    read_marks: dict[str, int]


async def catch_up(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    user_id: ObjectId,
    after: tuple[int, int | None],
    limit: int,
) -> CatchUp:
    """What changed in a conversation since the client's (seq cursor, rev or None): up to
    `limit` new messages and up to `limit` changed ones (more than that: `stale`). A cursor
    or rev beyond what the conversation reached is `stale` too: the client holds numbers this
    store no longer has (data lost, or an older copy restored), and must refetch."""
    after_seq, after_rev = after
    projection = {"participants": 1, "members": 1, "rev": 1, "seq": 1}
    conversation = await conversations.for_member(db, conversation_id, user_id, projection)
    if after_seq > conversation["seq"]:
        return CatchUp([], None, [], True, conversations.read_marks(conversation))
    found = await _between(db, conversation_id, {"$gt": after_seq}, False, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    updated: list[MessageView] = []
    stale = after_rev is not None and after_rev > conversation["rev"]
    if after_rev is not None and not stale:
        updated = await changed_since(db, conversation_id, after_rev, limit + 1, after_seq)
        stale = len(updated) > limit
    return CatchUp(
        new=[message_view(conversation_id, m) for m in found],
        gap_after=found[-1]["seq"] if more else None,
        updated=[] if stale else updated,
        stale=stale,
        read_marks=conversations.read_marks(conversation),
    )


@dataclass
class Changed:
    """A message as it was before a change, its view after, and who takes part."""

    before: MessageDocument
    view: MessageView
    participants: list[ObjectId]


async def change_own(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    user_id: ObjectId,
    seq: int,
    changes: dict[str, Any],
) -> Changed:
    """Apply `changes` to the caller's message `seq`, which takes the conversation's next rev:
    404 when there is none, 403 when it is someone else's or a system message, 409 when it was
    deleted. A message only ever moves to a higher rev: of two changes racing on MongoDB, the
    one with the later rev stays, and the other answers with it."""
    conversation = await conversations.for_member(db, conversation_id, user_id, {"participants": 1})
    message = await _messages(db).find_one({"conversation_id": conversation_id, "seq": seq})
    if message is None:
        raise not_found("message")
    if message["sender_id"] != user_id or message.get("kind") == "system":
        raise forbidden("Only the sender can change a message, and system messages never.")
    if message.get("deleted"):
        raise conflict("This message was deleted.")
    changes = {**changes, "rev": await conversations.next_rev(db, conversation_id)}
    result = await _messages(db).update_one(
        {"_id": message["_id"], "deleted": False, "rev": {"$lt": changes["rev"]}},
        {"$set": changes},
    )
    if result.matched_count == 0:
        current = await _messages(db).find_one({"_id": message["_id"]})
        if current is None or current.get("deleted"):
            raise conflict("This message was deleted.")
        return Changed(
            message, message_view(conversation_id, current), conversation["participants"]
        )
    await conversations.summary_changed(db, conversation_id, message["_id"], changes)
    view = message_view(conversation_id, cast(MessageDocument, {**message, **changes}))
    return Changed(message, view, conversation["participants"])


async def changed_since(
    db: DocumentDatabase,
    conversation_id: ObjectId,
    after_rev: int,
    limit: int,
    up_to_seq: int | None = None,
) -> list[MessageView]:
    """Up to `limit` message views changed (stored, edited, deleted) after `after_rev`, in rev
    order; with `up_to_seq`, only messages at or below that seq."""
    query: dict[str, Any] = {"conversation_id": conversation_id, "rev": {"$gt": after_rev}}
    if up_to_seq is not None:
        query["seq"] = {"$lte": up_to_seq}
    found = await _messages(db).find(query).sort([("rev", ASCENDING)]).limit(limit).to_list(None)
    return [message_view(conversation_id, m) for m in found]


async def changes(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, params: dict[str, Any]
) -> Page:
    """A page of the messages changed after `after_rev` (a loaded ChangesQuerySchema), in rev
    order; 410 `stale` when the conversation never reached that rev (the client's copy comes
    from elsewhere, a database restored from a backup say) and must be fetched anew."""
    conversation = await conversations.for_member(db, conversation_id, user_id, {"rev": 1})
    listing = f"{CHANGES}:{conversation_id}"
    after_rev = params["after_rev"]
    if params.get("cursor"):
        (after_rev,) = decode_cursor(params["cursor"], listing, (int,))
    elif after_rev > conversation["rev"]:
        raise stale()
    limit = params["limit"]
    found = await changed_since(db, conversation_id, after_rev, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    next_cursor = encode_cursor(listing, [found[-1]["rev"]]) if more else None
    return Page(found, next_cursor)


async def exists(db: DocumentDatabase, message_id: ObjectId) -> bool:
    return await _messages(db).count_documents({"_id": message_id}, limit=1) > 0


async def seqs(db: DocumentDatabase, conversation_id: ObjectId) -> list[int]:
    """The seqs of a conversation's stored messages, ascending (the integrity check)."""
    found = (
        await _messages(db)
        .find({"conversation_id": conversation_id}, {"seq": 1})
        .sort([("seq", ASCENDING)])
        .to_list(None)
    )
    return [message["seq"] for message in found]


async def last(db: DocumentDatabase, conversation_id: ObjectId) -> MessageDocument | None:
    """A conversation's stored message with the highest seq."""
    found = await _between(db, conversation_id, {"$gte": 0}, True, 1)
    return found[0] if found else None


async def unread_by(
    db: DocumentDatabase, conversation_id: ObjectId, user_id: ObjectId, limit: int
) -> tuple[dict[str, Any] | None, list[MessageDocument]]:
    """(the conversation, or None when the user is no longer in it; the last `limit` messages
    others wrote after the user's read marker, as they are now, deleted ones left out)."""
    conversation = await db[conversations.COLLECTION].find_one(
        {"_id": conversation_id, "participants": user_id},
        {
            "kind": 1,
            "title": 1,
            "participants": 1,
            "muted_by": 1,
            "seq": 1,
            f"members.{user_id}": 1,
        },
    )
    if conversation is None:
        return None, []
    after = conversations.last_read(conversation, user_id)
    found = await _between(db, conversation_id, {"$gt": after}, True, UNREAD_SCAN)
    unread = [
        message
        for message in reversed(found)
        if not message["deleted"]
        and not message.get("hidden")
        and message["kind"] == "user"
        and message["sender_id"] != user_id
    ]
    return conversation, unread[-limit:]


# How far back an email about unread messages looks (newest first).
UNREAD_SCAN = 200


# -- moderation and deletion of accounts -------------------------------------------------------


async def by_id(db: DocumentDatabase, message_id: ObjectId) -> MessageDocument | None:
    """The message `message_id` (callers check the reader takes part in its conversation)."""
    return await _messages(db).find_one({"_id": message_id})


async def around(
    db: DocumentDatabase, message: MessageDocument, each_side: int
) -> list[MessageDocument]:
    """Up to `each_side` messages before and after `message`, in seq order (not itself)."""
    conversation_id = message["conversation_id"]
    seq = message["seq"]
    before = await _between(db, conversation_id, {"$lt": seq}, True, each_side)
    after = await _between(db, conversation_id, {"$gt": seq}, False, each_side)
    return [*reversed(before), *after]


async def _change(
    db: DocumentDatabase, message: MessageDocument, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply `changes` to a message, which takes its conversation's next rev (so clients
    catching up see it like an edit), and to the inbox summary showing it: the changes
    applied."""
    conversation_id = message["conversation_id"]
    changes = {**changes, "rev": await conversations.next_rev(db, conversation_id)}
    await _messages(db).update_one({"_id": message["_id"]}, {"$set": changes})
    await conversations.summary_changed(db, conversation_id, message["_id"], changes)
    return changes


async def set_hidden(db: DocumentDatabase, message: MessageDocument, hidden: bool) -> Changed:
    """Hide (or restore) a message for everyone."""
    conversation_id = message["conversation_id"]
    changes = await _change(db, message, {"hidden": hidden})
    participants = await conversations.participants(db, conversation_id)
    view = message_view(conversation_id, cast(MessageDocument, {**message, **changes}))
    return Changed(message, view, participants)


async def sent_by(db: DocumentDatabase, sender_id: ObjectId) -> list[MessageDocument]:
    """Every message `sender_id` wrote (their export; an erasure), in seq order per
    conversation."""
    return (
        await _messages(db)
        .find({"sender_id": sender_id, "kind": "user"})
        .sort([("conversation_id", 1), ("seq", 1)])
        .to_list(None)
    )


async def erase(db: DocumentDatabase, message: MessageDocument) -> None:
    """Turn one message into a deletion (its sender's account is deleted with its messages)."""
    await _change(db, message, {"deleted": True, "body": "", "attachments": []})
