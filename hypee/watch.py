"""Which collections changed: a generation per watched collection, moved by every write.

`WatchedDatabase` stands in front of `store.db` (either engine) and hands out the watched
collections behind a proxy whose writes move their collection's generation when the write
returns and again when the unit of work it ran in commits (a reader that filled a cache from
the data before the commit then finds the generation moved). A rolled-back unit only moves
it once more than needed. Unwatched collections are handed out as they are, at no cost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from hypee.dbapi import Document, DocumentCollection, DocumentDatabase
from hypee.units import unit_in_progress

WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "delete_one",
        "delete_many",
        "bulk_write",
        "drop",
    }
)


class Generations:
    """A counter per watched collection; only ever grows."""

    def __init__(self, names: Iterable[str]) -> None:
        self._counts = dict.fromkeys(names, 0)

    def __getitem__(self, name: str) -> int:
        return self._counts[name]

    def moved(self, name: str) -> None:
        self._counts[name] += 1
        unit = unit_in_progress()
        if unit is not None:
            unit.on_commit(lambda: self._bump(name))

    def _bump(self, name: str) -> None:
        self._counts[name] += 1


class WatchedCollection:
    """A collection whose write calls move its generation once they return."""

    def __init__(self, collection: Any, moved: Callable[[], None]) -> None:
        self._collection = collection
        self._moved = moved

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name in WRITES:
            attribute = _moving(attribute, self._moved)
        setattr(self, name, attribute)
        return attribute


def _moving(method: Callable[..., Any], moved: Callable[[], None]) -> Callable[..., Any]:
    """`method` (a write), calling `moved` once it returns or raises."""

    @functools.wraps(method)
    async def write(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        finally:
            moved()

    return write


class WatchedDatabase:
    """`db` with `generations` moved by every write to one of its collections."""

    def __init__(self, db: DocumentDatabase, generations: Generations, names: Iterable[str]):
        self._db = db
        self.generations = generations
        self._watched: dict[str, Any] = {
            name: WatchedCollection(db[name], functools.partial(generations.moved, name))
            for name in names
        }

    def __getitem__(self, name: str) -> DocumentCollection[Document]:
        watched = self._watched.get(name)
        return watched if watched is not None else self._db[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._watched.get(name) or getattr(self._db, name)
