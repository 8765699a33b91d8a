"""The Redis bridge: fan-out between server processes through Redis pub/sub.

Each process subscribes to one channel per user it holds sockets for and to a control
channel (hypee/realtime/envelope.py). Publishing an event sends the already-encoded frame to
the channel of each recipient; every process delivers it to its own sockets and ignores what
it sent itself (it delivered that locally already). Presence across processes lives in
hypee/realtime/presence.py.

Invariants:
- Nothing on a request's path waits on Redis: publishing goes through an outbox that never
  blocks (hypee/realtime/outbox.py), and every other call is bounded by a short timeout.
- `connected` is True only while a PING answered in the last half second and the subscriber
  listens. Any Redis error, on any connection, is recovered from with backoff; nothing latches.
- Whenever this process may have missed events of others (its subscriber was down, or Redis
  did not answer, for any time), each of its sockets gets `{"type": "resync"}` once Redis
  answers again; whenever others may have missed ours (a publish was dropped), a control
  message asks every process to do the same. The client then sends `resume` and gets from the
  store whatever live delivery missed: storage is the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from bson import ObjectId
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from hypee.realtime import envelope
from hypee.realtime.envelope import CONTROL_CHANNEL, seal, user_channel
from hypee.realtime.hub import Hub
from hypee.realtime.outbox import RedisOutbox
from hypee.realtime.presence import RedisPresence

log = logging.getLogger("hypee.bridge")

WATCH_SECONDS = 0.5
PING_TIMEOUT = 0.5
CALL_TIMEOUT = 0.5
_FAULTS = (RedisError, OSError, TimeoutError)


class Outage:
    """When Redis stopped answering, logged once as it starts and once, with its length, as it
    ends."""

    def __init__(self) -> None:
        self.since: float | None = None

    def begin(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("Redis unreachable; fan-out is local only", extra={"error": repr(exc)})

    def end(self) -> None:
        if self.since is not None:
            down = round(time.monotonic() - self.since, 1)
            self.since = None
            log.warning(
                "Redis reachable again; sockets told to resync", extra={"down_seconds": down}
            )


class RedisBridge:
    """Connects one process's hub to the others through Redis (see the module docstring)."""

    def __init__(self, url: str, hub: Hub) -> None:
        self.hub = hub
        self.process_id = uuid.uuid4().hex[:16]
        self._origin = self.process_id.encode()
        self.redis = aioredis.from_url(
            url,
            socket_timeout=1,
            socket_connect_timeout=1,
            # A connection that died (a restart, CLIENT KILL) is replaced and the call retried.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self.presence = RedisPresence(
            self.redis, self.process_id, lambda: self.connected, self._went_down
        )
        self.outbox = RedisOutbox(self.redis, lambda: self.connected)
        self.connected = False
        self._listening = False
        self._missed = False  # this process may have missed events of others
        self._outage = Outage()
        self._pubsub: Any = None
        self._wake_watch = asyncio.Event()  # the subscriber (re)connected: check at once
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start listening, watching and publishing in the background."""
        self.hub.bridge = self
        self.outbox.start()
        self._tasks = [
            asyncio.ensure_future(job)
            for job in (self._listen(), self._watch(), self.presence.beat(self.hub.local_users))
        ]
        # Start connected when Redis is there (limits are shared from the first request).
        for _ in range(40):
            if self.connected:
                break
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.outbox.stop()
        if self.hub.bridge is self:
            self.hub.bridge = None
        with contextlib.suppress(*_FAULTS):
            await asyncio.wait_for(self.presence.forget(self.hub.local_users()), CALL_TIMEOUT)
        await self.redis.aclose()

    async def ping(self) -> None:
        """Raise unless Redis answers and the subscriber listens (readiness)."""
        await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT)
        if not self._listening:
            raise ConnectionError("the Redis subscriber is reconnecting")

    # -- staying connected -----------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT)
                answered = True
            except _FAULTS as exc:
                answered = False
                self._went_down(exc)
            healthy = answered and self._listening
            if healthy and (self._missed or self.outbox.lost):
                self._catch_up()
            self.connected = healthy
            self._wake_watch.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_watch.wait(), WATCH_SECONDS)

    def _went_down(self, exc: BaseException) -> None:
        self._missed = True
        self._outage.begin(exc)

    def _catch_up(self) -> None:
        self._outage.end()
        if self.outbox.lost:
            # Others may have missed what this process published: they resync too.
            self.outbox.lost = False
            self._control({"op": "resync"})
        if self._missed:
            self._missed = False
            self.hub.resync_all()
            log.info("told this process's sockets to resync")

    # -- receiving -------------------------------------------------------------------------

    async def _listen(self) -> None:
        backoff = 0.05
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                channels = [CONTROL_CHANNEL, *(user_channel(u) for u in self.hub.local_users())]
                await asyncio.wait_for(pubsub.subscribe(*channels), CALL_TIMEOUT * 2)
                self._pubsub, self._listening = pubsub, True
                self._wake_watch.set()
                backoff = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._receive(message)
            except asyncio.CancelledError:
                raise
            except _FAULTS as exc:
                self._went_down(exc)
            finally:
                self._pubsub, self._listening = None, False
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), CALL_TIMEOUT)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    def _receive(self, message: dict[str, Any]) -> None:
        incoming = envelope.read(message)
        if incoming is None:
            return
        if incoming.command is not None:
            self._obey(incoming.command)
        elif incoming.origin != self._origin and incoming.user_id is not None:
            self.hub.deliver(
                [incoming.user_id],
                incoming.frame,
                incoming.conversation_id,
                exclude_user=incoming.exclude_user,
            )

    def _obey(self, command: dict[str, Any]) -> None:
        if command.get("origin") != self.process_id:
            self.hub.obey(command)

    # -- sending (never waits) -------------------------------------------------------------

    async def publish(
        self,
        user_ids: Iterable[ObjectId],
        data: bytes,
        conversation_id: ObjectId | None,
        exclude_user: ObjectId | None,
    ) -> None:
        """Queue an encoded frame for the other processes' sockets of `user_ids`."""
        envelope = seal(self._origin, data, conversation_id, exclude_user)
        for user_id in user_ids:
            if user_id != exclude_user:
                self.outbox.put(user_channel(user_id), envelope)

    async def broadcast(self, command: dict[str, Any]) -> None:
        """Have every other process's hub obey `command` (Hub.obey)."""
        self._control(command)

    def _control(self, command: dict[str, Any]) -> None:
        self.outbox.put(
            CONTROL_CHANNEL, json.dumps({"origin": self.process_id, **command}).encode()
        )

    async def subscribe(self, user_id: ObjectId) -> None:
        await self._channel("subscribe", user_id)

    async def unsubscribe(self, user_id: ObjectId) -> None:
        await self._channel("unsubscribe", user_id)

    async def _channel(self, change: str, user_id: ObjectId) -> None:
        # Without a subscriber, the next one subscribes every local user.
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            await asyncio.wait_for(getattr(pubsub, change)(user_channel(user_id)), CALL_TIMEOUT)
        except _FAULTS as exc:
            self._went_down(exc)

    # -- presence (hypee/realtime/presence.py) ---------------------------------------------

    async def presence_changed(self, user_id: ObjectId, online: bool) -> bool:
        """Record this process's sockets of `user_id`; True if the user's global state changed
        (or when Redis cannot tell: the change is announced)."""
        return await self.presence.recorded(user_id, online)

    async def online(self, user_ids: list[ObjectId]) -> set[ObjectId]:
        """Users with sockets on any live process (empty when Redis does not answer at once)."""
        return await self.presence.anyone_online(user_ids)
