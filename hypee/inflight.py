"""Counting the requests being answered, so shutdown can wait for them to finish."""

from __future__ import annotations

import asyncio


class Inflight:
    """How many requests are being answered; `wait_idle` returns once there are none."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count <= 0:
            self.count = 0
            self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no request is in flight; False if `seconds` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
