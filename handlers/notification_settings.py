"""How a person is reached while away: their notification settings, and the one-click
unsubscribe link of notification emails (RFC 8058)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from handlers.base import BaseHandler
from hypee.openapi import Operation
from models.notification_settings import (
    UNSUBSCRIBABLE,
    NotificationSettingsSchema,
    NotificationSettingsViewSchema,
)
from services.mail import read_unsubscribe


class NotificationSettingsHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "The caller's notification settings", response=NotificationSettingsViewSchema
        ),
        "PUT": Operation(
            "Change the caller's notification settings",
            body=NotificationSettingsSchema,
            response=NotificationSettingsViewSchema,
            description="Any subset of the fields; the others keep their values. A change of "
            "digest frequency or time zone moves the next digest (08:00 local; weekly ones on "
            "Mondays).",
        ),
    }

    async def get(self) -> None:
        self.write_json(await self.services.preferences.of(self.user_id))

    async def put(self) -> None:
        changes = self.load_body(NotificationSettingsSchema)
        self.write_json(await self.services.preferences.update(self.user_id, changes))


class UnsubscribedSchema(Schema):
    topic = fields.String(
        required=True,
        validate=validate.OneOf(UNSUBSCRIBABLE),
        metadata={"description": "The emails turned off."},
    )


class UnsubscribeHandler(BaseHandler):
    """The List-Unsubscribe URL of notification emails: mail clients POST to it (body
    `List-Unsubscribe=One-Click`, form-encoded), and so does the web app's /unsubscribe page."""

    public_methods = frozenset({"POST"})
    docs = {
        "POST": Operation(
            "Turn off one kind of email without signing in (one-click unsubscribe)",
            response=UnsubscribedSchema,
            errors=(400,),
            description="The token comes from the link in the email; the body, if any, is "
            "ignored (RFC 8058 clients send List-Unsubscribe=One-Click). 400 naming `token` "
            "when the link is not one of ours.",
        )
    }

    async def post(self, token: str) -> None:
        user_id, topic = read_unsubscribe(token)
        await self.services.preferences.unsubscribe(user_id, topic)
        self.write_json({"topic": topic})
