"""Tokens, password hashing and the caller's identity.

Access tokens are short-lived JWTs naming the user and the login (session) they came from.
Refresh tokens are opaque: `<session id>.<random secret>`; the session document keeps only a
hash of the current one, and rotation replaces it (see models/sessions.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import argon2
import jwt
from bson import ObjectId

from hypee.errors import ApiError, unauthorized
from hypee.ids import parse_object_id

JWT_ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Identity:
    """Who is calling: the user and the login (refresh-token family) the token belongs to."""

    user_id: ObjectId
    session_id: ObjectId


class TokenService:
    """Issues and checks access tokens, and makes refresh tokens."""

    def __init__(self, secret: str, access_seconds: int) -> None:
        self._secret = secret
        self.access_seconds = access_seconds

    def access_token(self, identity: Identity) -> str:
        """A signed access token for `identity`, valid for `access_seconds`."""
        now = int(time.time())
        claims = {
            "sub": str(identity.user_id),
            "sid": str(identity.session_id),
            "typ": "access",
            "iat": now,
            "exp": now + self.access_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM)

    def verify_access(self, token: str) -> Identity:
        """The identity in `token`; `token_expired` or `unauthorized` (401) when it is not valid."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise unauthorized("The access token is not valid.")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub", "sid", "typ"]},
            )
        except jwt.ExpiredSignatureError:
            raise ApiError("token_expired", "The access token has expired; refresh it.") from None
        except jwt.InvalidTokenError:
            raise unauthorized("The access token is not valid.") from None
        user_id = parse_object_id(claims.get("sub"))
        session_id = parse_object_id(claims.get("sid"))
        if claims.get("typ") != "access" or user_id is None or session_id is None:
            raise unauthorized("The access token is not valid.")
        return Identity(user_id, session_id)


def new_refresh_token(session_id: ObjectId) -> str:
    """A fresh refresh token of the login `session_id`."""
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def refresh_token_hash(token: str) -> str:
    """What the database keeps of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_token_session(token: str) -> ObjectId:
    """The session a refresh token claims to belong to; 401 when it is not shaped like one."""
    session_part, _, secret = token.partition(".")
    session_id = parse_object_id(session_part)
    if session_id is None or not secret or len(token) > 256:
        raise unauthorized("The refresh token is not valid.")
    return session_id


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


T = TypeVar("T")


class PasswordService:
    """Argon2id hashing in a thread pool, so hashing never blocks the event loop."""

    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._executor = ThreadPoolExecutor(
            max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="argon2"
        )
        self._dummy_hash: str | None = None

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def hash(self, password: str) -> str:
        """An Argon2id hash of `password`."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches `stored_hash`.

        With no hash (unknown email) a dummy hash is checked anyway, so the answer takes as long
        as for a real account and response times do not reveal which emails exist.
        """
        if stored_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash(secrets.token_hex(16))
            await self._run(self._check, self._dummy_hash, password)
            return False
        return await self._run(self._check, stored_hash, password)

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when `stored_hash` was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored_hash)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
