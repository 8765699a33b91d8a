"""Unit tests of the rules with arithmetic in them: cursors, points, vote worth, document locks.

No server: they call the core and the models directly, on an in-memory embedded database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from hypee import locks
from hypee.errors import ApiError, not_found
from hypee.pagination import Listing, after_filter, decode_cursor, encode_cursor, find_page
from hypee.realtime.hub import Hub
from models import points, users, votes

# -- cursors ----------------------------------------------------------------------------------

BY_DATE = Listing("things", [("at", -1), ("_id", -1)], (datetime, ObjectId))


def test_a_cursor_carries_typed_sort_values_of_its_listing() -> None:
    at, oid = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), ObjectId()
    cursor = encode_cursor("things", [at, oid])
    assert decode_cursor(cursor, "things", (datetime, ObjectId)) == [at, oid]


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor("other", [1, ObjectId()]),  # another listing
        encode_cursor("things", [True, ObjectId()]),  # a bool where an int belongs
        encode_cursor("things", [1]),  # too few values
        "%%%",  # not base64
        "bm90IGpzb24",  # base64 of "not json"
    ],
)
def test_a_foreign_or_tampered_cursor_is_a_400(cursor: str) -> None:
    with pytest.raises(ApiError) as caught:
        decode_cursor(cursor, "things", (int, ObjectId))
    assert caught.value.code == "validation_error"
    assert caught.value.fields == {"cursor": ["Invalid cursor."]}


def test_after_filter_continues_a_compound_sort() -> None:
    assert after_filter([("score", -1), ("_id", 1)], [5, "x"]) == {
        "$or": [{"score": {"$lt": 5}}, {"score": 5, "_id": {"$gt": "x"}}]
    }
    assert after_filter([("_id", -1)], ["x"]) == {"_id": {"$lt": "x"}}


def test_a_scoped_listing_does_not_accept_another_owners_cursor() -> None:
    mine, theirs = BY_DATE.scoped("a"), BY_DATE.scoped("b")
    cursor = encode_cursor(mine.name, [datetime.now(UTC), ObjectId()])
    with pytest.raises(ApiError):
        decode_cursor(cursor, theirs.name, theirs.types)


async def test_pages_neither_repeat_nor_skip_items_with_equal_sort_values(memory_db) -> None:
    same_moment = datetime(2026, 5, 1, tzinfo=UTC)
    ids = [ObjectId() for _ in range(7)]
    await memory_db.things.insert_many([{"_id": i, "at": same_moment} for i in ids])
    seen, cursor = [], None
    while True:
        page = await find_page(memory_db.things, {}, BY_DATE, limit=3, cursor=cursor)
        seen += [thing["_id"] for thing in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(ids, reverse=True)


# -- points -----------------------------------------------------------------------------------


async def new_user(db, points_now: int = 0) -> ObjectId:
    user_id = ObjectId()
    await db[users.COLLECTION].insert_one({"_id": user_id, "points": points_now})
    return user_id


async def points_of(db, user_id: ObjectId) -> int:
    return (await db[users.COLLECTION].find_one({"_id": user_id}))["points"]


async def test_points_never_go_below_zero_and_record_what_was_applied(memory_db) -> None:
    user = await new_user(memory_db, 1)
    effect = await points.grant(memory_db, user, -2, "question_downvoted", {"type": "q"})
    assert effect["delta"] == -1
    assert await points_of(memory_db, user) == 0
    stored = await memory_db[points.COLLECTION].find_one({"_id": effect["event_id"]})
    assert (stored["delta"], stored["undo"]) == (-1, False)


async def test_undoing_restores_exactly_the_points_before(memory_db) -> None:
    user = await new_user(memory_db, 1)
    ref = {"type": "answer", "id": ObjectId()}
    effects = [
        await points.grant(memory_db, user, 10, "answer_upvoted", ref),  # 11
        await points.grant(memory_db, user, -2, "answer_downvoted", ref),  # 9
        await points.grant(memory_db, user, -15, "answer_downvoted", ref),  # 0 (applied -9)
    ]
    assert await points_of(memory_db, user) == 0
    await points.undo(memory_db, effects)  # newest first: +9, +2, -10
    assert await points_of(memory_db, user) == 1


async def test_points_of_a_deleted_user_apply_nothing(memory_db) -> None:
    assert await users.add_points(memory_db, ObjectId(), -5) == 0
    assert await users.add_points(memory_db, ObjectId(), 5) == 0


async def test_concurrent_losses_never_overdraw(memory_db) -> None:
    user = await new_user(memory_db, 5)
    applied = await asyncio.gather(*(users.add_points(memory_db, user, -2) for _ in range(5)))
    assert sum(applied) == -5
    assert await points_of(memory_db, user) == 0


# -- vote worth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, value, expected",
    [
        ("question", 1, [("author", 5, "question_upvoted")]),
        ("answer", 1, [("author", 10, "answer_upvoted")]),
        ("question", -1, [("author", -2, "question_downvoted")]),
        ("answer", -1, [("author", -2, "answer_downvoted"), ("voter", -1, "downvoted_answer")]),
        ("answer", 0, []),
    ],
)
def test_what_a_vote_is_worth(target: str, value: int, expected: list) -> None:
    assert votes.worth(target, value) == expected


# -- document locks ---------------------------------------------------------------------------


async def test_a_lock_applies_its_update_and_releases(memory_db) -> None:
    await memory_db.docs.insert_one({"_id": 1, "n": 0})
    async with locks.locked(memory_db.docs, {"_id": 1}) as held:
        assert held.document["n"] == 0
        stamped = await memory_db.docs.find_one({"_id": 1})
        assert stamped["lock"]
        held.update_on_release({"$inc": {"n": 1}})
    after = await memory_db.docs.find_one({"_id": 1})
    assert after["n"] == 1 and "lock" not in after and "lock_at" not in after


async def test_a_failing_block_releases_without_its_update(memory_db) -> None:
    await memory_db.docs.insert_one({"_id": 1, "n": 0})
    with pytest.raises(RuntimeError):
        async with locks.locked(memory_db.docs, {"_id": 1}) as held:
            held.update_on_release({"$inc": {"n": 1}})
            raise RuntimeError("boom")
    assert await memory_db.docs.find_one({"_id": 1}) == {"_id": 1, "n": 0}


async def test_holders_take_turns(memory_db) -> None:
    await memory_db.docs.insert_one({"_id": 1, "n": 0})
    order: list[str] = []

    async def hold(name: str) -> None:
        async with locks.locked(memory_db.docs, {"_id": 1}) as held:
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")
            held.update_on_release({"$inc": {"n": 1}})

    await asyncio.gather(hold("a"), hold("b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    assert (await memory_db.docs.find_one({"_id": 1}))["n"] == 2


async def test_a_stale_lock_of_a_crashed_holder_is_taken_over(memory_db) -> None:
    long_ago = datetime.now(UTC) - timedelta(seconds=locks.STALE_SECONDS + 1)
    await memory_db.docs.insert_one({"_id": 1, "lock": "crashed", "lock_at": long_ago})
    async with locks.locked(memory_db.docs, {"_id": 1}) as held:
        held.delete_on_release()
    assert await memory_db.docs.find_one({"_id": 1}) is None


async def test_a_missing_document_raises_or_is_created(memory_db) -> None:
    with pytest.raises(locks.DocumentGone):
        async with locks.locked(memory_db.docs, {"_id": 1}):
            pass
    with pytest.raises(ApiError):
        async with locks.locked(memory_db.docs, {"_id": 1}, missing=not_found("thing")):
            pass
    async with locks.locked(memory_db.docs, {"_id": 2}, insert={"n": 7}) as held:
        assert held.document["n"] == 7
    assert await memory_db.docs.find_one({"_id": 2}) == {"_id": 2, "n": 7}


# -- presence ---------------------------------------------------------------------------------


class _Socket:
    def __init__(self, user_id: ObjectId) -> None:
        self.user_id = user_id


async def test_a_stopped_hub_announces_no_presence_change() -> None:
    """Sockets still closing during shutdown must not reach the (closed) store."""
    hub, told = Hub(), []

    async def record(user_id: ObjectId, online: bool) -> None:
        told.append(online)

    hub.on_presence = record
    socket = _Socket(ObjectId())
    await hub.join(socket)
    await asyncio.sleep(0.01)
    await hub.stop()
    await hub.leave(socket)
    await asyncio.sleep(0.01)
    assert told == [True]
