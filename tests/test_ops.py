"""Operations routes and the OpenAPI document."""

from __future__ import annotations

import re
import socket

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from handlers.base import implemented_methods
from hypee.errors import STATUS_CODES
from models.frames import CLIENT_FRAMES, SERVER_FRAMES
from server.reference import with_frame_tables
from server.routes import ROUTES, SOCKET_ROUTES
from tests.client import ApiClient
from tests.helpers import PROFILE, assert_error
from tests.processes import ROOT


async def test_healthz(api: ApiClient):
    response = await api.get("/healthz")
    assert response.status == 200
    assert response.json == {"status": "ok"}


async def test_readyz_lists_every_component(api: ApiClient):
    response = await api.get("/readyz")
    assert response.status == 200
    assert response.json == {"store": "ok", "storage": "ok", "redis": "disabled", "mail": "ok"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_mongo_down_gives_503_not_500(start_server):
    api = await start_server(
        mongo_uri=f"mongodb://127.0.0.1:{_closed_port()}/", mongo_timeout_ms=300
    )
    ready = await api.get("/readyz")
    assert ready.status == 503
    assert ready.json["store"] == "down"
    assert set(ready.json) == {"store", "storage", "redis", "mail"}
    assert (await api.get("/healthz")).status == 200
    assert_error(await api.get("/api/mentors/"), 503, "unavailable")
    assert_error(
        await api.post("/api/auth/login", {"email": "a@b.co", "password": "whatever1"}),
        503,
        "unavailable",
    )
    metrics = (await api.get("/metrics")).body.decode()
    assert 'hypee_component_up{component="store"} 0.0' in metrics


async def test_metrics_count_requests_by_route(api: ApiClient):
    account = await api.register()
    await api.get(f"/api/users/{account.id}")
    await api.get("/api/users/000000000000000000000000")
    await api.get("/no/such/route")
    await api.get("/readyz")
    response = await api.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.body.decode()
    assert (
        'hypee_http_requests_total{method="GET",route="/api/users/{user_id}",status="200"} 1.0'
        in text
    )
    assert (
        'hypee_http_requests_total{method="GET",route="/api/users/{user_id}",status="404"} 1.0'
        in text
    )
    assert 'route="unmatched",status="404"' in text
    assert (
        'hypee_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/auth/register"}'
        in text
    )
    assert 'hypee_component_up{component="store"} 1.0' in text
    assert "process_resident_memory_bytes" in text


async def test_openapi_is_valid_and_lists_every_route(api: ApiClient):
    response = await api.get("/api/openapi.json")
    assert response.status == 200
    spec = response.json
    validate_spec(spec)
    assert spec["openapi"] == "3.1.0"
    for route in ROUTES + SOCKET_ROUTES:
        assert route.template in spec["paths"], route.template
        documented = {m.upper() for m in spec["paths"][route.template] if m != "parameters"}
        assert documented == set(implemented_methods(route.handler)), route.template
    assert len(spec["paths"]) == len(ROUTES) + len(SOCKET_ROUTES)
    mentors = spec["paths"]["/api/mentors/"]["get"]
    names = {p["name"] for p in mentors["parameters"]}
    assert {
        "country",
        "specialty",
        "language",
        "available",
        "q",
        "sort",
        "limit",
        "cursor",
    } <= names
    assert mentors["security"] == [{}]
    assert spec["paths"]["/api/me"]["get"]["security"] == [{"bearer": []}]


def _response_validator(spec: dict, path: str, method: str, status: int) -> OAS31Validator:
    """A validator for the documented JSON answer of one operation and status."""
    response = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"][1:]
    else:
        pointer = "/".join(["/paths", _escape(path), method, "responses", str(status)])
    pointer += "/content/application~1json/schema"
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(spec))
    return OAS31Validator({"$ref": "urn:spec#" + pointer}, registry=registry)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


async def test_answers_match_the_documented_schemas(api: ApiClient):
    spec = (await api.get("/api/openapi.json")).json
    register = await api.post(
        "/api/auth/register",
        {"email": "doc@example.com", "password": "long enough", "display_name": "Doc"},
    )
    _response_validator(spec, "/api/auth/register", "post", 201).validate(register.json)
    access = register.json["access"]
    mentor = await api.put("/api/me/mentor-profile", PROFILE, token=access)
    _response_validator(spec, "/api/me/mentor-profile", "put", 200).validate(mentor.json)
    listing = await api.get("/api/mentors/?limit=1")
    _response_validator(spec, "/api/mentors/", "get", 200).validate(listing.json)
    public = await api.get(f"/api/users/{register.json['user']['id']}")
    _response_validator(spec, "/api/users/{user_id}", "get", 200).validate(public.json)
    refreshed = await api.post("/api/auth/refresh", {"refresh": register.json["refresh"]})
    _response_validator(spec, "/api/auth/refresh", "post", 200).validate(refreshed.json)
    ready = await api.get("/readyz")
    _response_validator(spec, "/readyz", "get", 200).validate(ready.json)
    bad = await api.post("/api/auth/register", {"email": 1})
    _response_validator(spec, "/api/auth/register", "post", 400).validate(bad.json)


