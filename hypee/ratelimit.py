"""Rate limits: at most `limit` events per key in a window that opens with the key's first event.

`RateLimiter` counts in this process; `SharedRateLimiter` (hypee/shared_ratelimit.py, loaded
only with Redis) counts in Redis for every process. Both answer `blocked`, `hit` and `reset`
the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class RateLimiter:
    """Counts events per key in this process's memory.

    `blocked(key)` tells how many seconds remain before `key` may act again (None when it may);
    `hit(key)` counts one event. Expired windows are swept as the table grows, so memory stays
    bounded by the keys active in the last window.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._next_sweep = clock() + window_seconds

    def _current(self, key: str, now: float) -> tuple[float, int] | None:
        entry = self._windows.get(key)
        if entry is not None and now - entry[0] >= self.window:
            del self._windows[key]
            return None
        return entry

    async def blocked(self, key: str) -> int | None:
        """Seconds until `key` may act again, or None when it is under its limit."""
        now = self._clock()
        entry = self._current(key, now)
        if entry is None or entry[1] < self.limit:
            return None
        return max(1, math.ceil(entry[0] + self.window - now))

    async def hit(self, key: str) -> int | None:
        """Count one event for `key`; the seconds to wait if this event went over the limit."""
        now = self._clock()
        self._sweep(now)
        entry = self._current(key, now)
        started, count = entry if entry is not None else (now, 0)
        self._windows[key] = (started, count + 1)
        if count + 1 > self.limit:
            return max(1, math.ceil(started + self.window - now))
        return None

    async def reset(self, key: str) -> None:
        """Forget `key`'s events (after a successful login, say)."""
        self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        expired = [
            key for key, (started, _) in self._windows.items() if now - started >= self.window
        ]
        for key in expired:
            del self._windows[key]


class Limiter(Protocol):
    """What the limits answer, counted here (`RateLimiter`) or in Redis
    (hypee/shared_ratelimit.py)."""

    async def blocked(self, key: str) -> int | None: ...
    async def hit(self, key: str) -> int | None: ...
    async def reset(self, key: str) -> None: ...


@dataclass
class AuthLimits:
    """Brute-force limits on login and registration."""

    login_failures_by_email: Limiter
    attempts_by_ip: Limiter
    # Account emails asked for (password resets, verification links) per address.
    emails_by_address: Limiter
