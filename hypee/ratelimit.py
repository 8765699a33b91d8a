"""Rate limits: at most `limit` events per key in a window that opens with the key's first event.

`RateLimiter` counts in this process; `SharedRateLimiter` counts in Redis for every process.
Both answer `blocked`, `hit` and `reset` the same way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError


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


# A request never waits longer than this on Redis for a limit: past it, the count is local.
REDIS_WAIT_SECONDS = 0.05


class SharedRateLimiter:
    """The same limits counted in Redis, so every process shares them.

    While Redis is unreachable, or slower than REDIS_WAIT_SECONDS, the limits fall back to
    this process's memory: they then apply per process rather than not at all, and no request
    waits on Redis.
    """

    def __init__(
        self,
        redis: Any,
        prefix: str,
        limit: int,
        window_seconds: float,
        redis_up: Callable[[], bool] = lambda: True,
    ) -> None:
        self.redis = redis
        self.redis_up = redis_up
        self.prefix = prefix
        self.limit = limit
        self.window_ms = int(window_seconds * 1000)
        self.local = RateLimiter(limit, window_seconds)

    def _key(self, key: str) -> str:
        return f"hypee:rate:{self.prefix}:{key}"

    async def blocked(self, key: str) -> int | None:
        if not self.redis_up():
            return await self.local.blocked(key)
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(self._key(key))
            pipe.pttl(self._key(key))
            count, ttl = await asyncio.wait_for(pipe.execute(), REDIS_WAIT_SECONDS)
        except (RedisError, OSError, TimeoutError):
            return await self.local.blocked(key)
        if count is None or int(count) < self.limit:
            return None
        return max(1, math.ceil(int(ttl) / 1000))

    async def hit(self, key: str) -> int | None:
        if not self.redis_up():
            return await self.local.hit(key)
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(self._key(key), 0, px=self.window_ms, nx=True)
            pipe.incr(self._key(key))
            pipe.pttl(self._key(key))
            _, count, ttl = await asyncio.wait_for(pipe.execute(), REDIS_WAIT_SECONDS)
        except (RedisError, OSError, TimeoutError):
            return await self.local.hit(key)
        if int(count) > self.limit:
            return max(1, math.ceil(int(ttl) / 1000))
        return None

    async def reset(self, key: str) -> None:
        if not self.redis_up():
            await self.local.reset(key)
            return
        try:
            await asyncio.wait_for(self.redis.delete(self._key(key)), REDIS_WAIT_SECONDS)
        except (RedisError, OSError, TimeoutError):
            await self.local.reset(key)


Limiter = RateLimiter | SharedRateLimiter


@dataclass
class AuthLimits:
    """Brute-force limits on login and registration."""

    login_failures_by_email: Limiter
    attempts_by_ip: Limiter
    # Account emails asked for (password resets, verification links) per address.
    emails_by_address: Limiter
