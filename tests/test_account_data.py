"""Data export and account deletion."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient

from tests.client import Account, ApiClient, Socket
from tests.helpers import PROFILE, answer, ask, assert_error, history, open_direct, send
from tests.mailbox import Mailbox, settle, text_of, verify


async def exported(api: ApiClient, account: Account) -> dict:
    """Ask for an export, let the job run, and download the file."""
    started = await api.post("/api/me/export", token=account.access)
    assert started.status == 202 and started.json["status"] == "pending", started
    await settle(api)()
    state = (await api.get("/api/me/export", token=account.access)).json
    assert state["status"] == "ready" and state["size"] > 0, state
    parts = urlsplit(state["download_url"])  # the mail tests' public URL is hypee.test
    url = f"{api.base_url}{parts.path}?{parts.query}"
    response = await AsyncHTTPClient().fetch(url, raise_error=False)
    assert response.code == 200, response
    return json.loads(response.body)


async def test_an_export_holds_exactly_the_callers_data(mail_api: ApiClient, mailbox: Mailbox):
    api = mail_api
    alice, bob = await api.register("Alice"), await api.register("Bob")
    await verify(api, mailbox, alice)
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "mine")
    await send(api, bob, cid, "bob's secret")
    question = await ask(api, alice, title="What should I learn first?")
    reply = await answer(api, bob, question["id"], "Bob's answer")
    await answer(api, alice, question["id"], "My own answer")
    vote = await api.post(f"/api/answers/{reply['id']}/vote", {"value": 1}, token=alice.access)
    assert vote.status == 200, vote
    assert (await api.get("/api/me/export", token=alice.access)).json["status"] == "none"

    data = await exported(api, alice)
    assert data["account"]["id"] == alice.id and data["account"]["email"] == alice.email
    assert [m["body"] for m in data["messages"]] == ["mine"]
    assert data["messages"][0]["conversation_id"] == cid
    assert [q["title"] for q in data["questions"]] == ["What should I learn first?"]
    assert [a["body"] for a in data["answers"]] == ["My own answer"]
    assert [(v["target_type"], str(v["target_id"]), v["value"]) for v in data["votes"]] == [
        ("answer", reply["id"], 1)
    ]
    assert "notification_settings" in data and isinstance(data["points_history"], list)
    assert any(n["kind"] == "new_message" for n in data["notifications"])
    text = json.dumps(data)
    assert bob.email not in text and "bob's secret" not in text and "Bob's answer" not in text
    assert "password" not in text
    # The email says it is ready and links to the settings, not to the file.
    await mailbox.wait_for(alice.email, 3, settle=settle(api))
    [ready] = [m for m in mailbox.to(alice.email) if "export" in m["Subject"].lower()]
    assert "/settings#export" in text_of(ready)
    # Nobody else sees it: Bob's own export is his.
    assert (await api.get("/api/me/export", token=bob.access)).json["status"] == "none"


async def test_asking_again_while_pending_answers_the_pending_export(api: ApiClient):
    alice = await api.register("Alice")
    first = await api.post("/api/me/export", token=alice.access)
    second = await api.post("/api/me/export", token=alice.access)
    assert first.json["requested_at"] == second.json["requested_at"]
    assert (await api.post("/api/me/export")).status == 401


async def test_deleting_an_account_anonymizes_what_others_keep(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    assert (await api.put("/api/me/mentor-profile", PROFILE, token=alice.access)).status == 200
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hello from Alice")
    await send(api, bob, cid, "hello from Bob")
    question = await ask(api, alice, title="A question that outlives its author")
    socket = await Socket.connect(api.base_url, "/ws", alice.access)

    wrong = await api.request("DELETE", "/api/me", {"password": "not it"}, token=alice.access)
    assert "password" in assert_error(wrong, 400, "validation_error")["fields"]
    deleted = await api.request(
        "DELETE", "/api/me", {"password": alice.password}, token=alice.access
    )
    assert deleted.status == 204, deleted
    assert await socket.closed(timeout=2) == 4401
    assert (await api.post("/api/auth/refresh", {"refresh": alice.refresh})).status == 401
    login = await api.post("/api/auth/login", {"email": alice.email, "password": alice.password})
    assert login.status == 401
    assert (await api.get("/api/me", token=alice.access)).status == 401
    # The access token still held writes nothing as the deleted account.
    assert_error(await send(api, alice, cid, "from beyond"), 401, "unauthorized")
    anonymous = f"deleted-{alice.id}@deleted.invalid"
    assert (await api.post("/api/auth/login", {"email": anonymous, "password": "x"})).status == 401

    # Bob keeps the conversation, with Alice's message and an anonymous name.
    messages = (await history(api, bob, cid))["results"]
    assert [m["body"] for m in messages] == ["hello from Alice", "hello from Bob"]
    conversation = (await api.get(f"/api/conversations/{cid}/", token=bob.access)).json
    names = {p["id"]: p["display_name"] for p in conversation["participants"]}
    assert names[alice.id] == "Deleted user"
    # The forum keeps the question, by "Deleted user"; the directory lists her no more.
    shown = (await api.get(f"/api/questions/{question['id']}/")).json
    assert shown["author"]["display_name"] == "Deleted user" and shown["author"]["bio"] == ""
    assert (await api.get("/api/mentors/")).json["results"] == []
    # The address can register again, as a new account.
    again = await api.register("Alice again", email=alice.email)
    assert again.id != alice.id


async def test_deleting_with_erase_messages_turns_them_into_deletions(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "erase me")
    await send(api, bob, cid, "keep me")
    bob_socket = await Socket.connect(api.base_url, "/ws", bob.access)
    body = {"password": alice.password, "erase_messages": True}
    assert (await api.request("DELETE", "/api/me", body, token=alice.access)).status == 204
    # Bob's open app is told to catch up, and catching up brings the deletion.
    await bob_socket.expect("resync", skip=("presence", "notification"))
    changes = await api.get(f"/api/conversations/{cid}/changes/?after_rev=2", token=bob.access)
    assert [(m["seq"], m["deleted"]) for m in changes.json["results"]] == [(1, True)]
    bob_socket.close()
    messages = (await history(api, bob, cid))["results"]
    assert [(m["body"], m["deleted"]) for m in messages] == [("", True), ("keep me", False)]
    inbox = (await api.get("/api/conversations/", token=bob.access)).json["results"][0]
    assert inbox["last_message"]["body"] == "keep me"
    bad = await api.request(
        "DELETE", "/api/me", {"password": 1, "erase_messages": "yes"}, token=bob.access
    )
    fields = assert_error(bad, 400, "validation_error")["fields"]
    assert set(fields) == {"password", "erase_messages"}
