"""Presence across processes: which users have a socket open on some process, in Redis.

Each user has a sorted set of the processes holding its sockets, scored by when the entry
expires; every process refreshes its entries on a heartbeat, so a crashed process does not
keep its users online for longer than PRESENCE_TTL_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from bson import ObjectId
from redis.exceptions import RedisError

PRESENCE_TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20
CALL_TIMEOUT = 0.5
FAULTS = (RedisError, OSError, TimeoutError)


def presence_key(user_id: ObjectId) -> str:
    return f"hypee:presence:{user_id}"


class RedisPresence:
    """One process's entries in the presence sets.

    The `recorded`, `anyone_online` and `beat` methods never raise and never wait more than
    CALL_TIMEOUT: while Redis is not `usable` or fails, presence falls back to what this
    process knows, and `on_fault` hears about the failure.
    """

    def __init__(
        self,
        redis: Any,
        process_id: str,
        usable: Callable[[], bool] = lambda: True,
        on_fault: Callable[[BaseException], None] = lambda exc: None,
    ) -> None:
        self.redis = redis
        self.process_id = process_id
        self.usable = usable
        self.on_fault = on_fault

    async def recorded(self, user_id: ObjectId, online: bool) -> bool:
        """`changed`, or True (announce it) when Redis cannot tell."""
        if not self.usable():
            return True
        try:
            return await asyncio.wait_for(self.changed(user_id, online), CALL_TIMEOUT)
        except FAULTS as exc:
            self.on_fault(exc)
            return True

    async def anyone_online(self, user_ids: list[ObjectId]) -> set[ObjectId]:
        """`online`, or nobody when Redis cannot tell at once."""
        if not user_ids or not self.usable():
            return set()
        try:
            return await asyncio.wait_for(self.online(user_ids), CALL_TIMEOUT)
        except FAULTS as exc:
            self.on_fault(exc)
            return set()

    async def beat(self, local_users: Callable[[], list[ObjectId]]) -> None:
        """Refresh this process's entries every HEARTBEAT_SECONDS (a task)."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if self.usable():
                with contextlib.suppress(*FAULTS):
                    await asyncio.wait_for(self.refresh(local_users()), CALL_TIMEOUT * 2)

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
        processes = int(results[2])
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
