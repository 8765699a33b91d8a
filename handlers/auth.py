"""Accounts: register, login, refresh, logout, the caller's profile, public profiles."""

from __future__ import annotations

from marshmallow import Schema, fields

from handlers.base import BaseHandler
from hypee.errors import not_found, rate_limited, unauthorized
from hypee.openapi import Operation
from models import mentors, sessions, users


class TokenPairSchema(Schema):
    access = fields.String(required=True, metadata={"description": "Access token (15 minutes)."})
    refresh = fields.String(required=True, metadata={"description": "Refresh token (30 days)."})


class AuthResultSchema(TokenPairSchema):
    user = fields.Nested(users.PrivateUserSchema, required=True)


class PublicAuthHandler(BaseHandler):
    """Register, login and refresh: the Authorization header is ignored entirely, so a client
    that sends its (maybe expired) access token everywhere can still renew it."""

    public_methods = frozenset({"POST"})

    def authorize_request(self, method: str) -> None:
        return None


class AuthHandler(PublicAuthHandler):
    """Shared by the handlers that open a login."""

    async def open_session(self, user: dict) -> dict:
        """Start a login for `user`; the {user, access, refresh} answer."""
        return await self.services.accounts.open_session(
            user, self.request.headers.get("User-Agent", ""), self.client_ip()
        )


class RegisterHandler(AuthHandler):
    docs = {
        "POST": Operation(
            "Create an account",
            body=users.RegisterSchema,
            response=AuthResultSchema,
            status=201,
            errors=(409, 429),
        )
    }

    async def post(self) -> None:
        data = self.load_body(users.RegisterSchema)
        limits = self.services.auth_limits
        for limiter, key in (
            (limits.attempts_by_ip, self.client_ip()),
            (limits.login_failures_by_email, "register:" + data["email"]),
        ):
            wait = await limiter.hit(key)
            if wait is not None:
                raise rate_limited(wait)
        user = await self.services.accounts.register(data)
        self.write_json(await self.open_session(user), 201)


class LoginHandler(AuthHandler):
    docs = {
        "POST": Operation(
            "Log in",
            body=users.LoginSchema,
            response=AuthResultSchema,
            errors=(401, 429),
            description="A wrong email and a wrong password get the same 401. After "
            "HYPEE_LOGIN_FAILURES_PER_MIN failures in a minute for one email, 429.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(users.LoginSchema)
        email = users.normalize_email(data["email"])
        limits = self.services.auth_limits
        checks = (
            (limits.login_failures_by_email, email),
            (limits.attempts_by_ip, self.client_ip()),
        )
        for limiter, key in checks:
            wait = await limiter.blocked(key)
            if wait is not None:
                raise rate_limited(wait, "Too many failed logins; try again later.")
        user = await self.services.accounts.authenticate(email, data["password"])
        if user is None:
            for limiter, key in checks:
                await limiter.hit(key)
            raise unauthorized("Invalid email or password.")
        await limits.login_failures_by_email.reset(email)
        self.write_json(await self.open_session(user))


class RefreshHandler(PublicAuthHandler):
    docs = {
        "POST": Operation(
            "Exchange a refresh token for a new token pair",
            body=sessions.RefreshSchema,
            response=TokenPairSchema,
            errors=(401,),
            description="The refresh token rotates. Presenting a used one is 401 and ends the "
            "whole login it belongs to.",
        )
    }

    async def post(self) -> None:
        data = self.load_body(sessions.RefreshSchema)
        self.write_json(await self.services.accounts.refresh(data["refresh"]))


class LogoutHandler(BaseHandler):
    docs = {
        "POST": Operation(
            "End a login",
            body=sessions.RefreshSchema,
            response=None,
            description="That login's refresh tokens stop working, its open sockets are closed "
            "and new sockets refuse its access tokens; access tokens already issued still pass "
            "REST calls until they expire (15 minutes at most).",
        )
    }

    async def post(self) -> None:
        data = self.load_body(sessions.RefreshSchema)
        await self.services.accounts.logout(data["refresh"], self.user_id)
        self.no_content()


class MeHandler(BaseHandler):
    docs = {
        "GET": Operation("The caller's account", response=users.PrivateUserSchema),
        "PATCH": Operation(
            "Edit the caller's profile",
            body=users.ProfileUpdateSchema,
            response=users.PrivateUserSchema,
        ),
    }

    async def get(self) -> None:
        user = await users.get_user(self.db, self.user_id)
        if user is None:
            raise unauthorized("This account no longer exists.")
        self.write_json(users.private_view(user))

    async def patch(self) -> None:
        changes = self.load_body(users.ProfileUpdateSchema)
        user = await self.services.accounts.update_profile(self.user_id, changes)
        if user is None:
            raise unauthorized("This account no longer exists.")
        self.write_json(users.private_view(user))


class MentorProfileHandler(BaseHandler):
    docs = {
        "PUT": Operation(
            "Become a mentor, or replace the caller's mentor profile",
            body=mentors.MentorProfileSchema,
            response=users.PrivateUserSchema,
        )
    }

    async def put(self) -> None:
        profile = self.load_body(mentors.MentorProfileSchema)
        user = await mentors.set_profile(self.db, self.user_id, profile)
        if user is None:
            raise unauthorized("This account no longer exists.")
        self.write_json(users.private_view(user))


class UserHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {"GET": Operation("A user's public profile", response=users.PublicUserSchema)}

    async def get(self, user_id: str) -> None:
        user = await users.get_user(self.db, self.path_id(user_id, "user"))
        if user is None:
            raise not_found("user")
        self.write_json(users.public_view(user))
