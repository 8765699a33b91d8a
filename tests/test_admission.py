"""Load shedding at the edges: past HYPEE_MAX_SENDS_IN_FLIGHT a send is refused at once.

The process's send slots are held by the test itself (the admission object of the running
server), so the refusals are deterministic; tests/test_overload.py measures the real thing.
"""

from __future__ import annotations

import re

from tests.client import ApiClient, Socket
from tests.helpers import assert_error, history, open_direct, send


def admission_of(api: ApiClient):
    return api.server.services.messages.admission  # type: ignore[attr-defined]


async def test_a_rest_send_past_the_cap_is_503_busy_and_its_retry_goes_through(start_server):
    api = await start_server(max_sends_in_flight=1)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    with admission_of(api).slot():
        refused = await send(api, alice, cid, "hello", client_id="c1")
        error = assert_error(refused, 503, "busy")
        assert refused.headers["Retry-After"] == "1"
        assert "busy" in error["message"]
    assert (await history(api, alice, cid))["results"] == []
    retried = await send(api, alice, cid, "hello", client_id="c1")
    assert retried.status == 201 and retried.json["seq"] == 1
    metrics = (await api.get("/metrics")).body.decode()
    assert re.search(r"^hypee_sends_shed_total 1\.0$", metrics, re.M)


async def test_a_socket_send_past_the_cap_gets_a_busy_frame_and_the_socket_keeps_answering(
    start_server,
):
    api = await start_server(max_sends_in_flight=1)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    socket = await Socket.connect(api.base_url, token=alice.access)
    frame = {"type": "message", "conversation_id": cid, "client_id": "c1", "body": "hi"}
    with admission_of(api).slot():
        await socket.send(frame)
        error = await socket.expect("error")
        assert error["code"] == "busy" and error["ref"] == "c1" and error["retry_after"] == 1
        await socket.send({"type": "ping"})
        await socket.expect("pong")
    await socket.send(frame)
    ack = await socket.expect("ack")
    assert ack["client_id"] == "c1" and ack["message"]["seq"] == 1
    socket.close()


async def test_no_cap_when_the_setting_is_zero(start_server):
    api = await start_server(max_sends_in_flight=0)
    alice, bob = await api.register(), await api.register()
    cid = (await open_direct(api, alice, bob))["id"]
    admission = admission_of(api)
    with admission.slot(), admission.slot():
        assert (await send(api, alice, cid, "hello")).status == 201
