"""Accounts: register, login, refresh, logout, the caller's profile, public profiles.

Two ways to hold a login. Mobile and other programs get both tokens in the JSON body and send
the refresh token back in it. Browsers send `X-Hypee-Client: web` (browser mode): the refresh
token then travels only in the `hypee_refresh` cookie (HttpOnly, SameSite=Strict, scoped to
/api/auth/, Secure except on plain-http localhost), never in a body scripts could read. A
cross-site page cannot add that header to a request, which guards refresh and logout against
CSRF on top of SameSite.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from handlers.base import BaseHandler
from hypee.errors import field_error, not_found, rate_limited, unauthorized
from hypee.fields import StrictBoolean
from hypee.openapi import Operation
from models import mentors, sessions, users

BROWSER_HEADER = "X-Hypee-Client"
REFRESH_COOKIE = "hypee_refresh"
COOKIE_PATH = "/api/auth/"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


# How OpenAPI shows browser mode (module docstring) on the four routes that take part in it.
BROWSER_PARAMETER = {
    "in": "header",
    "name": BROWSER_HEADER,
    "required": False,
    "schema": {"type": "string", "enum": ["web"]},
    "description": "web: browser mode. The refresh token then travels in the hypee_refresh "
    "cookie only (set on the answer, read by refresh and logout), never in a body.",
}
COOKIE_PARAMETER = {
    "in": "cookie",
    "name": REFRESH_COOKIE,
    "required": False,
    "schema": {"type": "string"},
    "description": "Browser mode: the refresh token, as login, register and refresh set it.",
}
SET_COOKIE = {
    "Set-Cookie": {
        "description": f"Browser mode only: {REFRESH_COOKIE}=<refresh token>; HttpOnly; "
        f"SameSite=Strict; Path={COOKIE_PATH}; Max-Age=<30 days>; Secure (except on plain-http "
        "localhost). Refresh failing and logout clear it.",
        "schema": {"type": "string"},
    }
}
OPENING: dict[str, Any] = {"parameters": (BROWSER_PARAMETER,), "headers": SET_COOKIE}
USING: dict[str, Any] = {"parameters": (BROWSER_PARAMETER, COOKIE_PARAMETER), "headers": SET_COOKIE}


class TokenPairSchema(Schema):
    access = fields.String(required=True, metadata={"description": "Access token (15 minutes)."})
    refresh = fields.String(
        metadata={
            "description": "Refresh token (30 days); absent in browser mode, where it is set "
            "as the hypee_refresh cookie instead."
        }
    )


class BrowserSessions(BaseHandler):
    """Browser mode (see the module docstring): the refresh token as a cookie."""

    def authorize_request(self, method: str) -> None:
        self.check_client_header()
        super().authorize_request(method)

    def check_client_header(self) -> None:
        """400 naming the header when X-Hypee-Client says something other than `web`."""
        value = self.request.headers.get(BROWSER_HEADER)
        if value is not None and value.lower() != "web":
            raise field_error(BROWSER_HEADER, "Must be web (browser mode), or left out.")

    def browser_mode(self) -> bool:
        return self.request.headers.get(BROWSER_HEADER, "").lower() == "web"

    def answer_tokens(self, result: dict[str, Any], status: int = 200) -> None:
        """Answer with a login's tokens; in browser mode the refresh token goes in the cookie."""
        if self.browser_mode():
            result = dict(result)
            refresh = result.pop("refresh")
            secure = not (self.request.protocol == "http" and self.request.host_name in LOCAL_HOSTS)
            self.set_cookie(
                REFRESH_COOKIE,
                refresh,
                path=COOKIE_PATH,
                httponly=True,
                secure=secure,
                samesite="Strict",
                max_age=self.services.settings.refresh_token_seconds,
            )
        self.write_json(result, status)

    def refresh_token(self, data: dict[str, Any]) -> str | None:
        """The refresh token of the request: the body's, or in browser mode the cookie's."""
        token = data.get("refresh")
        if token is None and self.browser_mode():
            token = self.get_cookie(REFRESH_COOKIE)
        return token

    def forget_cookie(self) -> None:
        if self.browser_mode():
            self.clear_cookie(REFRESH_COOKIE, path=COOKIE_PATH)


