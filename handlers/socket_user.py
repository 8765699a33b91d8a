"""Who is on a socket: authentication, the socket's scope, membership, presence, rejections."""

from __future__ import annotations

from typing import Any, Protocol, cast

from bson import ObjectId

from hypee.auth import Identity
from hypee.errors import ApiError, not_found, unauthorized
from hypee.ids import parse_object_id
from hypee.ratelimit import RateLimiter
from hypee.realtime.hub import CLOSE_NOT_PARTICIPANT, CLOSE_UNAUTHORIZED, Connection
from models import conversations, sessions, users
from services.container import Services

CLOSE_RATE_LIMITED = 4429


class Peer(Protocol):
    """What the frame protocol needs of its connection (handlers/ws.py, or a test's fake)."""

    def send_frame(self, frame: dict[str, Any]) -> None:
        """Queue a frame without waiting (subject to the socket's backpressure)."""

    async def write_frame(self, frame: dict[str, Any]) -> None:
        """Write a frame and wait until the client has taken it."""

    def close_with(self, code: int, reason: str) -> None: ...

    @property
    def closing(self) -> bool: ...


class SocketUser:
    """The user a socket belongs to, once its `auth` frame checked out.

    `scope` is the conversation of `/ws/chat/{id}/` (None on `/ws`): such a socket gets and may
    act on that conversation only. Joining the hub makes the socket receive events.
    """

    def __init__(self, services: Services, peer: Peer, scope_text: str | None) -> None:
        self.services = services
        self.peer = peer
        self.scope_text = scope_text
        self.scope: ObjectId | None = None
        self.identity: Identity | None = None
        self.joined = False
        self._scope_participants: list[ObjectId] = []
        self._rejections: RateLimiter | None = None

    @property
    def user_id(self) -> ObjectId:
        assert self.identity is not None
        return self.identity.user_id

    async def authenticate(self, frame: dict[str, Any]) -> None:
        """Check an `auth` frame, join the hub and send `ready`; close with 4401 (a bad
        token) or 4404 (not a participant of the scope)."""
        services = self.services
        token = frame.get("token")
        try:
            if not isinstance(token, str):
                raise unauthorized("The auth frame needs a token.")
            identity = services.tokens.verify_access(token)
            if not await sessions.is_active(services.db, identity.session_id):
                raise unauthorized("This login has ended.")
            user = await users.get_user(services.db, identity.user_id)
            if user is None:
                raise unauthorized("This account no longer exists.")
        except ApiError:
            self.peer.close_with(CLOSE_UNAUTHORIZED, "invalid token")
            return
        if self.scope_text is not None and not await self._enter_scope(identity.user_id):
            return
        if self.peer.closing:
            return
        self.identity = identity
        self._rejections = RateLimiter(max(10, services.settings.send_rate_per_10s), 10)
        await services.hub.join(cast(Connection, self.peer))  # authenticated: it has a user
        self.joined = True
        if self._client_left():  # while we were joining
            await self.leave()
            return
        self.peer.send_frame({"type": "ready", "user": users.private_view(user)})
        await self._initial_presence(user)

    async def _enter_scope(self, user_id: ObjectId) -> bool:
        """Check the user takes part in the socket's conversation; closes with 4404 if not."""
        scope = parse_object_id(self.scope_text)
        try:
            if scope is None:
                raise not_found("conversation")
            self._scope_participants = await conversations.participants_of(
                self.services.db, scope, user_id
            )
        except ApiError:
            self.peer.close_with(CLOSE_NOT_PARTICIPANT, "not a participant")
            return False
        self.scope = scope
        return True

    def _client_left(self) -> bool:
        return self.peer.closing

    async def leave(self) -> None:
        """The socket closed: the hub forgets it."""
        if self.joined:
            self.joined = False
            await self.services.hub.leave(cast(Connection, self.peer))

    async def _initial_presence(self, user: dict[str, Any]) -> None:
        """`presence` frames for the online people `user` shares a conversation with (but
        those with a block either way, as `user`'s document records them)."""
        services = self.services
        if self.scope is not None:
            peers = [p for p in self._scope_participants if p != self.user_id]
        else:
            peers = await conversations.peers(services.db, self.user_id)
        hidden = users.relations_of(user, peers).either
        for peer in await services.hub.online([p for p in peers if p not in hidden]):
            self.peer.send_frame({"type": "presence", "user_id": str(peer), "online": True})

    def check_scope(self, conversation_id: ObjectId | None) -> ObjectId:
        """`conversation_id` if this socket may act on it; 404 otherwise."""
        if conversation_id is None or (self.scope and conversation_id != self.scope):
            raise not_found("conversation")
        return conversation_id

    async def participants_of(self, conversation_id: ObjectId) -> list[ObjectId]:
        """The participants of a conversation the user takes part in now (404 otherwise).
        Read each time: members of a group come and go."""
        return await conversations.participants_of(self.services.db, conversation_id, self.user_id)

    async def count_rejection(self) -> None:
        """A send was refused for its rate: a client that keeps going is disconnected."""
        if self._rejections is not None and await self._rejections.hit("sends") is not None:
            self.peer.close_with(CLOSE_RATE_LIMITED, "rate limited")
