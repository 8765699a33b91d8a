"""The hub: which sockets of which users this process holds, and delivering frames to them.

A frame is encoded once and the same bytes are written to every socket that should get it.
With a bridge (Redis), the hub also hands the encoded frame to the other processes, and
learns from the bridge about events published elsewhere. Storage is the source of truth:
the hub is best-effort, and clients that miss something resume from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bson import ObjectId

from hypee.jsonio import dumps
from hypee.realtime.topics import Topics

log = logging.getLogger("hypee.hub")

# Close codes of docs/api.md.
CLOSE_GOING_AWAY = 1001
CLOSE_TOO_SLOW = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_PARTICIPANT = 4404


class Connection(Protocol):
    """What the hub needs of a socket (handlers/ws.py implements it)."""

    user_id: ObjectId
    session_id: ObjectId
    scope: ObjectId | None  # set on /ws/chat/{id}/: only that conversation's events

    def deliver(self, data: bytes) -> None:
        """Queue an encoded frame without waiting; may close a socket that reads too slowly."""

    def close_with(self, code: int, reason: str) -> None:
        """Close the socket with a WebSocket close code."""


class Bridge(Protocol):
    """Fan-out to other processes (hypee/realtime/bridge.py)."""

    async def publish(
        self,
        user_ids: Iterable[ObjectId],
        data: bytes,
        conversation_id: ObjectId | None,
        exclude_user: ObjectId | None,
    ) -> None: ...

    async def subscribe(self, user_id: ObjectId) -> None: ...

    async def unsubscribe(self, user_id: ObjectId) -> None: ...

    async def broadcast(self, command: dict[str, Any]) -> None: ...

    async def presence_changed(self, user_id: ObjectId, online: bool) -> bool: ...

    async def online(self, user_ids: list[ObjectId]) -> set[ObjectId]: ...


PresenceListener = Callable[[ObjectId, bool], Awaitable[None]]


class Hub:
    """Local fan-out, plus the bridge to other processes when there is one."""

    def __init__(self) -> None:
        self._sockets: dict[ObjectId, set[Connection]] = {}
        self.bridge: Bridge | None = None
        # Called with (user, online) when a user's first socket opens or last one closes,
        # across every process; wired to "tell the people who share a conversation".
        self.on_presence: PresenceListener | None = None
        self._presence_queue: asyncio.Queue[tuple[ObjectId, bool]] = asyncio.Queue()
        self._presence_task: asyncio.Task[None] | None = None
        self._registered_online: set[ObjectId] = set()
        self._stopped = False
        self.topics = Topics()

    # -- membership ------------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return sum(len(sockets) for sockets in self._sockets.values())

    def local_users(self) -> list[ObjectId]:
        """Users with at least one socket on this process."""
        return list(self._sockets)

    async def join(self, connection: Connection) -> None:
        """Register an authenticated socket; its user then receives events from every process."""
        sockets = self._sockets.setdefault(connection.user_id, set())
        first = not sockets
        sockets.add(connection)
        if first:
            if self.bridge is not None:
                await self.bridge.subscribe(connection.user_id)
            self._presence(connection.user_id, True)

    async def leave(self, connection: Connection) -> None:
        """Forget a closed socket."""
        self.topics.forget(connection)
        sockets = self._sockets.get(connection.user_id)
        if sockets is None or connection not in sockets:
            return
        sockets.discard(connection)
        if not sockets:
            del self._sockets[connection.user_id]
            if self.bridge is not None:
                await self.bridge.unsubscribe(connection.user_id)
            self._presence(connection.user_id, False)

    async def online(self, user_ids: list[ObjectId]) -> set[ObjectId]:
        """Which of `user_ids` have a socket open on any process."""
        here = {user for user in user_ids if user in self._sockets}
        if self.bridge is None:
            return here
        return here | await self.bridge.online(user_ids)

    # -- sending ---------------------------------------------------------------------------

    async def publish(
        self,
        user_ids: Iterable[ObjectId],
        frame: dict[str, Any],
        *,
        conversation_id: ObjectId | None = None,
        exclude: object = None,
        exclude_user: ObjectId | None = None,
    ) -> None:
        """Send `frame` to every socket of `user_ids`, on every process.

        `exclude` is a socket that must not get it (the sender's, which got an ack);
        `exclude_user` a user none of whose sockets get it (typing and read events).
        """
        users = list(user_ids)
        data = dumps(frame).encode()
        self.deliver(users, data, conversation_id, exclude, exclude_user)
        if self.bridge is not None:
            await self.bridge.publish(users, data, conversation_id, exclude_user)

    def deliver(
        self,
        user_ids: Iterable[ObjectId],
        data: bytes,
        conversation_id: ObjectId | None,
        exclude: object = None,
        exclude_user: ObjectId | None = None,
    ) -> None:
        """Write encoded `data` to this process's sockets of `user_ids`."""
        for user_id in user_ids:
            if user_id == exclude_user:
                continue
            for connection in list(self._sockets.get(user_id, ())):
                if connection is exclude:
                    continue
                if connection.scope is not None and connection.scope != conversation_id:
                    continue
                connection.deliver(data)

    # -- closing ---------------------------------------------------------------------------

    async def close_session(self, session_id: ObjectId, code: int, reason: str) -> None:
        """Close every socket of one login, on every process (logout)."""
        await self._command(_close("close_session", code, reason, session_id=session_id))

    async def close_user(
        self, user_id: ObjectId, code: int, reason: str, keep: ObjectId | None = None
    ) -> None:
        """Close every socket of `user_id` but those of the login `keep`, on every process (a
        password changed or reset)."""
        await self._command(_close("close_user", code, reason, user_id=user_id, keep=keep))

    async def close_scope(self, user_id: ObjectId, conversation_id: ObjectId, code: int) -> None:
        """Close the sockets `user_id` holds on one conversation (`/ws/chat/{id}/`), on every
        process: the user left it."""
        command = _close("close_scope", code, "no longer a participant", user_id=user_id)
        await self._command({**command, "conversation_id": str(conversation_id)})

    async def publish_topic(self, topic: str, frame: dict[str, Any]) -> None:
        """Send `frame` to every socket watching `topic`, on every process."""
        await self._command({"op": "topic", "topic": topic, "frame": dumps(frame)})

    async def _command(self, command: dict[str, Any]) -> None:
        self.obey(command)
        if self.bridge is not None:
            await self.bridge.broadcast(command)

    def obey(self, command: dict[str, Any]) -> None:
        """Carry out a command for every process (from this one, or from another through the
        bridge) on this process's sockets."""
        op = command.get("op")
        if op == "resync":
            self.resync_all()
            return
        if op == "topic":
            data = command["frame"].encode()
            for connection in self.topics.watchers(command["topic"]):
                connection.deliver(data)
            return
        for sockets in list(self._sockets.values()):
            for connection in list(sockets):
                if _closes(command, connection):
                    connection.close_with(int(command["code"]), command["reason"])

    def resync_all(self) -> None:
        """Tell every socket of this process that it may have missed events: a client that
        follows the protocol answers with `resume` and gets them from the store."""
        data = dumps({"type": "resync"}).encode()
        for sockets in list(self._sockets.values()):
            for connection in list(sockets):
                connection.deliver(data)

    def close_all(self, code: int, reason: str) -> None:
        """Close every socket of this process (shutdown)."""
        for sockets in list(self._sockets.values()):
            for connection in list(sockets):
                connection.close_with(code, reason)

    # -- presence --------------------------------------------------------------------------

    def _presence(self, user_id: ObjectId, online: bool) -> None:
        if self._stopped:
            return  # shutting down: the store may be closed; presence entries expire anyway
        self._presence_queue.put_nowait((user_id, online))
        if self._presence_task is None or self._presence_task.done():
            self._presence_task = asyncio.ensure_future(self._announce_presence())

    async def _announce_presence(self) -> None:
        # One change at a time, in order, so "online" never overtakes the "offline" before it.
        while not self._presence_queue.empty():
            user_id, online = self._presence_queue.get_nowait()
            if online != (user_id in self._sockets):
                continue  # already reversed locally; the reversal is queued too
            if online == (user_id in self._registered_online):
                continue  # nothing changed since the last announcement
            if online:
                self._registered_online.add(user_id)
            else:
                self._registered_online.discard(user_id)
            try:
                if self.bridge is not None and not await self.bridge.presence_changed(
                    user_id, online
                ):
                    continue  # the user has sockets on another process
                if self.on_presence is not None:
                    await self.on_presence(user_id, online)
            except Exception:
                log.exception("presence announcement failed", extra={"user_id": str(user_id)})

    async def stop(self) -> None:
        """Announce no more presence changes (sockets still closing after this are ignored)."""
        self._stopped = True
        if self._presence_task is not None:
            self._presence_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._presence_task


def _close(op: str, code: int, reason: str, **ids: ObjectId | None) -> dict[str, Any]:
    """A command closing sockets (see `_closes`), as it travels between processes."""
    return {
        "op": op,
        "code": code,
        "reason": reason,
        **{name: str(value) if value else None for name, value in ids.items()},
    }


def _closes(command: dict[str, Any], connection: Connection) -> bool:
    """Whether a close_session, close_user or close_scope command closes `connection`."""
    op = command.get("op")
    if op == "close_session":
        return str(connection.session_id) == str(command["session_id"])
    if str(connection.user_id) != str(command.get("user_id")):
        return False
    if op == "close_user":
        return str(connection.session_id) != str(command["keep"])
    return op == "close_scope" and str(connection.scope) == str(command["conversation_id"])
