"""Proving and changing what an account is: verifying its email address, resetting a
forgotten password, changing the password or the address.

Every change and the emails it causes are one unit of work (the emails wait in the outbox
until it commits). A password set here ends the account's other logins: their refresh tokens
stop working and their sockets are closed with 4401, on every process.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from hypee.auth import Identity, PasswordService
from hypee.db import Store
from hypee.errors import ApiError, conflict, field_error, unauthorized
from hypee.jsonio import format_datetime, utcnow
from hypee.realtime.hub import CLOSE_UNAUTHORIZED, Hub
from hypee.units import retry_transient
from models import account_tokens, sessions, users
from services.mail import Mailer
from services.preferences import Preferences


class Credentials:
    """Email verification, password reset and change, email change."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        passwords: PasswordService,
        mailer: Mailer,
        preferences: Preferences,
    ) -> None:
        self.store = store
        self.db = store.db
        self.hub = hub
        self.passwords = passwords
        self.mailer = mailer
        self.preferences = preferences

    async def welcome(self, user: dict[str, Any]) -> None:
        """A new account (in the caller's unit of work): its verification link, unless it is
        verified already (demo accounts), and its default digest."""
        if not user.get("email_verified"):
            await self.send_verification(user)
        await self.preferences.registered(user["_id"])

    async def send_verification(self, user: dict[str, Any], email: str | None = None) -> None:
        """Queue a verification link for `email` (default: the user's address), in the
        caller's unit of work; earlier links stop working."""
        address = email or user["email"]
        await account_tokens.revoke_all(self.db, user["_id"], account_tokens.VERIFY_EMAIL)
        token = await account_tokens.issue(
            self.db, user["_id"], account_tokens.VERIFY_EMAIL, address
        )
        link = self.mailer.link(f"/verify-email?token={token}")
        await self.mailer.queue("verify_email", user, {"link": link, "email": address}, to=address)

    @retry_transient
    async def resend_verification(self, user_id: ObjectId) -> None:
        """A new verification link for the caller's address; 409 when it is verified."""
        user = await users.get_user(self.db, user_id)
        if user is None:
            raise unauthorized("This account no longer exists.")
        if user.get("email_verified"):
            raise conflict("This email address is already verified.")
        async with self.store.atomic():
            await self.send_verification(user)

    @retry_transient
    async def verify_email(self, token: str) -> dict[str, Any]:
        """Use a verification link: the account's address becomes the link's, verified.
        400 naming `token` when the link is unknown, used or expired."""
        async with self.store.atomic():
            found = await account_tokens.redeem(self.db, token, account_tokens.VERIFY_EMAIL)
            if found is None:
                raise _bad_link()
            user = await users.verify_email(self.db, found["user_id"], found["email"])
        if user is None:
            raise _bad_link()
        return user

    @retry_transient
    async def forgot_password(self, email: str) -> None:
        """Queue a reset link when `email` names an account; nothing otherwise (the caller
        answers the same either way)."""
        async with self.store.atomic():
            user = await users.by_email(self.db, email)
            if user is None:
                return
            token = await account_tokens.issue(
                self.db, user["_id"], account_tokens.RESET_PASSWORD, user["email"]
            )
            link = self.mailer.link(f"/reset-password?token={token}")
            await self.mailer.queue("password_reset", user, {"link": link})

    async def reset_password(self, token: str, password: str) -> None:
        """Use a reset link: set `password`, end every login, email that it changed. 400
        naming `token` when the link is unknown, used, expired, or the password changed
        since it was sent."""
        password_hash = await self.passwords.hash(password)
        user_id = await self._reset(token, password_hash)
        await self.hub.close_user(user_id, CLOSE_UNAUTHORIZED, "password reset")

    @retry_transient
    async def _reset(self, token: str, password_hash: str) -> ObjectId:
        async with self.store.atomic():
            found = await account_tokens.redeem(self.db, token, account_tokens.RESET_PASSWORD)
            if found is None:
                raise _bad_link()
            user = await users.get_user(self.db, found["user_id"])
            if user is None:
                raise _bad_link()
            if found["email"] == user["email"] and not user.get("email_verified"):
                await users.verify_email(self.db, user["_id"], user["email"])
            await self._set_password(user, password_hash, keep=None)
            user_id: ObjectId = user["_id"]
        return user_id

    async def change_password(self, identity: Identity, current: str, password: str) -> None:
        """Set a new password for the caller, who proves the current one (400 naming
        `current_password` otherwise); their other logins end."""
        user = await self.proven(identity.user_id, current, "current_password")
        password_hash = await self.passwords.hash(password)
        await self._change(user, password_hash, identity.session_id)
        await self.hub.close_user(
            user["_id"], CLOSE_UNAUTHORIZED, "password changed", keep=identity.session_id
        )

    @retry_transient
    async def _change(self, user: dict[str, Any], password_hash: str, keep: ObjectId) -> None:
        async with self.store.atomic():
            await self._set_password(user, password_hash, keep=keep)

    async def _set_password(
        self, user: dict[str, Any], password_hash: str, keep: ObjectId | None
    ) -> None:
        await users.set_password_hash(self.db, user["_id"], password_hash)
        await account_tokens.revoke_all(self.db, user["_id"], account_tokens.RESET_PASSWORD)
        await sessions.revoke_all_of(self.db, user["_id"], "password changed", keep=keep)
        await self.mailer.queue(
            "password_changed",
            user,
            {
                "when": format_datetime(utcnow()).replace("T", " ")[:16],
                "link": self.mailer.link("/forgot-password"),
            },
        )

    @retry_transient
    async def change_email(self, user_id: ObjectId, password: str, email: str) -> None:
        """Start changing the caller's address to `email` (proving the password): a link goes
        to the new address, a notice to the old one; the address changes once the link is
        used. 409 when another account has it."""
        user = await self.proven(user_id, password, "password")
        if email == user["email"]:
            raise field_error("email", "This is already your address.")
        if await users.email_taken(self.db, email):
            raise conflict("An account with this email already exists.")
        async with self.store.atomic():
            await self.send_verification(user, email)
            await self.mailer.queue(
                "email_change_notice",
                user,
                {"new_email": email, "link": self.mailer.link("/settings")},
            )

    async def proven(self, user_id: ObjectId, password: str, field: str) -> dict[str, Any]:
        """The caller's account once `password` is proven to be theirs (400 naming `field`
        otherwise)."""
        user = await users.get_user(self.db, user_id)
        if user is None or user.get("deleted_at") is not None:
            raise unauthorized("This account no longer exists.")
        if not await self.passwords.verify(user.get("password_hash"), password):
            raise field_error(field, "This is not your current password.")
        return user


def _bad_link() -> ApiError:
    return field_error(
        "token",
        "This link is not valid any more: it was used, it expired, or a "
        "newer one replaced it. Ask for a new one.",
    )
