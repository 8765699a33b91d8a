"""Web Push subscriptions: where a person's browsers (or phones) can be reached.

One document per push endpoint (unique): subscribing the same browser again updates it, and
a browser that changes hands moves to its new owner. A push service answering 404 or 410
means the subscription is gone, and it is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TypedDict

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates
from pymongo import IndexModel, ReturnDocument

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import ObjectIdField, UtcDateTime

COLLECTION = "push_subscriptions"
MAX_PER_USER = 20
BASE64URL = r"^[A-Za-z0-9_-]+={0,2}$"

INDEXES = {
    COLLECTION: [
        IndexModel("endpoint", unique=True, name="endpoint_unique"),
        IndexModel([("user_id", 1), ("created_at", 1)], name="by_user"),
    ]
}


class PushKeysSchema(Schema):
    p256dh = fields.String(
        required=True,
        validate=[validate.Length(80, 100), validate.Regexp(BASE64URL)],
        metadata={"description": "The browser's P-256 public key, base64url (65 bytes)."},
    )
    auth = fields.String(
        required=True,
        validate=[validate.Length(16, 32), validate.Regexp(BASE64URL)],
        metadata={"description": "The authentication secret, base64url (16 bytes)."},
    )


class NewSubscriptionSchema(Schema):
    """A PushSubscription as the browser's `subscription.toJSON()` gives it."""

    endpoint = fields.String(required=True, validate=validate.Length(10, 2000))
    keys = fields.Nested(PushKeysSchema, required=True)

    @validates("endpoint")
    def _https(self, value: str, **kwargs: object) -> None:
        if not value.startswith(("https://", "http://")):
            raise ValidationError("Must be the push service's https:// URL.")


class SubscriptionSchema(Schema):
    id = ObjectIdField(attribute="_id", required=True)
    endpoint = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class SubscriptionDocument(TypedDict):
    _id: ObjectId
    user_id: ObjectId
    endpoint: str
    keys: dict[str, str]  # p256dh, auth
    created_at: datetime


def _subscriptions(db: DocumentDatabase) -> DocumentCollection[SubscriptionDocument]:
    return typed(db[COLLECTION], SubscriptionDocument)


async def subscribe(
    db: DocumentDatabase, user_id: ObjectId, endpoint: str, keys: dict[str, str]
) -> SubscriptionDocument:
    """Store (or take over) the subscription of `endpoint` for `user_id`; the oldest of a
    user's subscriptions go past MAX_PER_USER."""
    found = await _subscriptions(db).find_one_and_update(
        {"endpoint": endpoint},
        {
            "$set": {"user_id": user_id, "keys": keys},
            "$setOnInsert": {"_id": ObjectId(), "created_at": clock.now()},
        },
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert found is not None
    mine = await _subscriptions(db).find({"user_id": user_id}).sort("created_at", -1).to_list(None)
    for old in mine[MAX_PER_USER:]:
        await _subscriptions(db).delete_one({"_id": old["_id"]})
    return found


async def unsubscribe(db: DocumentDatabase, user_id: ObjectId, subscription_id: ObjectId) -> bool:
    """Delete one of the user's subscriptions; False when it is not theirs (or gone)."""
    result = await _subscriptions(db).delete_one({"_id": subscription_id, "user_id": user_id})
    return result.deleted_count == 1


async def get(db: DocumentDatabase, subscription_id: ObjectId) -> SubscriptionDocument | None:
    return await _subscriptions(db).find_one({"_id": subscription_id})


async def gone(db: DocumentDatabase, subscription_id: ObjectId) -> None:
    """The push service no longer knows the subscription (404 or 410)."""
    await _subscriptions(db).delete_one({"_id": subscription_id})


async def of_users(
    db: DocumentDatabase, user_ids: list[ObjectId]
) -> dict[ObjectId, list[SubscriptionDocument]]:
    """The subscriptions of `user_ids`, by user."""
    found = await _subscriptions(db).find({"user_id": {"$in": user_ids}}).to_list(None)
    by_user: dict[ObjectId, list[SubscriptionDocument]] = defaultdict(list)
    for subscription in found:
        by_user[subscription["user_id"]].append(subscription)
    return by_user


async def listing(db: DocumentDatabase, user_id: ObjectId) -> list[SubscriptionDocument]:
    return await _subscriptions(db).find({"user_id": user_id}).sort("created_at", 1).to_list(None)


async def forget(db: DocumentDatabase, user_id: ObjectId) -> None:
    """Remove every subscription of `user_id` (the account is deleted)."""
    await _subscriptions(db).delete_many({"user_id": user_id})
