"""The moderation area (moderators and admins; to anyone else every route here is a 404) and
staff roles (admins)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, fields, validate

from handlers.base import BaseHandler
from hypee.errors import not_found
from hypee.fields import StrictBoolean, Text
from hypee.openapi import Operation
from hypee.paging import page_schema
from models import audit, reports, users
from services.moderation import ACTIONS, case_view

CasePageSchema = page_schema(reports.CaseSchema, "CasePage")
AuditPageSchema = page_schema(audit.AuditEntrySchema, "AuditPage")


class ActionSchema(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(ACTIONS),
        metadata={
            "description": "dismiss: the open reports were unfounded (content the guard hid "
            "automatically comes back). hide / restore: a message, question or answer, for "
            "everyone. suspend: the user (or the content's author), until `until` or for good. "
            "lift_suspension."
        },
    )
    target = fields.Nested(reports.TargetSchema, required=True)
    reason = Text(max_length=500, multiline=True, required=True)
    until = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "suspend only: when it ends (in the future); absent: for good."},
    )


class RolesSchema(Schema):
    moderator = StrictBoolean(required=True)
    reason = Text(max_length=500, load_default="set by an admin")


class RolesViewSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(users.STAFF_ROLES)), required=True)


class StaffHandler(BaseHandler):
    """A route of the moderation area: 404 to anyone but moderators and admins."""

    required_role: str | None = None  # a role the caller must hold; None: any staff role

    async def require_staff(self) -> None:
        roles = await users.staff_roles(self.db, self.user_id)
        allowed = self.required_role in roles if self.required_role else bool(roles)
        if not allowed:
            raise not_found()


class CaseListHandler(StaffHandler):
    docs = {
        "GET": Operation(
            "The moderation queue: reports grouped by target",
            query=reports.CaseQuerySchema,
            response=CasePageSchema,
            errors=(404,),
            description="Moderators only (404 for anyone else). Open cases oldest first, each "
            "with how many people reported it and for which reasons.",
        )
    }

    async def get(self) -> None:
        await self.require_staff()
        params = self.load_query(reports.CaseQuerySchema)
        page = await reports.queue(self.db, params)
        authors = await users.public_users(
            self.db, [c["author_id"] for c in page.items if c.get("author_id")]
        )
        self.write_page([case_view(c, authors) for c in page.items], page.next_cursor)


class CaseHandler(StaffHandler):
    docs = {
        "GET": Operation(
            "One case: its snapshot and context, its reports, the content now",
            response=reports.CaseDetailSchema,
            description="Moderators only (404 for anyone else).",
        )
    }

    async def get(self, case_id: str) -> None:
        await self.require_staff()
        case = await reports.get_case(self.db, self.path_id(case_id, "case"))
        if case is None:
            raise not_found("case")
        self.write_json(await self.services.moderation.case_detail(case))


class ActionHandler(StaffHandler):
    docs = {
        "POST": Operation(
            "Take a moderation action",
            body=ActionSchema,
            response=audit.AuditEntrySchema,
            status=201,
            errors=(404, 409),
            description="Moderators only (404 for anyone else). Each action needs a reason and "
            "is written to the audit log. Hiding a message updates open conversations like a "
            "deletion (`message_updated` with `hidden: true`); a suspension revokes the "
            "user's logins, closes their sockets on every process (4401), refuses their login "
            "with 403 `suspended`, and takes their mentor profile out of the directory. 409 "
            "when the action changes nothing.",
        )
    }

    async def post(self) -> None:
        await self.require_staff()
        data = self.load_body(ActionSchema)
        entry = await self.services.moderation.act(self.user_id, data)
        rendered = await audit.render(self.db, [entry])
        self.write_json(rendered[0], 201)


class AuditHandler(StaffHandler):
    docs = {
        "GET": Operation(
            "The audit log, newest first",
            query=audit.AuditQuerySchema,
            response=AuditPageSchema,
            errors=(404,),
            description="Moderators only (404 for anyone else): who did what, to what, why, when.",
        )
    }

    async def get(self) -> None:
        await self.require_staff()
        params = self.load_query(audit.AuditQuerySchema)
        page = await audit.listing(self.db, params)
        self.write_page(await audit.render(self.db, page.items), page.next_cursor)


class RolesHandler(StaffHandler):
    required_role = "admin"
    docs = {
        "PUT": Operation(
            "Grant or revoke the moderator role",
            body=RolesSchema,
            response=RolesViewSchema,
            description="Admins only (404 for anyone else); written to the audit log. The "
            "first admin is made with `python run.py --grant admin EMAIL`.",
        )
    }

    async def put(self, user_id: str) -> None:
        await self.require_staff()
        data: dict[str, Any] = self.load_body(RolesSchema)
        roles = await self.services.moderation.set_role(
            self.user_id,
            self.path_id(user_id, "user"),
            "moderator",
            data["moderator"],
            data["reason"],
        )
        self.write_json({"roles": roles})
