"""Emails when things fail: the SMTP server down, refusing, the server killed between commit
and send, and two processes sharing one outbox. Each email leaves once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from hypee import clock
from services.integrity import IntegrityService
from tests.client import ApiClient
from tests.helpers import open_direct, send
from tests.mailbox import Mailbox, link_in, settle
from tests.processes import ServerProcess, free_port, two_process_cluster


async def metric(api: ApiClient, outcome: str) -> float:
    text = (await api.get("/metrics")).body.decode()
    line = f'hypee_outbox_deliveries_total{{channel="email",outcome="{outcome}"}}'
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


async def test_an_email_due_while_smtp_is_down_leaves_once_it_is_back(start_server):
    mailbox = Mailbox()
    mailbox.port = free_port()  # nobody listens there yet
    api = await start_server(smtp_url=mailbox.url)
    account = await api.register()
    await settle(api)()
    ready = (await api.get("/readyz")).json
    assert ready["mail"] == "failing" and (await api.get("/readyz")).status == 200
    assert await metric(api, "retried") == 1
    mailbox.start()
    try:
        clock.advance(31)  # the first retry is 30 s after a failure
        await mailbox.wait_for(account.email, settle=settle(api))
        clock.advance(3600)
        await settle(api)()
        assert len(mailbox.to(account.email)) == 1
        assert (await api.get("/readyz")).json["mail"] == "ok"
        assert await metric(api, "sent") == 1
    finally:
        mailbox.stop()


async def test_a_permanent_refusal_fails_the_email_without_retrying(start_server, mailbox):
    mailbox.answer = "550 5.1.1 no such mailbox"
    api = await start_server(smtp_url=mailbox.url)
    await api.register()
    await settle(api)()
    assert await metric(api, "failed") == 1
    mailbox.answer = None
    clock.advance(2 * 24 * 3600)
    await settle(api)()
    assert mailbox.messages == []
    services = api.server.services  # type: ignore[attr-defined]
    report = await IntegrityService(services.store, services.attachments).run(False)
    [line] = report.lines(False)
    assert line.startswith("found 1: emails that failed for good: verify_email ")
    assert "550 5.1.1 no such mailbox" in line


async def test_a_failing_email_is_given_up_after_a_day(start_server):
    mailbox = Mailbox()
    mailbox.port = free_port()
    api = await start_server(smtp_url=mailbox.url)
    await api.register()
    await settle(api)()
    for _ in range(40):  # retries double from 30 s to an hour: a day is over well before
        clock.advance(3600)
        await settle(api)()
    assert await metric(api, "failed") == 1
    assert (await api.get("/readyz")).status == 200


@pytest.mark.slow
async def test_an_email_committed_before_kill_9_leaves_after_the_restart(tmp_path):
    mailbox = Mailbox()
    mailbox.port = free_port()
    settings = {
        "HYPEE_DATA_DIR": str(tmp_path / "data"),
        "HYPEE_SMTP_URL": mailbox.url,
        "HYPEE_DELIVERY_RETRY_SECONDS": "1",
        "HYPEE_DUE_WORK_POLL_SECONDS": "1",
    }
    server = await ServerProcess(tmp_path / "server.log", **settings).start()
    try:
        account = await server.client.register()  # committed; SMTP refuses the connection
        # Killed between two attempts (one killed during an attempt would hold the email's
        # lease, and so leave it for two minutes, as designed).
        for _ in range(100):
            if "delivery failed; will retry" in server.log():
                break
            await asyncio.sleep(0.05)
        server.kill()
        await server.process.wait()
        mailbox.start()
        await server.start()
        await mailbox.wait_for(account.email, timeout=20)
        await asyncio.sleep(2.5)  # two more polls: nothing is sent twice
        assert len(mailbox.to(account.email)) == 1
    finally:
        server.kill()
        mailbox.stop()


@pytest.mark.slow
async def test_two_processes_share_the_outbox_and_send_each_email_once(tmp_path):
    mailbox = Mailbox()
    mailbox.port = free_port()
    extra = {
        "HYPEE_SMTP_URL": mailbox.url,
        "HYPEE_DELIVERY_RETRY_SECONDS": "1",
        "HYPEE_DUE_WORK_POLL_SECONDS": "1",
    }
    async with two_process_cluster(tmp_path, "outbox", **extra) as (_, a, b):
        accounts = await asyncio.gather(
            *(server.client.register() for server in (a, b) for _ in range(10))
        )
        mailbox.start()  # the 20 emails are due on both processes at once
        try:
            for account in accounts:
                await mailbox.wait_for(account.email, timeout=30)
            await asyncio.sleep(3)
            sent = Counter(message["Message-ID"] for message in mailbox.messages)
            assert len(sent) == 20 and set(sent.values()) == {1}
        finally:
            mailbox.stop()


@pytest.mark.slow
async def test_a_digest_due_on_two_processes_leaves_once(tmp_path):
    mailbox = Mailbox().start()
    extra = {"HYPEE_SMTP_URL": mailbox.url, "HYPEE_DUE_WORK_POLL_SECONDS": "1"}
    try:
        async with two_process_cluster(tmp_path, "digests", **extra) as (_, a, b):
            alice, bob = await a.client.register("Alice"), await b.client.register("Bob")
            [link] = await mailbox.wait_for(bob.email, timeout=15)
            token = link_in(link, "/verify-email")
            assert (await a.client.post("/api/auth/verify-email", {"token": token})).status == 204
            cid = (await open_direct(a.client, alice, bob))["id"]
            await send(b.client, alice, cid, "a question for you")
            # Bob's weekly digest comes due now, on both processes at once.
            client: AsyncMongoClient = AsyncMongoClient(a.env["HYPEE_MONGO_URI"])
            jobs = client[a.env["HYPEE_MONGO_DB"]]["jobs"]
            moved = await jobs.update_one(
                {"key": f"digest:{bob.id}"}, {"$set": {"due_at": datetime.now(UTC)}}
            )
            assert moved.modified_count == 1
            digests = await mailbox.wait_for(bob.email, 2, timeout=15)
            assert digests[1]["Subject"] == "Your weekly Hypee digest"
            await asyncio.sleep(3)  # three more polls on each process
            assert len(mailbox.to(bob.email)) == 2
            job = await jobs.find_one({"key": f"digest:{bob.id}"})
            assert job["due_at"].replace(tzinfo=UTC) > datetime.now(UTC)  # the next period
            await client.close()
    finally:
        mailbox.stop()


async def test_an_unexpected_error_while_sending_is_retried_like_a_passing_one(
    start_server, mailbox, monkeypatch
):
    api = await start_server(smtp_url=mailbox.url)
    mailer = api.server.services.mailer  # type: ignore[attr-defined]
    compose, calls = mailer.message_of, []

    def broken_once(entry):
        calls.append(entry["_id"])
        if len(calls) == 1:
            raise ValueError("a bug in composing")
        return compose(entry)

    monkeypatch.setattr(mailer, "message_of", broken_once)
    account = await api.register()
    await settle(api)()
    assert mailbox.to(account.email) == [] and await metric(api, "retried") == 1
    clock.advance(31)
    await mailbox.wait_for(account.email, settle=settle(api))
    assert len(calls) == 2
