"""The web app as the server serves it: pages, assets and their caching, security headers,
and the JSON answers of the API left alone."""

from __future__ import annotations

import json

import pytest

from config import Settings
from handlers.webapp import content_security_policy
from tests.helpers import PROFILE, assert_error

INDEX = b"<!doctype html><title>Hypee</title><div id=root></div>"
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def dist(tmp_path):
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_bytes(INDEX)
    (built / "assets" / "index-4f2a9c.js").write_text("console.log('app')")
    (built / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return built


async def test_pages_get_index_html_never_cached_with_security_headers(start_server, dist):
    api = await start_server(web_dist=str(dist))
    for path in ("/", "/mentors", "/mentors/?country=FR", "/chat/" + "a" * 24, "/questions/new"):
        response = await api.get(path)
        assert response.status == 200, path
        assert response.body == INDEX
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-cache"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_assets_are_cached_for_a_year(start_server, dist):
    api = await start_server(web_dist=str(dist))
    asset = await api.get("/assets/index-4f2a9c.js")
    assert asset.status == 200 and asset.body == b"console.log('app')"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["Content-Type"]
    assert "Content-Security-Policy" in asset.headers
    assert (await api.get("/assets/nothing.js")).status == 404
    icon = await api.get("/favicon.svg")
    assert icon.status == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")


async def test_unknown_paths_are_the_apps_404_for_browsers_and_json_otherwise(start_server, dist):
    api = await start_server(web_dist=str(dist))
    page = await api.get("/no/such/page", headers=HTML)
    assert page.status == 404 and page.body == INDEX
    assert_error(await api.get("/no/such/page"), 404, "not_found")
    for path in ("/api/nope", "/ws/nope", "/healthz/nope"):
        assert_error(await api.get(path, headers=HTML), 404, "not_found")
    assert_error(await api.get("/files/nope", headers=HTML), 403, "forbidden")
    assert_error(await api.post("/mentors", {"a": 1}), 404, "not_found")
    assert (await api.get("/api/mentors/")).headers["Content-Type"].startswith("application/json")


async def test_without_a_build_the_home_page_says_how_to_make_one(start_server, tmp_path):
    api = await start_server(web_dist=str(tmp_path / "missing"))
    response = await api.get("/")
    assert response.status == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"make run" in response.body and response.body.count(b"\n") == 0


def test_the_policy_lets_the_page_reach_the_storage_endpoint():
    settings = Settings(s3_endpoint="http://minio:9000", s3_public_endpoint="https://files.example")
    policy = content_security_policy(settings)
    assert "connect-src 'self' https://files.example" in policy
    assert "img-src 'self' data: blob: https://files.example" in policy
    assert "minio" not in policy
    assert "connect-src 'self';" in content_security_policy(Settings())


async def test_a_first_visit_to_the_directory_gets_its_first_page_inlined(start_server, dist):
    (dist / "index.html").write_bytes(b"<!doctype html><body><div id=root></div></body>")
    api = await start_server(web_dist=str(dist))
    mentor = await api.register("Script Kiddie", role="mentor")
    profile = {**PROFILE, "headline": "Ends </script><script>alert(1)</script> here"}
    assert (await api.put("/api/me/mentor-profile", profile, token=mentor.access)).status == 200
    expected = (await api.get("/api/mentors/?limit=20")).json
    for path in ("/", "/mentors", "/mentors/"):
        page = (await api.get(path, headers=HTML)).body.decode()
        assert page.count("<script") == 1 and page.count("</script>") == 1, page
        inline = page.split('id="hypee-first-page">', 1)[1].split("</script>", 1)[0]
        assert json.loads(inline) == expected
    for path in ("/mentors?country=FR", "/questions", "/chat/" + "a" * 24):
        assert b"hypee-first-page" not in (await api.get(path, headers=HTML)).body
