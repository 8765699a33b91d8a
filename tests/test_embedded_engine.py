"""Unit tests of the embedded engine: keys, filters, updates, plans, and the collection API
compared with MongoDB's documented behaviour (no server)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from pymongo import IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from hypee.db import open_embedded
from hypee.embedded.documents import UnindexedQuery
from hypee.embedded.indexes import IndexSpec
from hypee.embedded.keys import Unsupported, encode
from hypee.embedded.matching import compile_filter
from hypee.embedded.planning import PlanCache, plan
from hypee.embedded.updating import apply, upsert_base

# -- keys -----------------------------------------------------------------------------------


def test_keys_order_values_as_mongodb_does() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    ordered = [
        None,
        float("-inf"),
        -5,
        -1.5,
        0,
        2,
        2.5,
        10**15,
        "",
        "A",
        "a",
        "ab",
        "é",
        {"a": 1},
        [1],
        ObjectId("000000000000000000000001"),
        ObjectId("ffffffffffffffffffffffff"),
        False,
        True,
        when - timedelta(days=1000 * 365),
        when,
    ]
    keys = [encode(value) for value in ordered]
    assert keys == sorted(keys)
    assert encode(2) == encode(2.0) and encode(True) != encode(1)


# -- filters --------------------------------------------------------------------------------

DOC = {
    "_id": 1,
    "name": "Ana",
    "tags": ["a", "b"],
    "n": 5,
    "when": datetime(2026, 5, 1, tzinfo=UTC),
    "members": {"x": {"read": 3}},
    "list": [{"k": 1, "v": "p"}, {"k": 2, "v": "q"}],
    "none": None,
}


@pytest.mark.parametrize(
    "query, matches",
    [
        ({"name": "Ana"}, True),
        ({"name": "ana"}, False),
        ({"tags": "b"}, True),
        ({"tags": ["a", "b"]}, True),
        ({"missing": None}, True),
        ({"none": None}, True),
        ({"name": None}, False),
        ({"n": {"$gt": 4, "$lte": 5}}, True),
        ({"n": {"$gt": "4"}}, False),  # type-bracketed: a number is not above a string
        ({"when": {"$lt": datetime(2026, 6, 1, tzinfo=UTC)}}, True),
        ({"members.x.read": {"$gte": 3}}, True),
        ({"list.k": 2}, True),
        ({"list": {"$elemMatch": {"k": 2, "v": "q"}}}, True),
        ({"list": {"$elemMatch": {"k": 2, "v": "p"}}}, False),
        ({"tags": {"$all": ["a", "b"]}}, True),
        ({"tags": {"$all": ["a", "c"]}}, False),
        ({"tags": {"$in": ["c", "b"]}}, True),
        ({"tags": {"$nin": ["c", "b"]}}, False),
        ({"name": {"$ne": "Bo"}}, True),
        ({"missing": {"$exists": False}}, True),
        ({"none": {"$exists": True}}, True),
        ({"name": {"$regex": "^A"}}, True),
        ({"name": {"$regex": "^a", "$options": "i"}}, True),
        ({"$or": [{"n": 1}, {"name": "Ana"}]}, True),
        ({"$and": [{"n": 5}, {"name": "Bo"}]}, False),
        ({"tags": {"$size": 2}}, True),
        ({"n": {"$not": {"$gt": 4}}}, False),
    ],
)
def test_filters_match_as_mongodb_does(query: dict, matches: bool) -> None:
    assert compile_filter(query)(DOC) is matches


def test_unknown_operators_fail_loudly() -> None:
    with pytest.raises(Unsupported):
        compile_filter({"n": {"$where": "1"}})


# -- updates --------------------------------------------------------------------------------


def test_update_operators() -> None:
    document = {"_id": 1, "n": 1, "tags": ["a"], "deep": {"x": 1}, "gone": 1}
    apply(
        document,
        {
            "$inc": {"n": 2, "count": 1},
            "$set": {"deep.y.z": 3},
            "$unset": {"gone": ""},
            "$max": {"deep.x": 0, "high": 4},
            "$min": {"low": 2},
            "$push": {"tags": {"$each": ["b", "c", "d"], "$slice": -3}},
            "$addToSet": {"set": 1},
        },
    )
    assert document == {
        "_id": 1,
        "n": 3,
        "count": 1,
        "tags": ["b", "c", "d"],
        "deep": {"x": 1, "y": {"z": 3}},
        "high": 4,
        "low": 2,
        "set": [1],
    }
    apply(document, {"$pull": {"tags": "c"}, "$addToSet": {"set": 1}})
    assert document["tags"] == ["b", "d"] and document["set"] == [1]
    with pytest.raises(Unsupported):
        apply(document, {"$set": {"_id": 2}})
    with pytest.raises(Unsupported):
        apply(document, {"n": 1})  # replacing is not supported


def test_update_pipelines_compute_from_the_document() -> None:
    document = {"_id": 1, "seq": 4, "members": {"a": {"read": 1}}}
    apply(
        document,
        [
            {"$set": {"seq": {"$add": ["$seq", 1]}, "note": {"$literal": "$not a path"}}},
            {"$set": {"members.a.read": "$seq"}},
        ],
    )
    assert document == {"_id": 1, "seq": 5, "members": {"a": {"read": 5}}, "note": "$not a path"}


def test_an_upsert_starts_from_the_filters_equalities() -> None:
    base = upsert_base({"a": 1, "$and": [{"b.c": 2}], "d": {"$gt": 1}, "e": {"$eq": 3}})
    assert base == {"a": 1, "b": {"c": 2}, "e": 3}


# -- plans ----------------------------------------------------------------------------------

INBOX = IndexSpec("inbox", (("participants", 1), ("updated_at", -1), ("_id", -1)), "x1")
UNIQUE = IndexSpec("direct", (("direct_key", 1),), "x2", unique=True, sparse=True)
MENTORS = IndexSpec(
    "points", (("points", -1), ("_id", -1)), "x3", partial={"mentor": {"$exists": True}}
)


def test_the_plan_uses_the_index_and_yields_its_sort() -> None:
    chosen = plan("c1", [INBOX, UNIQUE], {"participants": 7}, [("updated_at", -1), ("_id", -1)])
    assert chosen.index is INBOX and chosen.ordered
    backwards = plan("c1", [INBOX], {"participants": 7}, [("updated_at", 1), ("_id", 1)])
    assert backwards.ordered and "ASC" in backwards.sql


def test_a_sparse_index_is_not_used_for_missing_values() -> None:
    assert plan("c1", [UNIQUE], {"direct_key": "a:b"}, []).index is UNIQUE
    assert plan("c1", [UNIQUE], {"direct_key": None}, []).scans


def test_a_partial_index_needs_its_condition_in_the_query() -> None:
    sort = [("points", -1), ("_id", -1)]
    assert plan("c1", [MENTORS], {"mentor": {"$exists": True}}, sort).index is MENTORS
    assert plan("c1", [MENTORS], {}, sort).index is None


def test_exact_plans_count_without_reading_documents() -> None:
    assert plan("c1", [UNIQUE], {"direct_key": "k"}, []).exact
    assert not plan("c1", [INBOX], {"participants": 1, "other": 2}, []).exact


PENDING = IndexSpec("pending", (("k", 1),), "x4", partial={"state": "pending"}, committed=True)


def test_kept_plans_take_each_querys_values_and_tell_shapes_apart() -> None:
    plans = PlanCache()
    indexes = [INBOX, UNIQUE, PENDING]
    for spec in indexes:
        spec.committed = True
    first = plans.plan("c1", indexes, False, {"direct_key": "a:b"}, [])
    again = plans.plan("c1", indexes, False, {"direct_key": "c:d"}, [])
    assert again.sql == first.sql and again.index is UNIQUE
    assert again.params == [encode("c:d")] and first.params == [encode("a:b")]
    # A null is another shape: a sparse index cannot answer it.
    assert plans.plan("c1", indexes, False, {"direct_key": None}, []).scans
    # A partial index's condition is kept whole: another value is another plan.
    assert plans.plan("c1", indexes, False, {"state": "pending", "k": 1}, []).index is PENDING
    assert plans.plan("c1", indexes, False, {"state": "done", "k": 1}, []).index is None
    # An $in list with a repeated value is planned afresh, with one parameter per value.
    plans.plan("c1", indexes, False, {"direct_key": {"$in": ["a", "b"]}}, [])
    repeated = plans.plan("c1", indexes, False, {"direct_key": {"$in": ["a", "a"]}}, [])
    assert repeated.params == [encode("a")] and repeated.sql.count("?") == 1
    # An index that becomes usable is weighed again.
    later = IndexSpec("by_k", (("k", 1),), "x5")
    assert plans.plan("c1", [*indexes, later], True, {"k": 2}, []).index is None
    later.committed = True
    assert plans.plan("c1", [*indexes, later], True, {"k": 2}, []).index is later


# -- the collection API ----------------------------------------------------------------------


@pytest.fixture
async def db():
    store = open_embedded("unit", None, strict=True)
    yield store.db
    await store.close()


async def test_unique_and_sparse_indexes(db) -> None:
    await db.things.create_indexes([IndexModel("key", unique=True, sparse=True)])
    await db.things.insert_many([{"_id": 1}, {"_id": 2}])  # no key: not in the sparse index
    await db.things.insert_one({"key": "a"})
    with pytest.raises(DuplicateKeyError):
        await db.things.insert_one({"key": "a"})
    with pytest.raises(DuplicateKeyError):
        await db.things.update_one({"_id": 1}, {"$set": {"key": "a"}})
    assert await db.things.count_documents({"key": "a"}) == 1


async def test_find_one_and_update_returns_before_or_after_and_upserts(db) -> None:
    await db.things.create_indexes([IndexModel("k", unique=True)])
    before = await db.things.find_one_and_update(
        {"k": 1}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.BEFORE
    )
    assert before is None
    after = await db.things.find_one_and_update(
        {"k": 1}, {"$inc": {"n": 1}}, projection={"n": 1, "_id": 0}, return_document=True
    )
    assert after == {"n": 2}


async def test_bulk_upserts_report_what_they_created(db) -> None:
    await db.things.create_indexes([IndexModel("k", unique=True)])
    await db.things.insert_one({"k": "old", "n": 1})
    result = await db.things.bulk_write(
        [
            UpdateOne({"k": "old"}, {"$inc": {"n": 1}}, upsert=True),
            UpdateOne({"k": "new"}, {"$inc": {"n": 1}}, upsert=True),
        ]
    )
    assert result.matched_count == 1 and list(result.upserted_ids) == [1]


async def test_strict_mode_refuses_a_query_no_index_serves(db) -> None:
    await db.things.insert_one({"n": 1})
    with pytest.raises(UnindexedQuery):
        await db.things.find_one({"n": 1})


async def test_a_failed_unit_leaves_nothing_and_readers_never_see_a_unit_in_progress(db) -> None:
    engine = db.engine
    with pytest.raises(RuntimeError):
        async with engine.atomic():
            await db.things.insert_one({"_id": 1})
            raise RuntimeError("undo")
    assert await db.things.find_one({"_id": 1}) is None

    seen_inside = asyncio.Event()
    release = asyncio.Event()

    async def unit() -> None:
        async with engine.atomic():
            await db.things.insert_one({"_id": 2})
            assert await db.things.find_one({"_id": 2}) is not None  # its own write
            seen_inside.set()
            await release.wait()

    task = asyncio.ensure_future(unit())
    await seen_inside.wait()
    assert await db.things.find_one({"_id": 2}) is None  # not committed yet
    release.set()
    await task
    assert await db.things.find_one({"_id": 2}) is not None


async def test_concurrent_writes_share_commits(db) -> None:
    engine = db.engine
    before = engine.commits
    await asyncio.gather(*(db.things.insert_one({"n": n}) for n in range(50)))
    assert await db.things.count_documents({}) == 50
    assert engine.commits - before < 50  # grouped: one fsync served several writes


async def test_kept_plans_find_each_querys_own_documents(db) -> None:
    await db.things.create_indexes([IndexModel([("owner", 1), ("n", 1)], unique=True)])
    await db.things.insert_many([{"owner": o, "n": n} for o in ("a", "b") for n in range(5)])
    for owner in ("a", "b", "a"):
        found = await db.things.find({"owner": owner, "n": {"$gte": 3}}).to_list(None)
        assert [(t["owner"], t["n"]) for t in found] == [(owner, 3), (owner, 4)]
    assert await db.things.count_documents({"owner": "b", "n": {"$in": [1, 2, 3]}}) == 3
    assert await db.things.count_documents({"owner": "b", "n": {"$in": [1, 1, 2]}}) == 2


async def test_writes_to_a_watched_collection_move_its_generation_also_at_commit() -> None:
    store = open_embedded("unit", None)
    generations = store.watch(["users"])
    db = store.db
    await db.users.insert_one({"name": "Ana"})
    assert generations["users"] == 1
    await db.users.find_one({"name": "Ana"})
    await db.other.insert_one({"name": "Ana"})
    assert generations["users"] == 1  # reads and other collections leave it
    async with store.atomic():
        await db["users"].update_one({"name": "Ana"}, {"$set": {"name": "Bo"}})
        assert generations["users"] == 2
    assert generations["users"] == 3  # and once more when the unit committed
    await store.close()


async def test_commits_leave_checkpoints_to_the_checkpointer(db, tmp_path) -> None:
    engine = db.engine
    assert engine.write.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    engine.checkpoints.every = 3
    for n in range(3):
        await db.things.insert_one({"n": n})  # three commits: one checkpoint, in the background
    await engine.checkpoints.close()
    assert engine.checkpoints.done == 1
    # The database file alone (no log beside it) holds the commits now.
    copy = tmp_path / "copy.db"
    copy.write_bytes(engine.path.read_bytes())
    alone = sqlite3.connect(copy)
    try:
        tables = alone.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        assert tables.fetchone()[0] > 0
        table = db.catalog.get("things").table
        assert alone.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (3,)
    finally:
        alone.close()
