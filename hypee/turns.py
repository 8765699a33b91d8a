"""Turns on the event loop: at most a few pieces of heavy work per pass of the loop.

Everything on the loop runs between two polls of its sockets. A unit of work on the embedded
engine runs synchronously from its start to its end, and a commit wakes every send it made
durable at once: under load, one pass could run eighty units (tens of milliseconds), and an
answer as small as /healthz would wait behind them. `Turns.take()` lets about `per_pass`
pieces through in one pass; the others wait, in order, for the next passes, while the
sockets that became ready are served in between.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Turns:
    """A budget of pieces of work per pass of the running loop, and the queue past it."""

    def __init__(self, per_pass: int) -> None:
        self.per_pass = per_pass
        self._taken = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> None:
        """Return once a pass has room for this piece of work (at once, when this one has)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (a test, a maintenance command): start afresh
            self._loop, self._taken, self._waiting = loop, 0, deque()
        if self._taken < self.per_pass and not self._waiting:
            self._count()
            return
        turn = loop.create_future()
        self._waiting.append(turn)
        await turn

    def _count(self) -> None:
        if self._taken == 0:
            # Runs first in the next pass, before the callbacks its poll adds.
            asyncio.get_running_loop().call_soon(self._new_pass)
        self._taken += 1

    def _new_pass(self) -> None:
        self._taken = 0
        while self._waiting and self._taken < self.per_pass:
            turn = self._waiting.popleft()
            if not turn.done():  # a cancelled wait gives its turn to the next
                turn.set_result(None)
                self._count()
