"""Email verification, forgotten and changed passwords, a changed email address.

The links in account emails carry single-use tokens (models/account_tokens.py); these routes
redeem them. Asking for a reset answers 202 whether or not the address has an account.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from handlers.auth import PublicAuthHandler
from handlers.base import BaseHandler
from hypee.errors import rate_limited
from hypee.openapi import Operation
from models.users import MAX_PASSWORD, MIN_PASSWORD, EmailAddress

TOKEN = fields.String(
    required=True,
    validate=validate.Length(1, 200),
    metadata={"description": "The token of the link the email carried."},
)


def _new_password() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(MIN_PASSWORD, MAX_PASSWORD),
        metadata={"description": f"At least {MIN_PASSWORD} characters."},
    )


class TokenSchema(Schema):
    token = TOKEN


class ForgotPasswordSchema(Schema):
    email = EmailAddress(required=True)


class ResetPasswordSchema(Schema):
    token = TOKEN
    password = _new_password()


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(1, MAX_PASSWORD))
    password = _new_password()


class ChangeEmailSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(1, MAX_PASSWORD))
    email = EmailAddress(required=True)


class VerifyEmailHandler(PublicAuthHandler):
    docs = {
        "POST": Operation(
            "Verify an email address with the link's token",
            body=TokenSchema,
            response=None,
            description="The link works once, for 48 hours; a newer link replaces it. After a "
            "change of address (POST /api/me/email) this is when the address changes. 400 "
            "naming `token` when the link is not valid; 409 when another account took the "
            "address meanwhile.",
            errors=(409,),
        )
    }

    async def post(self) -> None:
        data = self.load_body(TokenSchema)
        await self.services.credentials.verify_email(data["token"])
        self.no_content()


class ResendVerificationHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Send a new verification link to the caller's address",
            response=None,
            status=202,
            errors=(409, 429),
            description="409 when the address is already verified; 429 past 5 account emails "
            "an hour for one address.",
        )
    }

    async def post(self) -> None:
        await self._limit()
        await self.services.credentials.resend_verification(self.user_id)
        self.no_content(202)

    async def _limit(self) -> None:
        wait = await self.services.auth_limits.emails_by_address.hit(f"user:{self.user_id}")
        if wait is not None:
            raise rate_limited(wait, "Too many emails asked for; try again later.")


class ForgotPasswordHandler(PublicAuthHandler):
    docs = {
        "POST": Operation(
            "Ask for a password reset link",
            body=ForgotPasswordSchema,
            response=None,
            status=202,
            errors=(429,),
            description="202 whether or not the address has an account (nothing tells them "
            "apart); the link works once, for one hour, and not after the password changed. "
            "429 past 5 a hour for one address, or HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN a minute "
            "from one client address.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(ForgotPasswordSchema)
        limits = self.services.auth_limits
        for limiter, key in (
            (limits.attempts_by_ip, self.client_ip()),
            (limits.emails_by_address, "reset:" + data["email"]),
        ):
            wait = await limiter.hit(key)
            if wait is not None:
                raise rate_limited(wait, "Too many reset requests; try again later.")
        await self.services.credentials.forgot_password(data["email"])
        self.no_content(202)


class ResetPasswordHandler(PublicAuthHandler):
    docs = {
        "POST": Operation(
            "Set a new password with a reset link's token",
            body=ResetPasswordSchema,
            response=None,
            description="Ends every login of the account (refresh tokens refused, open sockets "
            "closed with 4401) and emails that the password changed. 400 naming `token` when "
            "the link is not valid.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(ResetPasswordSchema)
        await self.services.credentials.reset_password(data["token"], data["password"])
        self.no_content()


class ChangePasswordHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Change the caller's password",
            body=ChangePasswordSchema,
            response=None,
            description="400 naming `current_password` when it is wrong. The caller's other "
            "logins end (this one stays), and an email says the password changed.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(ChangePasswordSchema)
        assert self.identity is not None
        await self.services.credentials.change_password(
            self.identity, data["current_password"], data["password"]
        )
        self.no_content()


class ChangeEmailHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "Change the caller's email address",
            body=ChangeEmailSchema,
            response=None,
            status=202,
            errors=(409,),
            description="400 naming `password` when it is wrong; 409 when another account has "
            "the address. A verification link goes to the new address and a notice to the "
            "old one; the address changes once the link is used (POST "
            "/api/auth/verify-email).",
        )
    }

    async def post(self) -> None:
        data = self.load_body(ChangeEmailSchema)
        await self.services.credentials.change_email(self.user_id, data["password"], data["email"])
        self.no_content(202)
