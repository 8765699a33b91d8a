"""Single-use links sent by email: verifying an address, resetting a password.

A token is 256 random bits handed out once, in the email; only its SHA-256 is stored, so the
store alone cannot forge a link. Redeeming deletes it in one conditional operation, so a link
works once even when opened twice at the same moment. Expired ones are purged by TTL.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TypedDict

from bson import ObjectId
from pymongo import IndexModel

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed

COLLECTION = "account_tokens"
VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
LIFETIMES = {VERIFY_EMAIL: timedelta(hours=48), RESET_PASSWORD: timedelta(hours=1)}

INDEXES = {
    COLLECTION: [
        IndexModel("token_hash", unique=True, name="token_unique"),
        IndexModel([("user_id", 1), ("purpose", 1)], name="by_user"),
        IndexModel("expires_at", expireAfterSeconds=0, name="expiry_ttl"),
    ]
}


class AccountTokenDocument(TypedDict):
    _id: ObjectId
    user_id: ObjectId
    purpose: str  # VERIFY_EMAIL or RESET_PASSWORD
    email: str  # verify: the address it confirms; reset: the address it was sent to
    token_hash: str
    created_at: datetime
    expires_at: datetime


def _tokens(db: DocumentDatabase) -> DocumentCollection[AccountTokenDocument]:
    return typed(db[COLLECTION], AccountTokenDocument)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(db: DocumentDatabase, user_id: ObjectId, purpose: str, email: str) -> str:
    """A new token for `purpose` (in the caller's unit of work); returns the token itself."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await _tokens(db).insert_one(
        {
            "_id": ObjectId(),
            "user_id": user_id,
            "purpose": purpose,
            "email": email,
            "token_hash": _hash(token),
            "created_at": now,
            "expires_at": now + LIFETIMES[purpose],
        }
    )
    return token


async def redeem(db: DocumentDatabase, token: str, purpose: str) -> AccountTokenDocument | None:
    """Use a token once: its document (now deleted), or None when it is unknown, used,
    expired, or for another purpose."""
    if not token or len(token) > 200:
        return None
    found = await _tokens(db).find_one_and_delete({"token_hash": _hash(token), "purpose": purpose})
    if found is None or found["expires_at"] <= clock.now():
        return None
    return found


async def revoke_all(db: DocumentDatabase, user_id: ObjectId, purpose: str) -> None:
    """Void every outstanding token of `purpose` for the user (e.g. resets, once the password
    changed)."""
    await _tokens(db).delete_many({"user_id": user_id, "purpose": purpose})
