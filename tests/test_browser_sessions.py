"""Browser mode of the auth API: the refresh token lives in an HttpOnly cookie scoped to
/api/auth/, never in a body; refresh and logout need the X-Hypee-Client header (the CSRF
guard). Mobile clients keep the JSON-body tokens (the rest of the suite)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from tests.client import ApiClient
from tests.helpers import assert_error

WEB = {"X-Hypee-Client": "web"}


def refresh_cookie(response) -> tuple[str, dict[str, str]]:
    """The hypee_refresh cookie a response sets: (value, its attributes, lower-cased)."""
    headers = response.headers.get_list("Set-Cookie")
    for header in headers:
        cookie = SimpleCookie()
        cookie.load(header)
        if "hypee_refresh" in cookie:
            morsel = cookie["hypee_refresh"]
            flags = {
                name.lower() for name in ("HttpOnly", "Secure") if name.lower() in header.lower()
            }
            attributes = {k.lower(): v for k, v in morsel.items() if v}
            attributes |= {flag: "yes" for flag in flags}
            return morsel.value, attributes
    raise AssertionError(f"no hypee_refresh cookie in {headers}")


def with_cookie(value: str) -> dict[str, str]:
    return {**WEB, "Cookie": f"hypee_refresh={value}"}


async def test_login_and_register_set_the_cookie_and_keep_it_out_of_the_body(api: ApiClient):
    body = {"email": "web@example.com", "password": "long enough", "display_name": "Web"}
    registered = await api.post("/api/auth/register", body, headers=WEB)
    assert registered.status == 201 and "refresh" not in registered.json
    assert registered.json["access"] and registered.json["user"]["email"] == "web@example.com"
    value, attributes = refresh_cookie(registered)
    assert value
    assert attributes["path"] == "/api/auth/"
    assert attributes["samesite"] == "Strict"
    assert "httponly" in attributes and "secure" not in attributes  # plain-http localhost
    assert int(attributes["max-age"]) == 30 * 24 * 3600
    login = {"email": "web@example.com", "password": "long enough"}
    logged_in = await api.post("/api/auth/login", login, headers=WEB)
    assert logged_in.status == 200 and "refresh" not in logged_in.json
    assert refresh_cookie(logged_in)[0] not in ("", value)
    # Anywhere but localhost over plain http, the cookie is Secure.
    elsewhere = await api.post("/api/auth/login", login, headers={**WEB, "Host": "hypee.example"})
    assert "secure" in refresh_cookie(elsewhere)[1]


async def test_refresh_reads_the_cookie_and_rotates_it(api: ApiClient):
    body = {"email": "web@example.com", "password": "long enough", "display_name": "Web"}
    first, _ = refresh_cookie(await api.post("/api/auth/register", body, headers=WEB))
    refreshed = await api.post("/api/auth/refresh", {}, headers=with_cookie(first))
    assert refreshed.status == 200 and set(refreshed.json) == {"access"}
    second, _ = refresh_cookie(refreshed)
    assert second != first
    me = await api.get("/api/me", token=refreshed.json["access"])
    assert me.json["email"] == "web@example.com"
    # The old cookie again: the login ends (reuse) and the cookie is dropped.
    reused = await api.post("/api/auth/refresh", {}, headers=with_cookie(first))
    assert_error(reused, 401, "unauthorized")
    assert refresh_cookie(reused)[0] == ""
    assert_error(
        await api.post("/api/auth/refresh", {}, headers=with_cookie(second)), 401, "unauthorized"
    )


async def test_without_the_header_a_cookie_is_not_enough(api: ApiClient):
    body = {"email": "web@example.com", "password": "long enough", "display_name": "Web"}
    value, _ = refresh_cookie(await api.post("/api/auth/register", body, headers=WEB))
    forged = await api.post("/api/auth/refresh", {}, headers={"Cookie": f"hypee_refresh={value}"})
    assert_error(forged, 401, "unauthorized")
    assert (await api.post("/api/auth/refresh", {}, headers=with_cookie(value))).status == 200


async def test_logout_ends_the_login_and_clears_the_cookie(api: ApiClient):
    body = {"email": "web@example.com", "password": "long enough", "display_name": "Web"}
    registered = await api.post("/api/auth/register", body, headers=WEB)
    value, _ = refresh_cookie(registered)
    access = registered.json["access"]
    out = await api.post("/api/auth/logout", {}, token=access, headers=with_cookie(value))
    assert out.status == 204
    assert refresh_cookie(out)[0] == ""
    assert_error(
        await api.post("/api/auth/refresh", {}, headers=with_cookie(value)), 401, "unauthorized"
    )


async def test_refresh_in_browser_mode_without_a_cookie_is_not_signed_in(api: ApiClient):
    """A page that never signed in (or whose cookie expired) is told 401, not a field error."""
    error = assert_error(await api.post("/api/auth/refresh", {}, headers=WEB), 401, "unauthorized")
    assert error["message"].startswith("Not signed in")


@pytest.mark.parametrize("value", ["mobile", "", "webb"])
async def test_a_client_header_other_than_web_is_refused_before_anything_happens(
    api: ApiClient, value: str
):
    body = {"email": "odd@example.com", "password": "long enough", "display_name": "Odd"}
    headers = {"X-Hypee-Client": value}
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/refresh"):
        error = assert_error(await api.post(path, body, headers=headers), 400, "validation_error")
        assert set(error["fields"]) == {"X-Hypee-Client"}
    assert (await api.post("/api/auth/register", body)).status == 201  # nothing was stored
