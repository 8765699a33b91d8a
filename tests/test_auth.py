"""Accounts and auth over real HTTP: register, login, refresh, logout, /api/me, public profiles."""

from __future__ import annotations

import asyncio

import pytest
from bson import ObjectId

from hypee.auth import Identity, TokenService
from tests.client import PASSWORD, ApiClient
from tests.helpers import assert_error

GOOD = {"email": "ada@example.com", "password": "long enough", "display_name": "Ada"}


async def test_register_returns_private_user_and_tokens(api: ApiClient):
    response = await api.post("/api/auth/register", {**GOOD, "email": "  Ada@Example.COM "})
    assert response.status == 201, response
    data = response.json
    assert set(data) == {"user", "access", "refresh"}
    user = data["user"]
    assert user["email"] == "ada@example.com"
    assert user["display_name"] == "Ada"
    assert user["role"] == "mentee"
    assert user["points"] == 0
    assert user["created_at"].endswith("Z")
    assert "password" not in str(data["user"]) and "hash" not in str(data["user"])
    me = await api.get("/api/me", token=data["access"])
    assert me.json == user


async def test_register_as_mentor_role(api: ApiClient):
    account = await api.register(role="mentor")
    assert account.user["role"] == "mentor"
    assert "mentor" not in account.user  # listed only once a profile is set


async def test_email_taken_is_409_case_insensitive(api: ApiClient):
    assert (await api.post("/api/auth/register", GOOD)).status == 201
    again = await api.post("/api/auth/register", {**GOOD, "email": "ADA@example.com"})
    assert_error(again, 409, "conflict")


async def test_concurrent_registrations_of_one_email_make_one_account(api: ApiClient):
    responses = await asyncio.gather(*(api.post("/api/auth/register", GOOD) for _ in range(8)))
    assert sorted(r.status for r in responses) == [201] + [409] * 7


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "long enough", "display_name": "A"}, "email"),
        ({**GOOD, "email": "not-an-email"}, "email"),
        ({**GOOD, "email": {"$gt": ""}}, "email"),
        ({**GOOD, "email": ["a@b.co"]}, "email"),
        ({**GOOD, "email": 42}, "email"),
        ({**GOOD, "password": "short"}, "password"),
        ({**GOOD, "password": 12345678}, "password"),
        ({**GOOD, "password": {"$ne": 1}}, "password"),
        ({**GOOD, "password": "x" * 1025}, "password"),
        ({**GOOD, "display_name": "   "}, "display_name"),
        ({**GOOD, "display_name": "x" * 81}, "display_name"),
        ({**GOOD, "display_name": "line\nbreak"}, "display_name"),
        ({**GOOD, "display_name": "nul\x00byte"}, "display_name"),
        ({**GOOD, "display_name": None}, "display_name"),
        ({**GOOD, "role": "admin"}, "role"),
        ({**GOOD, "is_admin": True}, "is_admin"),
    ],
)
async def test_register_validation(api: ApiClient, body: dict, field: str):
    error = assert_error(await api.post("/api/auth/register", body), 400, "validation_error")
    assert field in error["fields"], error
    # Nothing was stored.
    login = await api.post(
        "/api/auth/login", {"email": GOOD["email"], "password": GOOD["password"]}
    )
    assert login.status == 401


async def test_login_and_uniform_failures(api: ApiClient):
    account = await api.register()
    ok = await api.post("/api/auth/login", {"email": account.email.upper(), "password": PASSWORD})
    assert ok.status == 200, ok
    assert ok.json["user"]["id"] == account.id
    assert set(ok.json) == {"user", "access", "refresh"}
    wrong_password = await api.post(
        "/api/auth/login", {"email": account.email, "password": "nope nope"}
    )
    unknown_email = await api.post(
        "/api/auth/login", {"email": "ghost@example.com", "password": "nope nope"}
    )
    first = assert_error(wrong_password, 401, "unauthorized")
    second = assert_error(unknown_email, 401, "unauthorized")
    assert first["message"] == second["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": {"$gt": ""}, "password": {"$gt": ""}},
        {"email": {"$ne": None}, "password": "anything1"},
        {"email": "a@b.co", "password": {"$regex": ".*"}},
        {"email": "a@b.co"},
        {"password": "whatever1"},
        {"email": True, "password": "whatever1"},
    ],
)
async def test_login_rejects_operators_and_bad_types(api: ApiClient, body: dict):
    await api.register(email="a@b.co")
    assert_error(await api.post("/api/auth/login", body), 400, "validation_error")


