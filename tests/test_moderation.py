"""Reports, the moderation queue and actions, the audit log, roles, suspension, auto-hide and
the new-account limit, over real sockets."""

from __future__ import annotations

import asyncio
import sys

import pytest
from bson import ObjectId

from hypee import clock
from models import users
from tests.client import Account, ApiClient, Socket
from tests.helpers import answer, ask, assert_error, history, open_direct, send
from tests.processes import ServerProcess, run_command, server_env, two_process_cluster

REASONS = ("spam", "harassment", "inappropriate", "other")


async def make_staff(api: ApiClient, account: Account, role: str = "moderator") -> None:
    """What `run.py --grant` does (tested on its own below), on the test server's store."""
    await api.server.services.moderation.set_role(None, ObjectId(account.id), role, True, "test")


async def report(
    api: ApiClient, reporter: Account, kind: str, target_id: str, reason: str = "spam", **extra
):
    return await api.post(
        "/api/reports/",
        {"target": {"kind": kind, "id": target_id}, "reason": reason, **extra},
        token=reporter.access,
    )


async def act(api: ApiClient, moderator: Account, action: str, kind: str, target_id: str, **extra):
    body = {"action": action, "target": {"kind": kind, "id": target_id}, "reason": "test", **extra}
    return await api.post("/api/moderation/actions/", body, token=moderator.access)


async def test_a_report_keeps_its_evidence_through_an_edit_and_a_deletion(api: ApiClient):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    moderator = await api.register("Mod")
    await make_staff(api, moderator)
    cid = (await open_direct(api, alice, bob))["id"]
    for body in ("one", "two", "the bad one", "four", "five"):
        await send(api, bob if body == "the bad one" else alice, cid, body)
    bad = (await history(api, alice, cid))["results"][2]
    filed = await report(api, alice, "message", bad["id"], "harassment", details="rude")
    assert filed.status == 201, filed
    assert filed.json["status"] == "open" and filed.json["target"]["id"] == bad["id"]
    # A repeat answers the open report.
    again = await report(api, alice, "message", bad["id"], "spam")
    assert again.status == 200 and again.json["id"] == filed.json["id"]

    edited = await api.patch(
        f"/api/conversations/{cid}/messages/{bad['seq']}/", {"body": "nice now"}, token=bob.access
    )
    assert edited.status == 200
    deleted = await api.delete(f"/api/conversations/{cid}/messages/{bad['seq']}/", token=bob.access)
    assert deleted.status == 204

    [case] = (await api.get("/api/moderation/reports/", token=moderator.access)).json["results"]
    assert case["count"] == 1 and case["reasons"] == {"harassment": 1}
    assert case["snapshot"]["body"] == "the bad one" and case["author"]["id"] == bob.id
    detail = (await api.get(f"/api/moderation/reports/{case['id']}", token=moderator.access)).json
    assert [m["body"] for m in detail["context"]] == ["one", "two", "four", "five"]
    assert detail["reports"][0]["reporter"]["id"] == alice.id
    assert detail["reports"][0]["details"] == "rude"
    assert detail["current"]["deleted"] is True and detail["current"]["body"] == ""

    # The reporter reads their report; nobody else can.
    mine = await api.get(f"/api/reports/{filed.json['id']}", token=alice.access)
    assert mine.status == 200
    assert_error(
        await api.get(f"/api/reports/{filed.json['id']}", token=bob.access), 404, "not_found"
    )


async def test_only_what_the_reporter_can_see_can_be_reported(api: ApiClient):
    alice, bob, carol = [await api.register(n) for n in ("Alice", "Bob", "Carol")]
    cid = (await open_direct(api, alice, bob))["id"]
    message = (await send(api, alice, cid, "private")).json
    assert_error(await report(api, carol, "message", message["id"]), 404, "not_found")
    for kind in ("message", "question", "answer", "user"):
        assert_error(await report(api, carol, kind, str(ObjectId())), 404, "not_found")
    error = assert_error(await report(api, carol, "user", carol.id), 400, "validation_error")
    assert "target" in error["fields"]
    bad = await api.post(
        "/api/reports/",
        {"target": {"kind": "video", "id": "x"}, "reason": "meh"},
        token=carol.access,
    )
    fields = assert_error(bad, 400, "validation_error")["fields"]
    assert set(fields) == {"target", "reason"}
    assert_error(
        await report(api, carol, "user", alice.id, details="x" * 1001), 400, "validation_error"
    )


