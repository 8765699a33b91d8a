"""Rate limits counted in Redis, so every process shares them (hypee/ratelimit.py says how)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from hypee.ratelimit import RateLimiter

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