async def test_failed_logins_are_rate_limited_per_email(api: ApiClient):
    account = await api.register()
    for _ in range(10):
        response = await api.post(
            "/api/auth/login", {"email": account.email, "password": "bad password"}
        )
        assert response.status == 401
    blocked = await api.post("/api/auth/login", {"email": account.email, "password": PASSWORD})
    assert_error(blocked, 429, "rate_limited")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Another account is not affected.
    other = await api.register()
    ok = await api.post("/api/auth/login", {"email": other.email, "password": PASSWORD})
    assert ok.status == 200


async def test_auth_attempts_are_rate_limited_per_ip(start_server):
    api = await start_server(auth_attempts_per_ip_per_min=3)
    for i in range(3):
        response = await api.post("/api/auth/register", {**GOOD, "email": f"u{i}@example.com"})
        assert response.status == 201
    blocked = await api.post("/api/auth/register", {**GOOD, "email": "u9@example.com"})
    assert_error(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) >= 1
    login = await api.post("/api/auth/login", {"email": "u0@example.com", "password": "wrong pass"})
    assert_error(login, 429, "rate_limited")


async def test_refresh_rotates(api: ApiClient):
    account = await api.register()
    response = await api.post("/api/auth/refresh", {"refresh": account.refresh})
    assert response.status == 200, response
    pair = response.json
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != account.refresh
    assert (await api.get("/api/me", token=pair["access"])).json["id"] == account.id
    again = await api.post("/api/auth/refresh", {"refresh": pair["refresh"]})
    assert again.status == 200


async def test_refresh_reuse_revokes_the_whole_login(api: ApiClient):
    account = await api.register()
    first = (await api.post("/api/auth/refresh", {"refresh": account.refresh})).json
    # The old token is presented again (stolen copy or replay): refused...
    reused = await api.post("/api/auth/refresh", {"refresh": account.refresh})
    assert_error(reused, 401, "unauthorized")
    # ...and the token family is revoked: the newest token no longer works either.
    assert_error(
        await api.post("/api/auth/refresh", {"refresh": first["refresh"]}), 401, "unauthorized"
    )
    # Other logins of the same user are untouched.
    login = (await api.post("/api/auth/login", {"email": account.email, "password": PASSWORD})).json
    assert (await api.post("/api/auth/refresh", {"refresh": login["refresh"]})).status == 200


async def test_concurrent_refreshes_with_one_token_succeed_at_most_once(api: ApiClient):
    account = await api.register()
    responses = await asyncio.gather(
        *(api.post("/api/auth/refresh", {"refresh": account.refresh}) for _ in range(5))
    )
    assert [r.status for r in responses].count(200) <= 1


@pytest.mark.parametrize(
    "token",
    ["", "garbage", f"{ObjectId()}.secret", f"{ObjectId()}", "x" * 300, {"$ne": ""}, 1],
)
async def test_refresh_with_bad_tokens(api: ApiClient, token):
    response = await api.post("/api/auth/refresh", {"refresh": token})
    assert response.status in (400, 401), response
    if isinstance(token, str):
        assert_error(response, 401, "unauthorized")
    else:
        assert_error(response, 400, "validation_error")


async def test_forged_refresh_for_a_real_login_does_not_revoke_it(api: ApiClient):
    account = await api.register()
    session_id = account.refresh.split(".")[0]
    forged = await api.post("/api/auth/refresh", {"refresh": f"{session_id}.forged-secret"})
    assert_error(forged, 401, "unauthorized")
    assert (await api.post("/api/auth/refresh", {"refresh": account.refresh})).status == 200


