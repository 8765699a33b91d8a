"""Publishing to Redis without ever making the caller wait for it.

`put` queues a message and returns at once; a task sends what is queued in pipelines. When
Redis cannot take a batch (down, stopped, slow) or the queue overflows, the messages are
dropped and `lost` is set: the bridge then has every process tell its sockets to resync, so
nothing stored is missed for good (storage is the source of truth; this is best-effort).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger("hypee.bridge")

MAX_QUEUED = 10_000
BATCH = 500
SEND_TIMEOUT_SECONDS = 1.0


class RedisOutbox:
    """A bounded queue of (channel, payload) drained by one publisher task."""

    def __init__(self, redis: Any, usable: Callable[[], bool]) -> None:
        self.redis = redis
        self.usable = usable
        self.lost = False  # some messages never reached Redis since this was last cleared
        self._queue: collections.deque[tuple[str, bytes]] = collections.deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._drain())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def put(self, channel: str, payload: bytes) -> None:
        """Queue a message (never waits); the oldest is dropped when the queue is full."""
        if len(self._queue) >= MAX_QUEUED:
            self._queue.popleft()
            self.lost = True
        self._queue.append((channel, payload))
        self._ready.set()

    async def _drain(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                if not self.usable():
                    self.lost = True  # Redis is known to be away: do not wait for timeouts
                    continue
                await self._send(batch)

    async def _send(self, batch: list[tuple[str, bytes]]) -> None:
        # Two tries: the first may meet a pooled connection Redis closed (a restart, CLIENT
        # KILL); the second then gets a fresh one.
        for attempt in (1, 2):
            try:
                pipe = self.redis.pipeline(transaction=False)
                for channel, payload in batch:
                    pipe.publish(channel, payload)
                await asyncio.wait_for(pipe.execute(), SEND_TIMEOUT_SECONDS)
                return
            except (RedisError, OSError, TimeoutError) as exc:
                if attempt == 2 or isinstance(exc, TimeoutError):
                    self.lost = True
                    log.warning("events not published to Redis", extra={"error": repr(exc)})
                    return