async def test_moderation_routes_are_404_to_everyone_else(api: ApiClient):
    mentee, moderator = await api.register("Mentee"), await api.register("Mod")
    await make_staff(api, moderator)
    case_id, user_id = str(ObjectId()), mentee.id
    calls = [
        ("GET", "/api/moderation/reports/", None),
        ("GET", f"/api/moderation/reports/{case_id}", None),
        (
            "POST",
            "/api/moderation/actions/",
            {"action": "dismiss", "target": {"kind": "user", "id": user_id}, "reason": "x"},
        ),
        ("GET", "/api/moderation/audit/", None),
        ("PUT", f"/api/users/{user_id}/roles", {"moderator": True}),
    ]
    for method, path, body in calls:
        response = await api.request(method, path, body, token=mentee.access)
        assert_error(response, 404, "not_found")
    # A moderator is not an admin: roles stay out of reach.
    roles = await api.put(
        f"/api/users/{user_id}/roles", {"moderator": True}, token=moderator.access
    )
    assert_error(roles, 404, "not_found")
    assert (await api.get("/api/moderation/audit/", token=moderator.access)).status == 200


async def test_admins_grant_and_revoke_moderator_and_the_audit_says_so(api: ApiClient):
    admin, helper = await api.register("Admin"), await api.register("Helper")
    await make_staff(api, admin, "admin")
    assert (await api.get("/api/me", token=admin.access)).json["roles"] == ["admin"]
    granted = await api.put(
        f"/api/users/{helper.id}/roles",
        {"moderator": True, "reason": "trusted"},
        token=admin.access,
    )
    assert granted.json == {"roles": ["moderator"]}
    assert (await api.get("/api/moderation/reports/", token=helper.access)).status == 200
    revoked = await api.put(
        f"/api/users/{helper.id}/roles", {"moderator": False}, token=admin.access
    )
    assert revoked.json == {"roles": []}
    assert (await api.get("/api/moderation/reports/", token=helper.access)).status == 404
    bad = await api.put(f"/api/users/{helper.id}/roles", {"moderator": "yes"}, token=admin.access)
    assert "moderator" in assert_error(bad, 400, "validation_error")["fields"]
    audit = (await api.get("/api/moderation/audit/", token=admin.access)).json["results"]
    assert [(e["action"], e["target"]["id"]) for e in audit[:2]] == [
        ("revoke_role", helper.id),
        ("grant_role", helper.id),
    ]
    assert audit[1]["actor"]["id"] == admin.id and "trusted" in audit[1]["reason"]


async def test_hiding_a_message_updates_open_conversations_and_keeps_the_body(api: ApiClient):
    alice, bob, moderator = [await api.register(n) for n in ("Alice", "Bob", "Mod")]
    await make_staff(api, moderator)
    cid = (await open_direct(api, alice, bob))["id"]
    message = (await send(api, bob, cid, "something nasty")).json
    sockets = [await Socket.connect(api.base_url, "/ws", a.access) for a in (alice, bob)]
    assert (await report(api, alice, "message", message["id"])).status == 201
    hidden = await act(api, moderator, "hide", "message", message["id"])
    assert hidden.status == 201, hidden
    assert hidden.json["action"] == "hide" and hidden.json["actor"]["id"] == moderator.id
    for socket in sockets:
        updated = (await socket.expect("message_updated", skip=("presence", "notification")))[
            "message"
        ]
        assert (
            updated["hidden"] is True and updated["body"] == "" and updated["id"] == message["id"]
        )
        socket.close()
    shown = (await history(api, alice, cid))["results"][-1]
    assert shown["hidden"] is True and shown["body"] == ""
    inbox = (await api.get("/api/conversations/", token=alice.access)).json["results"][0]
    assert inbox["last_message"]["body"] == ""
    # Kept for the audit: the moderator's case still shows it, and restoring brings it back.
    assert_error(await act(api, moderator, "hide", "message", message["id"]), 409, "conflict")
    assert (await act(api, moderator, "restore", "message", message["id"])).status == 201
    assert (await history(api, alice, cid))["results"][-1]["body"] == "something nasty"
    queue = (await api.get("/api/moderation/reports/?status=closed", token=moderator.access)).json
    assert [c["status"] for c in queue["results"]] == ["actioned"]


async def test_hidden_forum_posts_withhold_their_text(api: ApiClient):
    alice, bob, moderator = [await api.register(n) for n in ("Alice", "Bob", "Mod")]
    await make_staff(api, moderator)
    question = await ask(api, alice, title="Buy cheap pills here", body="spam spam")
    reply = await answer(api, bob, question["id"], "also spam")
    assert (await act(api, moderator, "hide", "question", question["id"])).status == 201
    assert (await act(api, moderator, "hide", "answer", reply["id"])).status == 201
    page = (await api.get(f"/api/questions/{question['id']}/")).json
    assert page["hidden"] is True and page["title"] == "" and page["body"] == ""
    assert page["answers"][0]["hidden"] is True and page["answers"][0]["body"] == ""
    listed = (await api.get("/api/questions/?q=pills")).json["results"]
    assert listed == []
    assert_error(await act(api, moderator, "hide", "user", bob.id), 400, "validation_error")


