"""Web Push: the server's public key, and the caller's push subscriptions."""

from __future__ import annotations

from marshmallow import Schema, fields

from handlers.base import BaseHandler
from hypee.errors import ApiError, not_found
from hypee.openapi import Operation
from models import push_subscriptions
from models.push_subscriptions import NewSubscriptionSchema, SubscriptionSchema


class PublicKeySchema(Schema):
    public_key = fields.String(
        required=True,
        metadata={
            "description": "The VAPID public key (base64url, uncompressed P-256 point): the "
            "applicationServerKey of PushManager.subscribe."
        },
    )


class PublicKeyHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {"GET": Operation("The server's Web Push public key", response=PublicKeySchema)}

    async def get(self) -> None:
        sender = self.services.push.sender
        if sender is None:
            raise ApiError("unavailable", "Web Push is starting; try again in a moment.")
        self.write_json({"public_key": sender.public_key})


class SubscriptionListSchema(Schema):
    results = fields.List(fields.Nested(SubscriptionSchema), required=True)


class SubscriptionListHandler(BaseHandler):
    docs = {
        "GET": Operation("The caller's push subscriptions", response=SubscriptionListSchema),
        "POST": Operation(
            "Register a push subscription (PushSubscription.toJSON())",
            body=NewSubscriptionSchema,
            response=SubscriptionSchema,
            status=201,
            description="Registering an endpoint again updates it (and moves it to the caller). "
            "Pushes go to a person's subscriptions when they have no open socket, as their "
            "notification settings allow.",
        ),
    }

    async def get(self) -> None:
        found = await push_subscriptions.listing(self.db, self.user_id)
        self.write_json({"results": [SubscriptionSchema().dump(s) for s in found]})

    async def post(self) -> None:
        data = self.load_body(NewSubscriptionSchema)
        stored = await self.services.push.subscribe(self.user_id, data["endpoint"], data["keys"])
        self.write_json(SubscriptionSchema().dump(stored), 201)


class SubscriptionHandler(BaseHandler):
    docs = {"DELETE": Operation("Remove one of the caller's push subscriptions", response=None)}

    async def delete(self, subscription_id: str) -> None:
        found = self.path_id(subscription_id, "subscription")
        if not await push_subscriptions.unsubscribe(self.db, self.user_id, found):
            raise not_found("subscription")
        self.no_content()
