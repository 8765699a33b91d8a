"""The database handle models receive: the PyMongo-shaped calls both engines answer.

`DocumentDatabase` is what `store.db` is: PyMongo's async database (behind
hypee/mongo.py's session wrapper) or the embedded engine's (hypee/embedded/collections.py).
`db[name]` is a `DocumentCollection[Document]`; a model that owns a collection narrows it to
its own document type once (`typed(db[COLLECTION], UserDocument)`), so what its queries return
is typed from there on. Only the calls the models make are listed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

Document = dict[str, Any]
Filter = Mapping[str, Any]
Projection = Mapping[str, Any] | Sequence[str] | None
Sort = Sequence[tuple[str, int]]

D = TypeVar("D")


class InsertOneResult(Protocol):
    @property
    def inserted_id(self) -> Any: ...


class UpdateResult(Protocol):
    @property
    def matched_count(self) -> int: ...
    @property
    def modified_count(self) -> int: ...
    @property
    def upserted_id(self) -> Any: ...


class DeleteResult(Protocol):
    @property
    def deleted_count(self) -> int: ...


class DocumentCursor(Protocol[D]):
    """What `find()` returns: sorted, skipped, limited, then listed or iterated."""

    def sort(self, key: Any, direction: int | None = None) -> DocumentCursor[D]: ...
    def skip(self, count: int) -> DocumentCursor[D]: ...
    def limit(self, count: int) -> DocumentCursor[D]: ...
    async def to_list(self, length: int | None = None) -> list[D]: ...
    def __aiter__(self) -> AsyncIterator[D]: ...


class DocumentCollection(Protocol[D]):
    """One collection's documents (of type `D`)."""

    @property
    def name(self) -> str: ...
    def find(
        self, filter: Filter | None = None, projection: Projection = None
    ) -> DocumentCursor[D]: ...
    async def find_one(
        self, filter: Filter | None = None, projection: Projection = None, *, sort: Any = None
    ) -> D | None: ...
    async def count_documents(self, filter: Filter, *, limit: int | None = None) -> int: ...
    async def distinct(self, key: str, filter: Filter | None = None) -> list[Any]: ...
    async def insert_one(self, document: D) -> InsertOneResult: ...
    async def update_one(
        self, filter: Filter, update: Any, upsert: bool = False
    ) -> UpdateResult: ...
    async def update_many(
        self, filter: Filter, update: Any, upsert: bool = False
    ) -> UpdateResult: ...
    async def delete_one(self, filter: Filter) -> DeleteResult: ...
    async def delete_many(self, filter: Filter) -> DeleteResult: ...
    async def find_one_and_update(
        self,
        filter: Filter,
        update: Any,
        projection: Projection = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = False,
    ) -> D | None: ...
    async def find_one_and_delete(
        self, filter: Filter, projection: Projection = None, sort: Any = None
    ) -> D | None: ...
    async def create_indexes(self, indexes: list[Any]) -> list[str]: ...


class DocumentDatabase(Protocol):
    """`store.db`: collections by name, and the few database-wide calls the code makes."""

    def __getitem__(self, name: str) -> DocumentCollection[Document]: ...
    async def command(self, name: str, *args: Any, **kwargs: Any) -> Document: ...
    async def list_collection_names(self) -> list[str]: ...
    async def drop_collection(self, name: str) -> Any: ...


def typed(collection: DocumentCollection[Document], kind: type[D]) -> DocumentCollection[D]:
    """`collection` seen as holding documents of `kind` (a TypedDict of its owner model)."""
    return cast(DocumentCollection[D], collection)
