"""Accounts: registering, logging in and out, refreshing tokens, and editing a profile."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.auth import Identity, PasswordService, TokenService
from hypee.db import Store
from hypee.realtime.hub import CLOSE_UNAUTHORIZED, Hub
from hypee.units import retry_transient
from models import sessions, users
from services.attachments import AttachmentService
from services.credentials import Credentials


class AccountService:
    """Logins (sessions and their tokens) and profiles; a logout closes that login's sockets."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        tokens: TokenService,
        attachments: AttachmentService,
        credentials: Credentials,
        refresh_seconds: int,
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.tokens = tokens
        self.passwords: PasswordService = credentials.passwords
        self.attachments = attachments
        self.credentials = credentials
        self.refresh_seconds = refresh_seconds

    async def register(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an account from loaded RegisterSchema `data` (409 if the email is taken),
        with what a new account gets in the same unit of work (Credentials.welcome)."""
        password_hash = await self.passwords.hash(data["password"])
        return await self._create(data, password_hash)

    @retry_transient
    async def _create(self, data: dict[str, Any], password_hash: str) -> dict[str, Any]:
        async with self.store.atomic():
            user = await users.register(self.db, data, password_hash)
            await self.credentials.welcome(user)
        return user

    async def authenticate(self, email: str, password: str) -> dict[str, Any] | None:
        """The user whose credentials these are, or None."""
        return await users.authenticate(self.db, self.passwords, email, password)

    async def open_session(self, user: dict[str, Any], user_agent: str, ip: str) -> dict[str, Any]:
        """Start a login for `user`: the {user, access, refresh} answer; 403 `suspended` (with
        until when) for a suspended account."""
        suspension = users.active_suspension(user)
        if suspension is not None:
            raise users.suspended_error(suspension)
        identity, refresh = await sessions.start(
            self.db, user["_id"], self.refresh_seconds, user_agent=user_agent, ip=ip
        )
        return {
            "user": users.private_view(user),
            "access": self.tokens.access_token(identity),
            "refresh": refresh,
        }

    async def refresh(self, token: str) -> dict[str, str]:
        """Exchange a refresh token for a new pair: {access, refresh}; 401 when it is not valid.

        A token this login used before means it was copied: the login ends, and its open
        sockets are closed with 4401 as at logout."""
        try:
            identity, refresh = await sessions.rotate(self.db, token, self.refresh_seconds)
        except sessions.RefreshTokenReused as reused:
            await self.hub.close_session(reused.session_id, CLOSE_UNAUTHORIZED, "login revoked")
            raise
        await users.require_not_suspended(self.db, identity.user_id)
        return {"access": self.tokens.access_token(identity), "refresh": refresh}

    async def logout(self, identity: Identity, token: str | None) -> None:
        """End the caller's login that the refresh `token` belongs to (without one, the login
        of the access token the caller used), and close its sockets."""
        if token is None:
            session_id = await sessions.revoke_session(self.db, identity.session_id)
        else:
            session_id = await sessions.revoke(self.db, token, identity.user_id)
        await self.hub.close_session(session_id, CLOSE_UNAUTHORIZED, "logged out")

    @retry_transient
    async def update_profile(
        self, user_id: ObjectId, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply loaded ProfileUpdateSchema `changes`; None when the account is gone.

        A new avatar must be the caller's unused image upload; the replaced one is deleted.
        Everything is checked before anything is written.
        """
        user = await users.get_user(self.db, user_id)
        if user is None or not changes:
            return user
        avatar_id = changes.get("avatar_upload_id")
        if avatar_id is not None:
            await self.attachments.claim(
                user_id, [avatar_id], content_types=users.AVATAR_TYPES, field="avatar_upload_id"
            )
        async with self.store.atomic():
            if avatar_id is not None:
                await self.attachments.attach([avatar_id], conversation_id=None, owner_id=user_id)
            updated = await users.update_profile(self.db, user, changes)
        previous = users.avatar_upload_id(user)
        if "avatar_upload_id" in changes and previous and previous != avatar_id:
            await self.attachments.discard([previous])
        return updated
