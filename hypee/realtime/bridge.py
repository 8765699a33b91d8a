"""The Redis bridge: fan-out between server processes through Redis pub/sub.

Each process subscribes to one channel per user it holds sockets for (`hypee:user:<id>`) and to
a control channel. Publishing an event sends the already-encoded frame to the channel of each
recipient; every process delivers it to its own sockets and ignores what it sent itself (it
delivered that locally already). Presence across processes lives in
hypee/realtime/presence.py.

When Redis goes away, publishing fails quietly (messages are stored and acked anyway, and local
fan-out continues), `/readyz` shows it, and the listener reconnects with backoff, subscribing
again to the channels of every local user.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from bson import ObjectId
from bson.errors import InvalidId
from redis.exceptions import RedisError

from hypee.realtime.hub import Hub
from hypee.realtime.presence import RedisPresence

log = logging.getLogger("hypee.bridge")

CONTROL_CHANNEL = "hypee:control"
HEARTBEAT_SECONDS = 20
_NONE = b"-"


def user_channel(user_id: ObjectId) -> str:
    return f"hypee:user:{user_id}"


def _envelope(
    origin: bytes, frame: bytes, conversation_id: ObjectId | None, exclude_user: ObjectId | None
) -> bytes:
    """`<origin> <conversation or -> <excluded user or ->` newline, then the encoded frame."""
    conversation = str(conversation_id).encode() if conversation_id else _NONE
    excluded = str(exclude_user).encode() if exclude_user else _NONE
    return b" ".join([origin, conversation, excluded]) + b"\n" + frame


def _open_envelope(data: bytes) -> tuple[bytes, bytes, ObjectId | None, ObjectId | None]:
    """(origin, frame, conversation id, excluded user) of an envelope; ValueError if malformed."""
    header, frame = data.split(b"\n", 1)
    origin, conversation, excluded = header.split(b" ")
    return (
        origin,
        frame,
        None if conversation == _NONE else ObjectId(conversation.decode()),
        None if excluded == _NONE else ObjectId(excluded.decode()),
    )


class RedisBridge:
    """Connects one process's hub to the others through Redis."""

    def __init__(self, url: str, hub: Hub) -> None:
        self.hub = hub
        self.process_id = uuid.uuid4().hex[:16]
        self._origin = self.process_id.encode()
        self.redis = aioredis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=15
        )
        self.presence = RedisPresence(self.redis, self.process_id)
        self.connected = False
        self._pubsub: Any = None
        self._tasks: list[asyncio.Task] = []
        self._down_logged = False

    async def start(self) -> None:
        """Start listening (and reconnecting) in the background."""
        self.hub.bridge = self
        self._tasks = [
            asyncio.ensure_future(self._listen()),
            asyncio.ensure_future(self._heartbeat()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.hub.bridge is self:
            self.hub.bridge = None
        with contextlib.suppress(RedisError, OSError):
            await self.presence.forget(self.hub.local_users())
        await self.redis.aclose()

    async def ping(self) -> None:
        """Raise unless Redis answers and the listener is connected."""
        await self.redis.ping()
        if not self.connected:
            raise ConnectionError("the Redis subscriber is reconnecting")

    # -- receiving -------------------------------------------------------------------------

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub = pubsub
            try:
                channels = [CONTROL_CHANNEL, *(user_channel(u) for u in self.hub.local_users())]
                await pubsub.subscribe(*channels)
                self.connected = True
                if self._down_logged:
                    log.info("Redis bridge reconnected")
                    self._down_logged = False
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._receive(message)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _went_down(self, exc: BaseException) -> None:
        self.connected = False
        if not self._down_logged:
            log.warning("Redis bridge down; local fan-out only", extra={"error": repr(exc)})
            self._down_logged = True

    def _receive(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else channel
        data: bytes = message["data"]
        try:
            if channel == CONTROL_CHANNEL:
                self._control(json.loads(data))
                return
            origin, frame, conversation, exclude_user = _open_envelope(data)
        except (ValueError, InvalidId):
            log.warning("malformed bridge message", extra={"channel": channel})
            return
        if origin == self._origin:
            return
        user_id = ObjectId(channel.rsplit(":", 1)[1])
        self.hub.deliver([user_id], frame, conversation, exclude_user=exclude_user)

    def _control(self, command: dict[str, Any]) -> None:
        if command.get("origin") == self.process_id:
            return
        if command.get("op") == "close_session":
            self.hub.close_local_session(
                ObjectId(command["session_id"]), int(command["code"]), command["reason"]
            )

    # -- sending ---------------------------------------------------------------------------

    async def publish(
        self,
        user_ids: Iterable[ObjectId],
        data: bytes,
        conversation_id: ObjectId | None,
        exclude_user: ObjectId | None,
    ) -> None:
        """Send an encoded frame to the other processes' sockets of `user_ids`."""
        envelope = _envelope(self._origin, data, conversation_id, exclude_user)
        users = [user for user in user_ids if user != exclude_user]
        if not users or not self.connected:
            return  # while Redis is down, skip it rather than wait for a timeout per event
        try:
            pipe = self.redis.pipeline(transaction=False)
            for user_id in users:
                pipe.publish(user_channel(user_id), envelope)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            self._went_down(exc)

    async def close_session(self, session_id: ObjectId, code: int, reason: str) -> None:
        command = {
            "origin": self.process_id,
            "op": "close_session",
            "session_id": str(session_id),
            "code": code,
            "reason": reason,
        }
        if not self.connected:
            return
        try:
            await self.redis.publish(CONTROL_CHANNEL, json.dumps(command))
        except (RedisError, OSError) as exc:
            self._went_down(exc)

    async def subscribe(self, user_id: ObjectId) -> None:
        # While reconnecting there is no subscriber: the reconnect subscribes every local user.
        pubsub = self._pubsub
        if pubsub is not None and self.connected:
            try:
                await pubsub.subscribe(user_channel(user_id))
            except (RedisError, OSError) as exc:
                self._went_down(exc)

    async def unsubscribe(self, user_id: ObjectId) -> None:
        pubsub = self._pubsub
        if pubsub is not None and self.connected:
            try:
                await pubsub.unsubscribe(user_channel(user_id))
            except (RedisError, OSError) as exc:
                self._went_down(exc)

    # -- presence (hypee/realtime/presence.py) ---------------------------------------------

    async def presence_changed(self, user_id: ObjectId, online: bool) -> bool:
        """Record this process's sockets of `user_id`; True if the user's global state changed.

        Without Redis, fall back to what this process knows (the change is announced).
        """
        if not self.connected:
            return True
        try:
            return await self.presence.changed(user_id, online)
        except (RedisError, OSError) as exc:
            self._went_down(exc)
            return True

    async def online(self, user_ids: list[ObjectId]) -> set[ObjectId]:
        """Users with sockets on any live process."""
        if not user_ids or not self.connected:
            return set()
        try:
            return await self.presence.online(user_ids)
        except (RedisError, OSError) as exc:
            self._went_down(exc)
            return set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.presence.refresh(self.hub.local_users())
            except (RedisError, OSError) as exc:
                self._went_down(exc)
