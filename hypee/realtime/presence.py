"""Presence across processes: which users have a socket open on some process, in Redis.

Each user has a sorted set of the processes holding its sockets, scored by when the entry
expires; every process refreshes its entries on a heartbeat, so a crashed process does not
keep its users online for longer than PRESENCE_TTL_SECONDS. Redis errors reach the caller
(the bridge), which decides what a failure means.
"""

from __future__ import annotations

import time
from typing import Any

from bson import ObjectId

PRESENCE_TTL_SECONDS = 60


def presence_key(user_id: ObjectId) -> str:
    return f"hypee:presence:{user_id}"


class RedisPresence:
    """One process's entries in the presence sets."""

    def __init__(self, redis: Any, process_id: str) -> None:
        self.redis = redis
        self.process_id = process_id

    async def changed(self, user_id: ObjectId, online: bool) -> bool:
        """Record whether this process holds sockets of `user_id`; True if the user's state
        across every process changed (first process online, or last one gone)."""
        key = presence_key(user_id)
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        if online:
            pipe.zadd(key, {self.process_id: now + PRESENCE_TTL_SECONDS})
        else:
            pipe.zrem(key, self.process_id)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        pipe.expire(key, PRESENCE_TTL_SECONDS)
        results = await pipe.execute()
        processes = results[2]
        return processes == 1 if online else processes == 0

    async def online(self, user_ids: list[ObjectId]) -> set[ObjectId]:
        """Those of `user_ids` with sockets on any live process."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcount(presence_key(user_id), now, "+inf")
        counts = await pipe.execute()
        return {user for user, count in zip(user_ids, counts, strict=True) if count}

    async def refresh(self, user_ids: list[ObjectId]) -> None:
        """Extend this process's entries of `user_ids` (the heartbeat)."""
        if not user_ids:
            return
        expiry = time.time() + PRESENCE_TTL_SECONDS
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zadd(presence_key(user_id), {self.process_id: expiry})
            pipe.expire(presence_key(user_id), PRESENCE_TTL_SECONDS)
        await pipe.execute()

    async def forget(self, user_ids: list[ObjectId]) -> None:
        """Remove this process's entries (it is shutting down)."""
        if not user_ids:
            return
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrem(presence_key(user_id), self.process_id)
        await pipe.execute()
