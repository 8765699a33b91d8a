"""Attachments over real HTTP, on both backends with the same test code: local disk (served by
the app itself) and S3 (boto3 against moto's S3 server on a loopback port)."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from bson import ObjectId
from moto.server import ThreadedMotoServer
from tornado.httpclient import HTTPRequest

from hypee.jsonio import utcnow
from tests.client import Account, ApiClient, Response, Socket
from tests.helpers import assert_error, open_direct

PDF = b"%PDF-1.4\n" + os.urandom(3000) + b"\n%%EOF"


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
async def files_api(request, start_server):
    """A server on one backend; the tests below run once per backend."""
    if request.param == "local":
        return await start_server(send_rate_per_10s=0)
    endpoint = request.getfixturevalue("moto_endpoint")
    return await start_server(
        send_rate_per_10s=0,
        s3_endpoint=endpoint,
        s3_bucket=f"hypee-{ObjectId()}",
        s3_access_key="test-key",
        s3_secret_key="test-secret",
    )


@pytest.fixture
async def chat(files_api: ApiClient):
    alice, bob, carol = [await files_api.register(n) for n in ("Alice", "Bob", "Carol")]
    cid = (await open_direct(files_api, alice, bob))["id"]
    return files_api, alice, bob, carol, cid


async def ticket(api: ApiClient, account: Account, **fields) -> Response:
    body = {"filename": "notes.pdf", "content_type": "application/pdf", "size": len(PDF), **fields}
    return await api.post("/api/uploads/", body, token=account.access)


async def put(api: ApiClient, ticket_json: dict, content: bytes, headers: dict | None = None):
    request = HTTPRequest(
        ticket_json["url"],
        method=ticket_json["method"],
        body=content,
        headers=headers if headers is not None else ticket_json["headers"],
    )
    return await api.http.fetch(request, raise_error=False)


async def upload(api: ApiClient, account: Account, content: bytes = PDF, **fields) -> str:
    response = await ticket(api, account, size=len(content), **fields)
    assert response.status == 201, response
    stored = await put(api, response.json, content)
    assert stored.code == 200, stored.body
    return response.json["upload_id"]


async def send_with(api: ApiClient, account: Account, cid: str, upload_ids: list[str], **extra):
    body = {
        "client_id": str(ObjectId()),
        "body": "see attached",
        "attachments": upload_ids,
        **extra,
    }
    return await api.post(f"/api/conversations/{cid}/messages/", body, token=account.access)


async def download(api: ApiClient, account: Account | None, attachment_id: str):
    token = account.access if account else None
    redirect = await api.get(f"/api/attachments/{attachment_id}", token=token)
    if redirect.status != 302:
        return redirect, None
    response = await api.http.fetch(redirect.headers["Location"], raise_error=False)
    return redirect, response


async def test_upload_attach_and_download(chat):
    api, alice, bob, carol, cid = chat
    ticket_response = await ticket(api, alice, filename="Résumé été 2026.pdf", conversation_id=cid)
    assert ticket_response.status == 201, ticket_response
    data = ticket_response.json
    assert data["method"] == "PUT"
    assert data["headers"] == {"Content-Type": "application/pdf"}
    assert data["expires_at"].endswith("Z")
    assert (await put(api, data, PDF)).code == 200
    bob_socket = await Socket.connect(api.base_url, "/ws", bob.access)
    sent = await send_with(api, alice, cid, [data["upload_id"]])
    assert sent.status == 201, sent
    attachment = sent.json["attachments"][0]
    assert attachment == {
        "id": data["upload_id"],
        "filename": "Résumé été 2026.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "url": f"/api/attachments/{data['upload_id']}",
    }
    assert (await bob_socket.expect("message"))["message"]["attachments"] == [attachment]
    history = (await api.get(f"/api/conversations/{cid}/messages/", token=bob.access)).json
    assert history["results"][0]["attachments"] == [attachment]
    for reader in (alice, bob):
        redirect, response = await download(api, reader, attachment["id"])
        assert redirect.status == 302
        assert response.code == 200
        assert response.body == PDF
        disposition = response.headers["Content-Disposition"]
        assert "attachment" in disposition
        assert "R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9%202026.pdf" in disposition
    as_json = await api.get(f"/api/attachments/{attachment['id']}?format=json", token=bob.access)
    assert as_json.status == 200
    assert (await api.http.fetch(as_json.json["url"])).body == PDF
    redirect, _ = await download(api, carol, attachment["id"])
    assert_error(redirect, 404, "not_found")
    refused = await api.get(f"/api/attachments/{attachment['id']}?format=json", token=carol.access)
    assert_error(refused, 404, "not_found")
    redirect, _ = await download(api, None, attachment["id"])
    assert_error(redirect, 401, "unauthorized")
    assert_error((await download(api, bob, str(ObjectId())))[0], 404, "not_found")


async def test_resending_with_the_same_client_id_returns_the_stored_message(chat):
    api, alice, _, _, cid = chat
    upload_id = await upload(api, alice)
    body = {"client_id": "same", "body": "doc", "attachments": [upload_id]}
    first = await api.post(f"/api/conversations/{cid}/messages/", body, token=alice.access)
    again = await api.post(f"/api/conversations/{cid}/messages/", body, token=alice.access)
    assert first.status == 201 and again.status == 200
    assert again.json == first.json


async def test_attachment_only_message(chat):
    api, alice, _, _, cid = chat
    upload_id = await upload(api, alice)
    sent = await send_with(api, alice, cid, [upload_id], body="")
    assert sent.status == 201, sent
    assert sent.json["body"] == "" and len(sent.json["attachments"]) == 1


async def test_rejected_uploads(chat):
    api, alice, bob, carol, _ = chat
    limit = api.server.settings.max_upload_bytes
    assert_error(await ticket(api, alice, size=limit + 1), 413, "payload_too_large")
    error = assert_error(
        await ticket(api, alice, content_type="application/x-msdownload"), 400, "validation_error"
    )
    assert "content_type" in error["fields"]
    for bad in (
        {"size": 0},
        {"size": "12"},
        {"size": 1.5},
        {"content_type": {"$ne": ""}},
        {"filename": 7},
    ):
        assert_error(await ticket(api, alice, **bad), 400, "validation_error")
    # A conversation the caller is not in.
    other = (await open_direct(api, bob, carol))["id"]
    assert_error(await ticket(api, alice, conversation_id=other), 404, "not_found")
    assert (await ticket(api, alice, size=limit)).status == 201


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "a/b.pdf",
        "a\\b.pdf",
        "nul\x00byte.pdf",
        "x" * 300 + ".pdf",
        "tab\there.pdf",
        "  ",
    ],
)
async def test_path_tricks_in_file_names_are_refused(chat, name):
    api, alice, *_ = chat
    error = assert_error(await ticket(api, alice, filename=name), 400, "validation_error")
    assert "filename" in error["fields"]


async def test_storage_keys_are_safe_whatever_the_name(chat):
    api, alice, *_ = chat
    upload_id = await upload(api, alice, filename="  ..Évaluation finale (v2) ☃.pdf ")
    stored = await api.server.services.db.uploads.find_one({"_id": ObjectId(upload_id)})
    assert stored["filename"] == "..Évaluation finale (v2) ☃.pdf"
    assert stored["key"] == f"u/{alice.id}/{upload_id}/Evaluation_finale_v2_.pdf"


async def test_attaching_rules(chat):
    api, alice, bob, carol, cid = chat

    async def refused(account: Account, ids: list[str]) -> dict:
        response = await send_with(api, account, cid, ids)
        return assert_error(response, 400, "validation_error")

    # Someone else's upload.
    bobs = await upload(api, bob)
    assert "unknown upload" in str(await refused(alice, [bobs]))
    # Never actually PUT.
    never = (await ticket(api, alice)).json["upload_id"]
    assert "never uploaded" in str(await refused(alice, [never]))
    # The stored object is not what was declared (larger here).
    declared = await ticket(api, alice, size=100)
    await put(api, declared.json, PDF)  # local refuses the PUT; S3 stores it anyway
    await refused(alice, [declared.json["upload_id"]])
    # Unknown id, and a malformed one.
    await refused(alice, [str(ObjectId())])
    await refused(alice, ["nope"])
    # Uploaded for another conversation.
    other = (await open_direct(api, alice, carol))["id"]
    for_other = await upload(api, alice, conversation_id=other)
    assert "another conversation" in str(await refused(alice, [for_other]))
    # Attached once only.
    once = await upload(api, alice)
    assert (await send_with(api, alice, cid, [once])).status == 201
    assert "already attached" in str(await refused(alice, [once]))
    # A refused message stores nothing and keeps good uploads usable.
    good = await upload(api, alice)
    await refused(alice, [good, never])
    assert (await send_with(api, alice, cid, [good])).status == 201
    messages = (await api.get(f"/api/conversations/{cid}/messages/", token=alice.access)).json[
        "results"
    ]
    assert len(messages) == 2


async def test_deleting_a_message_deletes_its_files(chat):
    api, alice, bob, _, cid = chat
    upload_id = await upload(api, alice)
    sent = (await send_with(api, alice, cid, [upload_id])).json
    stored = await api.server.services.db.uploads.find_one({"_id": ObjectId(upload_id)})
    storage = api.server.services.storage
    assert await storage.head(stored["key"]) is not None
    response = await api.delete(
        f"/api/conversations/{cid}/messages/{sent['seq']}/", token=alice.access
    )
    assert response.status == 204
    assert await storage.head(stored["key"]) is None
    assert_error((await download(api, bob, upload_id))[0], 404, "not_found")


async def test_expired_pending_uploads_are_purged(start_server, files_api):
    api = files_api
    alice = await api.register()
    upload_id = await upload(api, alice)
    services = api.server.services
    stored = await services.db.uploads.find_one({"_id": ObjectId(upload_id)})
    assert await services.storage.head(stored["key"]) is not None
    await services.db.uploads.update_one(
        {"_id": ObjectId(upload_id)}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    assert await services.attachments.purge_expired() == 1
    assert await services.storage.head(stored["key"]) is None
    assert await services.db.uploads.find_one({"_id": ObjectId(upload_id)}) is None


async def test_purge_runs_periodically(start_server):
    api = await start_server(upload_purge_seconds=1)
    alice = await api.register()
    upload_id = await upload(api, alice)
    db = api.server.services.db
    await db.uploads.update_one(
        {"_id": ObjectId(upload_id)}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    for _ in range(50):
        if await db.uploads.find_one({"_id": ObjectId(upload_id)}) is None:
            break
        await asyncio.sleep(0.1)
    assert await db.uploads.find_one({"_id": ObjectId(upload_id)}) is None


PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(500)


async def test_avatars(files_api: ApiClient):
    api = files_api
    alice, bob = await api.register(), await api.register()
    first = await upload(api, alice, PNG, filename="me.png", content_type="image/png")
    me = await api.patch("/api/me", {"avatar_upload_id": first}, token=alice.access)
    assert me.status == 200, me
    assert me.json["avatar_url"] == f"/api/users/{alice.id}/avatar"
    public = (await api.get(f"/api/users/{alice.id}")).json
    assert public["avatar_url"] == me.json["avatar_url"]
    redirect = await api.get(public["avatar_url"])  # public: no token needed
    assert redirect.status == 302
    image = await api.http.fetch(redirect.headers["Location"])
    assert image.body == PNG
    services = api.server.services
    first_key = (await services.db.uploads.find_one({"_id": ObjectId(first)}))["key"]
    # Replacing it deletes the old image.
    second = await upload(api, alice, PNG[::-1], filename="me2.png", content_type="image/png")
    assert (
        await api.patch("/api/me", {"avatar_upload_id": second}, token=alice.access)
    ).status == 200
    assert await services.storage.head(first_key) is None
    # Not an image, someone else's, already used: refused, and nothing changes.
    pdf = await upload(api, alice)
    bobs = await upload(api, bob, PNG, filename="bob.png", content_type="image/png")
    for bad in (pdf, bobs, second, "nope", "000000000000000000000000"):
        response = await api.patch(
            "/api/me", {"avatar_upload_id": bad, "bio": "x"}, token=alice.access
        )
        assert set(assert_error(response, 400, "validation_error")["fields"]) == {
            "avatar_upload_id"
        }
    assert (await api.get("/api/me", token=alice.access)).json["bio"] == ""
    # null removes it.
    removed = await api.patch("/api/me", {"avatar_upload_id": None}, token=alice.access)
    assert removed.json["avatar_url"] is None
    assert_error(await api.get(f"/api/users/{alice.id}/avatar"), 404, "not_found")


# -- the local backend's own URLs ------------------------------------------------------------


def _with(url: str, **changes: str) -> str:
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    query.update(changes)
    return parsed._replace(query=urlencode(query)).geturl()


async def test_local_urls_are_signed_and_expire(start_server):
    api = await start_server()
    alice = await api.register()
    data = (await ticket(api, alice)).json
    url = data["url"]
    assert url.startswith(api.base_url + "/files/")
    # Tampered: another size, type, key or signature.
    for tampered in (
        _with(url, size="10"),
        _with(url, ct="text/plain"),
        _with(url, sig="0" * 64),
        _with(url, expires="9999999999"),
        url.replace(data["upload_id"], str(ObjectId())),
    ):
        response = await put(api, {**data, "url": tampered}, PDF)
        assert response.code == 403, tampered
    # Expired.
    storage = api.server.services.storage
    stored = await api.server.services.db.uploads.find_one({"_id": ObjectId(data["upload_id"])})
    expired = await storage.upload_target(
        stored["key"], "application/pdf", len(PDF), -5, api.base_url
    )
    assert (await put(api, {**data, "url": expired.url}, PDF)).code == 403
    # Right URL, wrong content type or size: 400.
    assert (await put(api, data, PDF, headers={"Content-Type": "text/plain"})).code == 400
    assert (await put(api, data, PDF[:-1])).code == 400
    assert await storage.head(stored["key"]) is None
    # And the right request works.
    assert (await put(api, data, PDF)).code == 200
    sent = await send_with(
        api, alice, (await open_direct(api, alice, await api.register()))["id"], [data["upload_id"]]
    )
    assert sent.status == 201
    redirect = await api.get(f"/api/attachments/{data['upload_id']}", token=alice.access)
    location = redirect.headers["Location"]
    assert (await api.http.fetch(location)).body == PDF
    for tampered in (
        _with(location, name="other.pdf"),
        _with(location, ct="text/html"),
        _with(location, expires="9999999999"),
    ):
        assert (await api.http.fetch(tampered, raise_error=False)).code == 403


async def test_storage_outage_shows_in_readyz_without_failing_it(start_server):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    api = await start_server(
        s3_endpoint=f"http://{host}:{port}",
        s3_bucket="hypee-outage",
        s3_access_key="k",
        s3_secret_key="s",
    )
    assert (await api.get("/readyz")).json["storage"] == "ok"
    server.stop()
    ready = await api.get("/readyz")
    assert ready.status == 200
    assert ready.json == {"store": "ok", "storage": "down", "redis": "disabled", "mail": "ok"}


async def test_a_download_the_client_leaves_midway_is_not_an_error(start_server, caplog):
    api = await start_server(send_rate_per_10s=0)
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    big = b"%PDF-1.4\n" + os.urandom(8 * 1024 * 1024)
    upload_id = await upload(api, alice, big)
    assert (await send_with(api, alice, cid, [upload_id])).status == 201
    redirect = await api.get(f"/api/attachments/{upload_id}", token=bob.access)
    location = urlparse(redirect.headers["Location"])
    reader, writer = await asyncio.open_connection(location.hostname, location.port)
    writer.write(f"GET {location.path}?{location.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    assert b"200 OK" in await reader.read(4096)
    writer.transport.abort()  # gone, with megabytes still to send
    await asyncio.sleep(0.5)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