async def test_content_is_hidden_at_the_third_distinct_reporter(api: ApiClient):
    author = await api.register("Author")
    question = await ask(api, author, title="Something people dislike a lot")
    moderator = await api.register("Mod")
    await make_staff(api, moderator)
    first = await api.register("First")
    for _ in range(3):  # the same reporter three times counts once
        await report(api, first, "question", question["id"])
    assert (await api.get(f"/api/questions/{question['id']}/")).json["hidden"] is False
    second, third = await api.register("Second"), await api.register("Third")
    await report(api, second, "question", question["id"], "harassment")
    assert (await api.get(f"/api/questions/{question['id']}/")).json["hidden"] is False
    await report(api, third, "question", question["id"], "harassment")
    assert (await api.get(f"/api/questions/{question['id']}/")).json["hidden"] is True
    [case] = (await api.get("/api/moderation/reports/", token=moderator.access)).json["results"]
    assert case["count"] == 3 and case["auto_hidden"] is True
    assert case["reasons"] == {"spam": 1, "harassment": 2}
    audit = (await api.get("/api/moderation/audit/", token=moderator.access)).json["results"]
    assert [(e["action"], e["actor"]) for e in audit if e["action"] != "grant_role"] == [
        ("auto_hide", None)
    ]
    # Dismissing the reports brings it back.
    assert (await act(api, moderator, "dismiss", "question", question["id"])).status == 201
    assert (await api.get(f"/api/questions/{question['id']}/")).json["hidden"] is False
    assert_error(await act(api, moderator, "dismiss", "question", question["id"]), 409, "conflict")


async def test_twenty_concurrent_reports_hide_once_and_log_once(api: ApiClient):
    author = await api.register("Author")
    question = await ask(api, author, title="A question twenty people report at once")
    reporters = [await api.register(f"R{n}") for n in range(20)]
    answers = await asyncio.gather(
        *(
            report(api, r, "question", question["id"], REASONS[n % 4])
            for n, r in enumerate(reporters)
        )
    )
    assert sorted(a.status for a in answers) == [201] * 20
    moderator = await api.register("Mod")
    await make_staff(api, moderator)
    [case] = (await api.get("/api/moderation/reports/", token=moderator.access)).json["results"]
    assert case["count"] == 20 and sum(case["reasons"].values()) == 20
    audit = (await api.get("/api/moderation/audit/", token=moderator.access)).json["results"]
    assert [e["action"] for e in audit if e["action"] != "grant_role"] == ["auto_hide"]


async def test_a_suspension_ends_every_login_and_refuses_the_next(api: ApiClient):
    troll, victim, moderator = [await api.register(n) for n in ("Troll", "Victim", "Mod")]
    await make_staff(api, moderator)
    cid = (await open_direct(api, troll, victim))["id"]
    message = (await send(api, troll, cid, "go away")).json
    socket = await Socket.connect(api.base_url, "/ws", troll.access)
    until = "2027-01-07T00:00:00Z"
    suspended = await act(api, moderator, "suspend", "message", message["id"], until=until)
    assert suspended.status == 201, suspended
    assert suspended.json["target"] == {"kind": "user", "id": troll.id}
    assert suspended.json["until"] == "2027-01-07T00:00:00.000Z"
    assert await socket.closed(timeout=2) == 4401
    login = await api.post("/api/auth/login", {"email": troll.email, "password": troll.password})
    error = assert_error(login, 403, "suspended")
    assert error["until"] == "2027-01-07T00:00:00.000Z" and "2027-01-07" in error["message"]
    refreshed = await api.post("/api/auth/refresh", {"refresh": troll.refresh})
    assert refreshed.status in (401, 403)
    # The access token still held refuses writes.
    assert_error(await send(api, troll, cid, "still here?"), 403, "suspended")
    opened = await api.post(
        "/api/conversations/", {"participant_ids": [moderator.id]}, token=troll.access
    )
    assert_error(opened, 403, "suspended")
    assert_error(
        await api.post(
            "/api/questions/",
            {"title": "Let me ask something", "body": "x", "tags": []},
            token=troll.access,
        ),
        403,
        "suspended",
    )
    # A suspension in the past, or of staff, is refused.
    past = await act(api, moderator, "suspend", "user", victim.id, until="2020-01-01T00:00:00Z")
    assert "until" in assert_error(past, 400, "validation_error")["fields"]
    assert_error(await act(api, moderator, "suspend", "user", moderator.id), 409, "conflict")
    # Time passes: the suspension is over.
    clock.advance(31 * 24 * 3600)
    login = await api.post("/api/auth/login", {"email": troll.email, "password": troll.password})
    assert login.status == 200


