"""Rendered answers kept for a moment: a public listing answered without reading the store.

An answer is kept under its query for at most `ttl` seconds, and only while the collection
it was read from has not changed in this process (hypee/watch.py): a change made here is seen
at once, one made by another process within `ttl`. An answer read while the collection
changed is not kept. Each answer carries an ETag (a digest of its bytes) for 304s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hypee import clock
from hypee.watch import Generations

MAX_ENTRIES = 512


@dataclass(frozen=True)
class Answer:
    """A rendered answer: its bytes and their ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class _Entry:
    answer: Answer
    generation: int
    expires: float


class AnswerCache:
    """Answers read from collection `source`, by query key."""

    def __init__(self, generations: Generations, source: str, ttl: float) -> None:
        self.generations = generations
        self.source = source
        self.ttl = ttl
        self._entries: dict[str, _Entry] = {}

    async def answer(self, key: str, render: Callable[[], Awaitable[bytes]]) -> Answer:
        """The answer kept for `key`, or the one `render` makes now (kept when it can be)."""
        generation = self.generations[self.source]
        now = clock.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.generation == generation and entry.expires > now:
            return entry.answer
        body = await render()
        answer = Answer(body, f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"')
        if self.ttl > 0 and self.generations[self.source] == generation:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(answer, generation, now + self.ttl)
        return answer
