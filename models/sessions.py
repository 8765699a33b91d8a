"""Logins: one session per login, holding the hash of its current refresh token.

Refreshing swaps the current hash for a new one in a single conditional update, so two
concurrent refreshes with the same token cannot both succeed. Presenting a token that this
login used before (a replay, or a stolen copy racing the real client) revokes the login.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from bson import ObjectId
from marshmallow import Schema, fields
from pymongo import IndexModel, ReturnDocument

from hypee.auth import Identity, new_refresh_token, refresh_token_hash, refresh_token_session
from hypee.dbapi import DocumentDatabase
from hypee.errors import ApiError, unauthorized
from hypee.jsonio import utcnow

COLLECTION = "sessions"
# How many superseded token hashes a session remembers for reuse detection.
REMEMBERED_TOKENS = 20

INDEXES = {
    COLLECTION: [
        IndexModel("expires_at", expireAfterSeconds=0, name="expiry_ttl"),
        IndexModel([("user_id", 1), ("revoked", 1)], name="by_user"),
    ]
}


class SessionDocument(TypedDict, total=False):
    """A login (a refresh-token family) as stored in `sessions`."""

    _id: ObjectId
    user_id: ObjectId
    token_hash: str  # of the current refresh token
    previous_hashes: list[str]  # recently rotated ones: presenting one again revokes the login
    revoked: bool
    revoked_reason: str
    created_at: datetime
    refreshed_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str


class RefreshTokenReused(ApiError):
    """A refresh token this login used before was presented again: the login is revoked."""

    def __init__(self, session_id: ObjectId) -> None:
        super().__init__("unauthorized", "The refresh token is not valid.")
        self.session_id = session_id


class RefreshSchema(Schema):
    refresh = fields.String(
        metadata={
            "description": "The refresh token; in browser mode (the X-Hypee-Client: web "
            "header) the hypee_refresh cookie carries it instead. Without either, refresh is "
            "401 and logout ends the login of the access token used."
        }
    )


async def start(
    db: DocumentDatabase,
    user_id: ObjectId,
    lifetime_seconds: int,
    *,
    user_agent: str = "",
    ip: str = "",
) -> tuple[Identity, str]:
    """Open a login for `user_id`; returns its identity and its first refresh token."""
    session_id = ObjectId()
    token = new_refresh_token(session_id)
    now = utcnow()
    await db[COLLECTION].insert_one(
        {
            "_id": session_id,
            "user_id": user_id,
            "token_hash": refresh_token_hash(token),
            "previous_hashes": [],
            "revoked": False,
            "created_at": now,
            "refreshed_at": now,
            "expires_at": now + timedelta(seconds=lifetime_seconds),
            "user_agent": user_agent[:200],
            "ip": ip,
        }
    )
    return Identity(user_id, session_id), token


async def rotate(db: DocumentDatabase, token: str, lifetime_seconds: int) -> tuple[Identity, str]:
    """Exchange a refresh token for a new one; 401 when it is unknown, used, revoked or expired."""
    session_id = refresh_token_session(token)
    presented = refresh_token_hash(token)
    replacement = new_refresh_token(session_id)
    now = utcnow()
    session = await db[COLLECTION].find_one_and_update(
        {"_id": session_id, "token_hash": presented, "revoked": False, "expires_at": {"$gt": now}},
        {
            "$set": {
                "token_hash": refresh_token_hash(replacement),
                "refreshed_at": now,
                "expires_at": now + timedelta(seconds=lifetime_seconds),
            },
            "$push": {"previous_hashes": {"$each": [presented], "$slice": -REMEMBERED_TOKENS}},
        },
        return_document=ReturnDocument.AFTER,
    )
    if session is None:
        reused = await db[COLLECTION].update_one(
            {"_id": session_id, "previous_hashes": presented, "revoked": False},
            {"$set": {"revoked": True, "revoked_reason": "refresh token reused"}},
        )
        if reused.modified_count:
            raise RefreshTokenReused(session_id)
        raise unauthorized("The refresh token is not valid.")
    return Identity(session["user_id"], session_id), replacement


async def revoke(db: DocumentDatabase, token: str, user_id: ObjectId) -> ObjectId:
    """End the login a refresh token belongs to; returns its id. 401 if it is not the caller's."""
    session_id = refresh_token_session(token)
    presented = refresh_token_hash(token)
    session = await db[COLLECTION].find_one({"_id": session_id, "user_id": user_id})
    if session is None or (
        session["token_hash"] != presented and presented not in session.get("previous_hashes", [])
    ):
        raise unauthorized("The refresh token is not valid.")
    return await revoke_session(db, session_id)


async def revoke_session(db: DocumentDatabase, session_id: ObjectId) -> ObjectId:
    """End the login `session_id` (its refresh tokens stop working); returns its id."""
    await db[COLLECTION].update_one(
        {"_id": session_id}, {"$set": {"revoked": True, "revoked_reason": "logout"}}
    )
    return session_id


async def is_active(db: DocumentDatabase, session_id: ObjectId) -> bool:
    """True while the login `session_id` is neither revoked nor expired."""
    found = await db[COLLECTION].count_documents(
        {"_id": session_id, "revoked": False, "expires_at": {"$gt": utcnow()}}, limit=1
    )
    return found > 0


async def revoke_all_of(
    db: DocumentDatabase, user_id: ObjectId, reason: str, keep: ObjectId | None = None
) -> None:
    """End every login of `user_id` but `keep` (a password changed or reset)."""
    query: dict[str, object] = {"user_id": user_id, "revoked": False}
    if keep is not None:
        query["_id"] = {"$ne": keep}
    await db[COLLECTION].update_many(query, {"$set": {"revoked": True, "revoked_reason": reason}})