class AuthResultSchema(TokenPairSchema):
    user = fields.Nested(users.PrivateUserSchema, required=True)


class PublicAuthHandler(BrowserSessions):
    """Register, login and refresh: the Authorization header is ignored entirely, so a client
    that sends its (maybe expired) access token everywhere can still renew it."""

    public_methods = frozenset({"POST"})

    def authorize_request(self, method: str) -> None:
        self.check_client_header()


class AuthHandler(PublicAuthHandler):
    """Shared by the handlers that open a login."""

    async def open_session(self, user: dict[str, Any]) -> dict[str, Any]:
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
            **OPENING,
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
        self.answer_tokens(await self.open_session(user), 201)


class LoginHandler(AuthHandler):
    docs = {
        "POST": Operation(
            "Log in",
            body=users.LoginSchema,
            response=AuthResultSchema,
            errors=(401, 429),
            description="A wrong email and a wrong password get the same 401. After "
            "HYPEE_LOGIN_FAILURES_PER_MIN failures in a minute for one email, 429.",
            **OPENING,
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
        self.answer_tokens(await self.open_session(user))


class RefreshHandler(PublicAuthHandler):
    docs = {
        "POST": Operation(
            "Exchange a refresh token for a new token pair",
            body=sessions.RefreshSchema,
            response=TokenPairSchema,
            errors=(401,),
            description="The refresh token rotates. Presenting a used one is 401 and ends the "
            "whole login it belongs to. In browser mode the token comes from the hypee_refresh "
            "cookie (401 without one) and the new one goes back in it.",
            **USING,
        )
    }

    async def post(self) -> None:
        data = self.load_body(sessions.RefreshSchema)
        token = self.refresh_token(data)
        if token is None:
            raise unauthorized("Not signed in: no refresh token.")
        try:
            tokens = await self.services.accounts.refresh(token)
        except Exception:
            self.forget_cookie()  # a dead cookie is dropped with the 401
            raise
        self.answer_tokens(tokens)


class LogoutHandler(BrowserSessions):
    docs = {
        "POST": Operation(
            "End a login",
            body=sessions.RefreshSchema,
            response=None,
            description="That login's refresh tokens stop working, its open sockets are closed "
            "and new sockets refuse its access tokens; access tokens already issued still pass "
            "REST calls until they expire (15 minutes at most). In browser mode the login is "
            "the hypee_refresh cookie's, and the answer clears the cookie.",
            **USING,
        )
    }

    async def post(self) -> None:
        data = self.load_body(sessions.RefreshSchema)
        assert self.identity is not None
        await self.services.accounts.logout(self.identity, self.refresh_token(data))
        self.forget_cookie()
        self.no_content()


class DeleteAccountSchema(Schema):
    password = fields.String(
        required=True, validate=validate.Length(1, users.MAX_PASSWORD), load_only=True
    )
    erase_messages = StrictBoolean(
        load_default=False,
        metadata={"description": "Also turn every message the caller wrote into a deletion."},
    )


class MeHandler(BaseHandler):
    docs = {
        "GET": Operation("The caller's account", response=users.PrivateUserSchema),
        "PATCH": Operation(
            "Edit the caller's profile",
            body=users.ProfileUpdateSchema,
            response=users.PrivateUserSchema,
        ),
        "DELETE": Operation(
            "Delete the caller's account",
            body=DeleteAccountSchema,
            response=None,
            description="Every login ends at once (sockets close with 4401 on every process). "
            'The profile leaves the directory; the name becomes "Deleted user"; avatar, '
            "email, settings and points history are removed, and the email can register "
            "again. Other people keep their conversations and the forum keeps its posts, "
            'shown as by "Deleted user". With `erase_messages`, each of the caller\'s '
            "messages becomes a deletion (its attachments removed). 400 naming `password` "
            "when it is not the caller's.",
        ),
    }

    async def get(self) -> None:
        user = await users.get_user(self.db, self.user_id)
        if user is None or user.get("deleted_at") is not None:
            raise unauthorized("This account no longer exists.")
        self.write_json(users.private_view(user))

    async def delete(self) -> None:
        data = self.load_body(DeleteAccountSchema)
        await self.services.deletion.delete(self.user_id, data["password"], data["erase_messages"])
        self.no_content()

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
