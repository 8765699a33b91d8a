"""Web Push to a push service on loopback that checks VAPID and decrypts what it receives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from hypee import clock
from tests.client import ApiClient, Socket
from tests.helpers import answer, ask, assert_error, open_direct, send
from tests.mailbox import settle
from tests.pushservice import PushService


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService().start()
    yield service
    service.stop()


async def subscribe(api: ApiClient, service: PushService, account, name: str) -> dict:
    browser = service.browser(name)
    response = await api.post(
        "/api/push/subscriptions",
        {"endpoint": service.endpoint(name), "keys": browser.keys()},
        token=account.access,
    )
    assert response.status == 201, response
    return response.json


async def test_someone_away_gets_an_encrypted_signed_push(api: ApiClient, push_service):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    key = (await api.get("/api/push/public-key")).json["public_key"]
    await subscribe(api, push_service, bob, "phone")
    await subscribe(api, push_service, bob, "laptop")
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "are you free on Friday?")
    await settle(api)()
    assert push_service.problems == []
    # Opening the conversation, then its first message: two pushes with one tag (and one
    # Topic), so the device shows the second in place of the first.
    opened, message = [r for r in push_service.received if r[0] == "phone"]
    assert opened[1]["title"] == "Alice wrote to you"
    _, payload, headers = message
    assert headers["k"] == key and headers["topic"] == opened[2]["topic"]
    assert payload["title"] == "Alice" and payload["body"] == "are you free on Friday?"
    assert payload["url"] == f"/chat/{cid}" and payload["tag"] == f"conversation-{cid}"
    assert len(push_service.to("laptop")) == 2


async def test_no_push_for_someone_connected_or_who_turned_pushes_off(api: ApiClient, push_service):
    asker, helper = await api.register("Asker"), await api.register("Helper")
    await subscribe(api, push_service, asker, "phone")
    socket = await Socket.connect(api.base_url, token=asker.access)
    question = await ask(api, asker)
    await answer(api, helper, question["id"])
    await settle(api)()
    assert push_service.to("phone") == []
    socket.close()
    await socket.closed()
    await api.put(
        "/api/me/notification-settings",
        {"push": {"messages": True, "forum": False}},
        token=asker.access,
    )
    await answer(api, helper, question["id"], body="Another idea.")
    await settle(api)()
    assert push_service.to("phone") == []
    await api.put(
        "/api/me/notification-settings",
        {"push": {"messages": True, "forum": True}},
        token=asker.access,
    )
    await answer(api, helper, question["id"], body="A third idea.")
    await settle(api)()
    [payload] = push_service.to("phone")
    assert payload["url"] == f"/questions/{question['id']}"


async def test_a_gone_subscription_is_deleted(api: ApiClient, push_service):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    await subscribe(api, push_service, bob, "old")
    kept = await subscribe(api, push_service, bob, "new")
    push_service.status["old"] = 410
    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hello")
    await settle(api)()
    listed = (await api.get("/api/push/subscriptions", token=bob.access)).json["results"]
    assert [s["id"] for s in listed] == [kept["id"]]
    assert len(push_service.to("new")) == 2


async def test_subscriptions_are_validated_and_private(api: ApiClient, push_service):
    bob, eve = await api.register(), await api.register()
    browser = push_service.browser("phone")
    for body, field in (
        ({"endpoint": push_service.endpoint("phone")}, "keys"),
        ({"endpoint": "ftp://push.example/x", "keys": browser.keys()}, "endpoint"),
        (
            {"endpoint": push_service.endpoint("phone"), "keys": {"p256dh": "x", "auth": "y"}},
            "keys",
        ),
    ):
        refused = await api.post("/api/push/subscriptions", body, token=bob.access)
        assert field in assert_error(refused, 400, "validation_error")["fields"], body
    mine = await subscribe(api, push_service, bob, "phone")
    other = await api.delete(f"/api/push/subscriptions/{mine['id']}", token=eve.access)
    assert_error(other, 404, "not_found")
    gone = await api.delete(f"/api/push/subscriptions/{mine['id']}", token=bob.access)
    assert gone.status == 204


async def test_a_busy_push_service_is_tried_again_later(api: ApiClient, push_service):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    await subscribe(api, push_service, bob, "phone")
    push_service.status["phone"] = 503
    cid = (await open_direct(api, alice, bob))["id"]
    await settle(api)()
    assert push_service.to("phone") == []
    push_service.status["phone"] = 201
    clock.advance(31)  # the first retry, 30 s after the failure
    await settle(api)()
    [payload] = push_service.to("phone")
    assert payload["url"] == f"/chat/{cid}"
    clock.advance(3600)
    await settle(api)()
    assert len(push_service.to("phone")) == 1


async def test_pushes_held_by_quiet_hours_go_as_one_when_they_end(api: ApiClient, push_service):
    alice, bob, cat = [await api.register(n) for n in ("Alice", "Bob", "Cat")]
    await subscribe(api, push_service, bob, "phone")
    now = clock.now()
    quiet = {
        "start": f"{now - timedelta(minutes=1):%H:%M}",
        "end": f"{now + timedelta(hours=1):%H:%M}",
    }
    await api.put(
        "/api/me/notification-settings",
        {"quiet_hours": quiet, "time_zone": "UTC"},
        token=bob.access,
    )
    for sender in (alice, cat):
        cid = (await open_direct(api, sender, bob))["id"]
        await send(api, sender, cid, "hello")
    await settle(api)()
    assert push_service.to("phone") == []
    clock.advance(3600)
    await settle(api)()
    [held] = push_service.to("phone")
    assert held["body"] == "4 notifications while you were away"
    assert held["url"] == "/notifications" and held["tag"] == "held"
    clock.advance(3600)
    await settle(api)()
    assert len(push_service.to("phone")) == 1