async def test_a_suspended_mentor_leaves_the_directory_until_it_is_lifted(api: ApiClient):
    from tests.helpers import PROFILE

    mentor, moderator = await api.register("Mira"), await api.register("Mod")
    await make_staff(api, moderator)
    assert (await api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)).status == 200
    listed = lambda: api.get("/api/mentors/")  # noqa: E731
    assert [m["id"] for m in (await listed()).json["results"]] == [mentor.id]
    assert (await act(api, moderator, "suspend", "user", mentor.id)).status == 201
    assert (await listed()).json["results"] == []
    login = await api.post("/api/auth/login", {"email": mentor.email, "password": mentor.password})
    assert assert_error(login, 403, "suspended")["until"] is None
    assert (await act(api, moderator, "lift_suspension", "user", mentor.id)).status == 201
    assert [m["id"] for m in (await listed()).json["results"]] == [mentor.id]
    assert_error(await act(api, moderator, "lift_suspension", "user", mentor.id), 409, "conflict")
    stored = await users.get_user(api.server.services.db, ObjectId(mentor.id))
    assert stored is not None and "suspension" not in stored


async def test_a_suspension_racing_sends_lets_none_through_after_its_answer(start_server):
    api = await start_server(send_rate_per_10s=0)
    troll, victim, moderator = [await api.register(n) for n in ("Troll", "Victim", "Mod")]
    await make_staff(api, moderator)
    cid = (await open_direct(api, troll, victim))["id"]
    answered_at: list[float] = []
    loop = asyncio.get_running_loop()

    async def keep_sending() -> list[tuple[float, int]]:
        results = []
        for n in range(60):
            started = loop.time()
            response = await send(api, troll, cid, f"spam {n}")
            results.append((started, response.status))
        return results

    async def suspend_soon() -> None:
        await asyncio.sleep(0.05)
        response = await act(api, moderator, "suspend", "user", troll.id)
        assert response.status == 201
        answered_at.append(loop.time())

    sends, _ = await asyncio.gather(keep_sending(), suspend_soon())
    # No send that started after the suspension's answer was stored...
    assert all(status == 403 for started, status in sends if started > answered_at[0])
    assert any(status == 403 for _, status in sends)
    # ...and what is stored is exactly what was acknowledged.
    stored = (await history(api, victim, cid, limit=100))["results"]
    assert len(stored) == sum(1 for _, status in sends if status == 201)


async def test_new_accounts_start_a_limited_number_of_conversations_a_day(start_server):
    api = await start_server(new_conversations_per_day=3)
    newcomer = await api.register("New")
    others = [await api.register(f"O{n}") for n in range(5)]
    for other in others[:3]:
        await open_direct(api, newcomer, other)
    refused = await api.post(
        "/api/conversations/", {"participant_ids": [others[3].id]}, token=newcomer.access
    )
    error = assert_error(refused, 429, "rate_limited")
    assert "New accounts" in error["message"] and int(refused.headers["Retry-After"]) > 0
    # Opening one that exists is not starting one.
    assert (
        await api.post(
            "/api/conversations/", {"participant_ids": [others[0].id]}, token=newcomer.access
        )
    ).status == 200
    # A day later the newcomer is not new any more.
    clock.advance(24 * 3600 + 1)
    await open_direct(api, newcomer, others[3])


