"""The common HTTP layer: error shape, routing, bodies, CORS, request ids."""

from __future__ import annotations

import json

import pytest

from tests.client import ApiClient
from tests.helpers import assert_error


async def test_unknown_route_is_json_404(api: ApiClient):
    for path in ("/nope", "/api/nope", "/api/users/x/y/z"):
        assert_error(await api.get(path), 404, "not_found")
    assert_error(await api.post("/api/unknown", {"a": 1}), 404, "not_found")


async def test_unsupported_method_is_json_405_with_allow(api: ApiClient):
    response = await api.put("/api/mentors/", {"a": 1})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, OPTIONS"
    response = await api.delete("/api/auth/login")
    assert_error(response, 405, "method_not_allowed")
    # A method Tornado does not know at all is refused the same way.
    response = await api.request("PROPFIND", "/api/me")
    assert_error(response, 405, "method_not_allowed")


async def test_trailing_slash_is_optional(api: ApiClient):
    for path in ("/api/mentors", "/api/mentors/", "/healthz/", "/api/me/"):
        response = await api.get(path)
        assert response.status in (200, 401), (path, response)
        assert response.status != 404
    account = await api.register()
    assert (await api.get("/api/me/", token=account.access)).status == 200
    user_path = f"/api/users/{account.id}"
    assert (await api.get(user_path)).status == 200
    assert (await api.get(user_path + "/")).status == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00", b'{"email": NaN}', b"[" * 50000 + b"]" * 50000],
)
async def test_malformed_json_is_invalid_json(api: ApiClient, body: bytes):
    response = await api.post(
        "/api/auth/login", body=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
async def test_json_that_is_not_an_object_is_refused(api: ApiClient, body):
    response = await api.post("/api/auth/login", body=json.dumps(body))
    assert_error(response, 400, "invalid_json")


async def test_two_mebibyte_body_is_413(api: ApiClient):
    big = json.dumps({"email": "a@b.co", "password": "x" * (2 * 1024 * 1024), "display_name": "A"})
    assert_error(await api.post("/api/auth/register", body=big), 413, "payload_too_large")
    account = await api.register()
    response = await api.patch("/api/me", body=big, token=account.access)
    assert_error(response, 413, "payload_too_large")
    # Nothing was written by the refused request.
    me = (await api.get("/api/me", token=account.access)).json
    assert me["display_name"] == account.user["display_name"]
    # The server is still healthy and answers the next request on a new connection.
    assert (await api.get("/healthz")).status == 200


async def test_chunked_body_over_limit_is_413(api: ApiClient):
    async def producer(write):
        for _ in range(40):
            await write(b" " * 65536)

    from tornado.httpclient import HTTPRequest

    request = HTTPRequest(
        api.base_url + "/api/auth/login",
        method="POST",
        body_producer=producer,
        headers={"Content-Type": "application/json"},
    )
    response = await api.http.fetch(request, raise_error=False)
    assert response.code == 413
    assert json.loads(response.body)["error"]["code"] == "payload_too_large"


async def test_errors_never_leak_html_or_tracebacks(api: ApiClient):
    response = await api.get("/api/users/" + "a" * 5000)
    assert_error(response, 404, "not_found")
    assert b"Traceback" not in response.body and b"<html" not in response.body


async def test_request_id_is_returned_and_kept(api: ApiClient):
    response = await api.get("/healthz")
    assert len(response.headers["X-Request-ID"]) >= 16
    response = await api.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    # Not a safe id: replaced by a fresh one.
    response = await api.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["X-Request-ID"] != "bad id\twith spaces"
    # Errors carry it too.
    response = await api.get("/nope", headers={"X-Request-ID": "err-1"})
    assert response.headers["X-Request-ID"] == "err-1"


async def test_cors_for_configured_origins_only(start_server):
    api = await start_server(cors_origins=("https://app.hypee.dev",))
    allowed = {"Origin": "https://app.hypee.dev"}
    response = await api.get("/api/mentors/", headers=allowed)
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.hypee.dev"
    assert "Origin" in response.headers["Vary"]
    preflight = await api.request(
        "OPTIONS",
        "/api/me",
        headers={
            **allowed,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status == 204
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    # Errors keep the CORS headers, so browsers can read them.
    response = await api.get("/api/me", headers=allowed)
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.hypee.dev"
    # Another origin gets no CORS headers at all.
    other = await api.get("/api/mentors/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = await api.request("OPTIONS", "/api/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Methods" not in preflight.headers


async def test_no_cors_headers_by_default(api: ApiClient):
    response = await api.get("/api/mentors/", headers={"Origin": "https://app.hypee.dev"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_unicode_and_emoji_round_trip(api: ApiClient):
    name = "Zoë 李雷 🚀👩🏽‍💻"
    account = await api.register(name)
    response = await api.get(f"/api/users/{account.id}")
    assert response.json["display_name"] == name
    assert name.encode() in response.body  # sent as UTF-8, not \\u escapes