async def test_logout(api: ApiClient):
    account = await api.register()
    other_login = (
        await api.post("/api/auth/login", {"email": account.email, "password": PASSWORD})
    ).json
    # Logout needs the access token.
    assert_error(
        await api.post("/api/auth/logout", {"refresh": account.refresh}), 401, "unauthorized"
    )
    response = await api.post(
        "/api/auth/logout", {"refresh": account.refresh}, token=account.access
    )
    assert response.status == 204 and response.body == b""
    assert_error(
        await api.post("/api/auth/refresh", {"refresh": account.refresh}), 401, "unauthorized"
    )
    # The other login still works.
    assert (await api.post("/api/auth/refresh", {"refresh": other_login["refresh"]})).status == 200
    # Logging out twice is harmless.
    again = await api.post("/api/auth/logout", {"refresh": account.refresh}, token=account.access)
    assert again.status == 204


async def test_logout_without_a_refresh_token_ends_the_access_tokens_login(api: ApiClient):
    account = await api.register()
    other_login = (
        await api.post("/api/auth/login", {"email": account.email, "password": PASSWORD})
    ).json
    assert (await api.post("/api/auth/logout", {}, token=account.access)).status == 204
    assert_error(
        await api.post("/api/auth/refresh", {"refresh": account.refresh}), 401, "unauthorized"
    )
    assert (await api.post("/api/auth/refresh", {"refresh": other_login["refresh"]})).status == 200


async def test_refresh_without_a_token_is_not_signed_in(api: ApiClient):
    assert_error(await api.post("/api/auth/refresh", {}), 401, "unauthorized")


async def test_logout_with_someone_elses_refresh_token(api: ApiClient):
    alice, bob = await api.register(), await api.register()
    response = await api.post("/api/auth/logout", {"refresh": bob.refresh}, token=alice.access)
    assert_error(response, 401, "unauthorized")
    assert (await api.post("/api/auth/refresh", {"refresh": bob.refresh})).status == 200


async def test_wrong_missing_and_expired_access_tokens(api: ApiClient):
    account = await api.register()
    assert_error(await api.get("/api/me"), 401, "unauthorized")
    assert_error(await api.get("/api/me", token="not.a.jwt"), 401, "unauthorized")
    assert_error(
        await api.get("/api/me", headers={"Authorization": f"Basic {account.access}"}),
        401,
        "unauthorized",
    )
    identity = Identity(ObjectId(account.id), ObjectId(account.refresh.split(".")[0]))
    forged = TokenService("some other secret that is long enough", 900).access_token(identity)
    assert_error(await api.get("/api/me", token=forged), 401, "unauthorized")
    settings = api.server.settings
    expired = TokenService(settings.jwt_secret, -30).access_token(identity)
    assert_error(await api.get("/api/me", token=expired), 401, "token_expired")
    # The refresh token is not an access token.
    assert_error(await api.get("/api/me", token=account.refresh), 401, "unauthorized")


async def test_patch_me(api: ApiClient):
    account = await api.register()
    response = await api.patch(
        "/api/me",
        {"display_name": "  Grace Hopper ", "bio": "Compilers.\nNavy."},
        token=account.access,
    )
    assert response.status == 200, response
    assert response.json["display_name"] == "Grace Hopper"
    assert response.json["bio"] == "Compilers.\nNavy."
    assert response.json["email"] == account.email
    unchanged = await api.patch("/api/me", {}, token=account.access)
    assert unchanged.json["display_name"] == "Grace Hopper"


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": {"$set": "x"}},
        {"bio": "x" * 2001},
        {"email": "new@example.com"},
        {"role": "mentor"},
        {"points": 1000},
    ],
)
async def test_patch_me_validation(api: ApiClient, body: dict):
    account = await api.register()
    assert_error(await api.patch("/api/me", body, token=account.access), 400, "validation_error")
    me = (await api.get("/api/me", token=account.access)).json
    assert me == account.user


async def test_public_profile_never_shows_email(api: ApiClient):
    account = await api.register("Public Person")
    response = await api.get(f"/api/users/{account.id}")
    assert response.status == 200
    profile = response.json
    assert set(profile) == {
        "id",
        "display_name",
        "role",
        "points",
        "bio",
        "avatar_url",
        "created_at",
    }
    assert profile["avatar_url"] is None
    assert account.email not in response.body.decode()


@pytest.mark.parametrize("user_id", [str(ObjectId()), "nothex", "0" * 24, "%24ne"])
async def test_unknown_user_is_404(api: ApiClient, user_id: str):
    assert_error(await api.get(f"/api/users/{user_id}"), 404, "not_found")