@pytest.mark.slow
async def test_a_suspension_closes_sockets_on_every_process_within_a_second(tmp_path):
    """Two processes through Redis; the moderator is made with `run.py --grant`, which runs
    beside running servers on MongoDB."""
    async with two_process_cluster(tmp_path, "suspension") as (_, a, b):
        troll = await a.client.register("Troll")
        moderator = await b.client.register("Mod")
        granted = await asyncio.create_subprocess_exec(
            sys.executable,
            "run.py",
            "--grant",
            "moderator",
            moderator.email,
            env=a.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(granted.communicate(), 60)
        assert granted.returncode == 0, err
        assert b"moderator granted" in out
        on_a = await Socket.connect(a.client.base_url, "/ws", troll.access)
        on_b = await Socket.connect(b.client.base_url, "/ws", troll.access)
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await act(b.client, moderator, "suspend", "user", troll.id)
        assert response.status == 201, response
        codes = await asyncio.gather(on_a.closed(timeout=1), on_b.closed(timeout=1))
        assert codes == [4401, 4401] and loop.time() - started < 1
        login = await a.client.post(
            "/api/auth/login", {"email": troll.email, "password": troll.password}
        )
        assert_error(login, 403, "suspended")
        assert (await a.client.post("/api/auth/refresh", {"refresh": troll.refresh})).status in (
            401,
            403,
        )


@pytest.mark.slow
async def test_the_first_admin_is_made_on_the_command_line(tmp_path):
    data = tmp_path / "data"
    server = await ServerProcess(tmp_path / "server.log", HYPEE_DATA_DIR=str(data)).start()
    admin = await server.client.register("Admin")
    env = server_env(HYPEE_DATA_DIR=str(data))
    # The embedded store is locked while it serves: the command says so and changes nothing.
    code, _, err = await run_command("--grant", "admin", admin.email, env=env)
    assert code == 2 and "the server is running" in err
    await server.stop()
    code, out, _ = await run_command("--grant", "admin", admin.email, env=env)
    assert code == 0 and "admin granted" in out
    code, out, _ = await run_command("--grant", "admin", "nobody@example.com", env=env)
    assert code == 1 and "no account" in out
    await server.start()
    login = await server.client.post(
        "/api/auth/login", {"email": admin.email, "password": admin.password}
    )
    assert login.json["user"]["roles"] == ["admin"]
    audit = await server.client.get("/api/moderation/audit/", token=login.json["access"])
    [entry] = audit.json["results"]
    assert entry["action"] == "grant_role" and entry["actor"] is None
    await server.stop()
    code, out, _ = await run_command("--revoke", "admin", admin.email, env=env)
    assert code == 0 and "roles now: none" in out


async def test_reporting_needs_a_verified_address_where_one_is_required(start_server):
    api = await start_server(require_verified_email=True)
    author, reporter = await api.register("Author"), await api.register("Reporter")
    refused = await report(api, reporter, "user", author.id)
    assert_error(refused, 403, "email_unverified")
    await api.server.services.db["users"].update_one(
        {"_id": ObjectId(reporter.id)}, {"$set": {"email_verified": True}}
    )
    assert (await report(api, reporter, "user", author.id)).status == 201


async def test_a_hidden_messages_attachments_are_not_served(start_server):
    from tests.test_uploads import download, send_with, upload

    api = await start_server(send_rate_per_10s=0)
    alice, bob, moderator = [await api.register(n) for n in ("Alice", "Bob", "Mod")]
    await make_staff(api, moderator)
    cid = (await open_direct(api, alice, bob))["id"]
    upload_id = await upload(api, bob)
    sent = await send_with(api, bob, cid, [upload_id])
    assert sent.status == 201, sent
    redirect, _ = await download(api, alice, upload_id)
    assert redirect.status == 302
    assert (await act(api, moderator, "hide", "message", sent.json["id"])).status == 201
    shown = (await history(api, alice, cid))["results"][-1]
    assert shown["attachments"] == [] and shown["hidden"] is True
    redirect, _ = await download(api, alice, upload_id)
    assert_error(redirect, 404, "not_found")
    assert (await act(api, moderator, "restore", "message", sent.json["id"])).status == 201
    assert (await download(api, alice, upload_id))[0].status == 302


async def test_a_suspended_user_cannot_write_in_a_group_made_after_the_suspension(api: ApiClient):
    troll, alice, bob, moderator = [await api.register(n) for n in ("Troll", "A", "B", "Mod")]
    await make_staff(api, moderator)
    assert (await act(api, moderator, "suspend", "user", troll.id)).status == 201
    group = await api.post(
        "/api/conversations/", {"participant_ids": [troll.id, bob.id]}, token=alice.access
    )
    assert group.status == 201, group
    assert_error(await send(api, troll, group.json["id"], "let me in"), 403, "suspended")
    assert (await act(api, moderator, "lift_suspension", "user", troll.id)).status == 201
    assert (await send(api, troll, group.json["id"], "behaving now")).status == 201


async def test_only_a_suspension_records_an_end(api: ApiClient):
    author, moderator = await api.register("Author"), await api.register("Mod")
    await make_staff(api, moderator)
    question = await ask(api, author, title="A question to hide for a while")
    hidden = await act(
        api, moderator, "hide", "question", question["id"], until="2030-01-01T00:00:00Z"
    )
    assert hidden.status == 201 and hidden.json["until"] is None