async def test_realtime_and_forum_answers_match_the_documented_schemas(api: ApiClient):
    spec = (await api.get("/api/openapi.json")).json

    def check(path: str, method: str, status: int, body) -> None:
        _response_validator(spec, path, method, status).validate(body)

    alice, bob = await api.register("Alice"), await api.register("Bob")
    created = await api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id], "message": {"client_id": "c", "body": "hi"}},
        token=alice.access,
    )
    check("/api/conversations/", "post", 201, created.json)
    cid = created.json["id"]
    check(
        "/api/conversations/",
        "get",
        200,
        (await api.get("/api/conversations/", token=bob.access)).json,
    )
    sent = await api.post(
        f"/api/conversations/{cid}/messages/", {"client_id": "d", "body": "yo"}, token=bob.access
    )
    check("/api/conversations/{conversation_id}/messages/", "post", 201, sent.json)
    history = await api.get(f"/api/conversations/{cid}/messages/", token=bob.access)
    check("/api/conversations/{conversation_id}/messages/", "get", 200, history.json)
    ticket = await api.post(
        "/api/uploads/",
        {"filename": "a.pdf", "content_type": "application/pdf", "size": 10},
        token=alice.access,
    )
    check("/api/uploads/", "post", 201, ticket.json)
    question = await api.post(
        "/api/questions/", {"title": "A question long enough", "body": "b"}, token=alice.access
    )
    check("/api/questions/", "post", 201, question.json)
    qid = question.json["id"]
    reply = await api.post(
        "/api/answers/", {"question_id": qid, "body": "an answer"}, token=bob.access
    )
    check("/api/answers/", "post", 201, reply.json)
    voted = await api.post(
        f"/api/answers/{reply.json['id']}/vote", {"value": 1}, token=alice.access
    )
    check("/api/answers/{post_id}/vote", "post", 200, voted.json)
    accepted = await api.post(f"/api/answers/{reply.json['id']}/accept", token=alice.access)
    check("/api/answers/{answer_id}/accept", "post", 200, accepted.json)
    check("/api/questions/", "get", 200, (await api.get("/api/questions/")).json)
    check(
        "/api/questions/{question_id}/", "get", 200, (await api.get(f"/api/questions/{qid}/")).json
    )
    points = await api.get(f"/api/users/{bob.id}/points")
    check("/api/users/{user_id}/points", "get", 200, points.json)
    listed = await api.get("/api/notifications/", token=bob.access)
    assert listed.json["results"]
    check("/api/notifications/", "get", 200, listed.json)


async def test_the_api_reference_names_every_route_and_frame(api: ApiClient):
    """docs/api.md and OpenAPI stay in step: every documented path and method, every error
    code and every frame type the server sends or accepts appears in the reference."""
    reference = (ROOT / "docs" / "api.md").read_text()
    paths_written = re.sub(r"\{[a-z_]+\}", "{id}", reference)
    spec = (await api.get("/api/openapi.json")).json
    missing = []
    for path, operations in spec["paths"].items():
        written = re.sub(r"\{[a-z_]+\}", "{id}", path)
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete") and written not in paths_written:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
    for code in STATUS_CODES:
        assert f"`{code}`" in reference, code
    # Every frame: in docs/api.md's generated tables, as the schemas (models/frames.py) say.
    assert with_frame_tables(reference) == reference, "run `make api-types`"
    for kind in {*SERVER_FRAMES, *CLIENT_FRAMES}:
        assert f"`{kind}`" in reference, kind
    # And the server sends no frame type the schemas do not describe.
    sources = [*ROOT.glob("handlers/*.py"), *ROOT.glob("services/*.py")]
    sources += ROOT.glob("hypee/realtime/*.py")
    kinds = {
        kind for path in sources for kind in re.findall(r'"type": "([a-z_]+)"', path.read_text())
    }
    kinds -= {"object", "string", "array", "integer", "number", "boolean"}  # JSON Schema types
    system_events = (
        "members_added",
        "member_left",
        "member_removed",
        "renamed",
        "mentorship_accepted",
    )
    kinds -= set(system_events)
    assert kinds <= {*SERVER_FRAMES, *CLIENT_FRAMES}, kinds - {*SERVER_FRAMES, *CLIENT_FRAMES}
    for kind in (*system_events, "session_booked", "session_rescheduled", "session_cancelled"):
        assert f'"{kind}"' in reference, kind
