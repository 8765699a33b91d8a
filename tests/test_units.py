"""Units of work and their after-commit callbacks (hypee/units.py), on the engine the suite
runs on: the embedded engine, or MongoDB through PyMongo (`--wire`, HYPEE_TEST_MONGO_URI)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from bson import ObjectId
from pymongo.errors import OperationFailure

from hypee.db import Store, connect_mongo, open_embedded
from hypee.embedded.engine import StoreUnavailable
from hypee.units import TRANSIENT_ATTEMPTS, NoUnit, current_unit, retry_transient
from tests import conftest


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    if conftest.TEST_MONGO_URI:
        name = f"hypee_units_{uuid.uuid4().hex[:12]}"
        opened = connect_mongo(conftest.TEST_MONGO_URI, name, 5000)
        yield opened
        await opened.client.drop_database(name)
        await opened.close()
    else:
        opened = open_embedded("units", None)
        yield opened
        await opened.close()


async def test_callbacks_run_once_after_the_commit_in_order(store: Store):
    seen: list[tuple[str, bool]] = []
    first, second = ObjectId(), ObjectId()

    async def committed(name: str, doc_id: ObjectId) -> None:
        # Read outside the unit: only a committed write is visible here.
        found = await store.db.things.find_one({"_id": doc_id})
        seen.append((name, found is not None))

    async with store.atomic() as unit:
        await store.db.things.insert_one({"_id": first})
        unit.on_commit(lambda: committed("first", first))
        await store.db.things.insert_one({"_id": second})
        unit.on_commit(lambda: committed("second", second))
        unit.on_commit(lambda: seen.append(("plain function", True)))
        assert seen == []  # nothing runs before the unit ends
    assert seen == [("first", True), ("second", True), ("plain function", True)]


async def test_callbacks_never_run_when_the_unit_rolls_back(store: Store):
    seen: list[str] = []
    with pytest.raises(RuntimeError):
        async with store.atomic() as unit:
            await store.db.things.insert_one({"_id": ObjectId()})
            unit.on_commit(lambda: seen.append("after a rollback"))
            raise RuntimeError("the change fails half-way")
    assert seen == []
    async with store.atomic() as unit:  # the next unit starts clean
        unit.on_commit(lambda: seen.append("next"))
    assert seen == ["next"]


async def test_an_inner_unit_is_part_of_the_outer_one(store: Store):
    seen: list[str] = []
    async with store.atomic() as outer:
        outer.on_commit(lambda: seen.append("outer"))
        async with store.atomic() as inner:
            assert inner is outer and current_unit() is outer
            inner.on_commit(lambda: seen.append("inner"))
        assert seen == []  # the inner block's end is not a commit
    assert seen == ["outer", "inner"]
    with pytest.raises(NoUnit):
        current_unit()


async def test_a_failing_callback_does_not_stop_the_others(store: Store, caplog):
    seen: list[str] = []

    def broken() -> None:
        raise ValueError("a socket went away")

    async with store.atomic() as unit:
        unit.on_commit(broken)
        unit.on_commit(lambda: seen.append("still told"))
    assert seen == ["still told"]
    assert "after-commit work failed" in caplog.text


async def test_no_callback_runs_when_the_commit_itself_fails(monkeypatch):
    store = open_embedded("units", None)
    try:
        seen: list[str] = []

        async def refuse(mark: int | None = None) -> None:
            raise StoreUnavailable("the write was not committed", "disk full")

        assert store.engine is not None
        monkeypatch.setattr(store.engine, "durable", refuse)
        with pytest.raises(StoreUnavailable):
            async with store.atomic() as unit:
                await store.db.things.insert_one({"_id": ObjectId()})
                unit.on_commit(lambda: seen.append("told about a lost write"))
        assert seen == []
    finally:
        monkeypatch.undo()
        await store.close()


async def test_a_transient_rollback_runs_the_outermost_operation_again(store: Store):
    calls: list[str] = []

    @retry_transient
    async def inner() -> None:
        calls.append("inner")
        labels = {"errorLabels": ["TransientTransactionError"]}
        raise OperationFailure("write conflict", code=112, details=labels)

    @retry_transient
    async def outer() -> None:
        calls.append("outer")
        async with store.atomic():
            await inner()  # inside a unit: no retry of its own

    with pytest.raises(OperationFailure):
        await outer()
    assert calls == ["outer", "inner"] * TRANSIENT_ATTEMPTS

    @retry_transient
    async def broken() -> None:
        calls.append("broken")
        raise OperationFailure("not transient", code=2)

    calls.clear()
    with pytest.raises(OperationFailure):
        await broken()
    assert calls == ["broken"]
