"""Account emails through a real SMTP server on loopback: verifying the address, a forgotten
password, a changed password or address, and the verified-address rule."""

from __future__ import annotations

import logging

from hypee import clock
from tests.client import PASSWORD, ApiClient, Socket
from tests.helpers import QUESTION_TITLE, assert_error
from tests.mailbox import Mailbox, html_of, link_in, settle, text_of, verify

NEW_PASSWORD = "a much better passphrase"


async def test_registering_sends_a_verification_link_that_works_once(
    mail_api: ApiClient, mailbox: Mailbox
):
    account = await mail_api.register("Zoé <Admin>")
    assert account.user["email_verified"] is False
    [email] = await mailbox.wait_for(account.email, settle=settle(mail_api))
    assert email["Subject"] == "Confirm your email address for Hypee"
    assert email["Message-ID"] and email["From"]
    assert email.get_content_type() == "multipart/alternative"
    assert "List-Unsubscribe" not in email  # an account email
    assert "Zoé <Admin>" in text_of(email)
    assert "Zoé &lt;Admin&gt;" in html_of(email)  # autoescaped
    token = link_in(email, "http://hypee.test/verify-email")
    assert (await mail_api.post("/api/auth/verify-email", {"token": token})).status == 204
    me = await mail_api.get("/api/me", token=account.access)
    assert me.json["email_verified"] is True
    again = await mail_api.post("/api/auth/verify-email", {"token": token})
    assert assert_error(again, 400, "validation_error")["fields"]["token"]
    forged = await mail_api.post("/api/auth/verify-email", {"token": "x" * 43})
    assert assert_error(forged, 400, "validation_error")["fields"]["token"]
    # Verified: asking for a new link is a conflict.
    resent = await mail_api.post("/api/auth/verify-email/resend", token=account.access)
    assert_error(resent, 409, "conflict")


async def test_a_new_verification_link_replaces_the_old_one(mail_api: ApiClient, mailbox: Mailbox):
    account = await mail_api.register()
    [first] = await mailbox.wait_for(account.email, settle=settle(mail_api))
    resent = await mail_api.post("/api/auth/verify-email/resend", token=account.access)
    assert resent.status == 202 and resent.body == b""
    second = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    old = await mail_api.post("/api/auth/verify-email", {"token": link_in(first, "/verify-email")})
    assert_error(old, 400, "validation_error")
    new = await mail_api.post("/api/auth/verify-email", {"token": link_in(second, "/verify-email")})
    assert new.status == 204


async def test_a_forgotten_password_is_reset_once_and_every_login_ends(
    mail_api: ApiClient, mailbox: Mailbox
):
    account = await mail_api.register()
    await mailbox.wait_for(account.email, settle=settle(mail_api))
    socket = await Socket.connect(mail_api.base_url, token=account.access)
    unknown = await mail_api.post("/api/auth/password/forgot", {"email": "nobody@example.com"})
    assert unknown.status == 202 and unknown.body == b""
    asked = await mail_api.post("/api/auth/password/forgot", {"email": account.email.upper()})
    assert asked.status == 202 and asked.body == b""
    reset_email = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    assert reset_email["Subject"] == "Reset your Hypee password"
    assert mailbox.to("nobody@example.com") == []
    token = link_in(reset_email, "/reset-password")
    short = await mail_api.post("/api/auth/password/reset", {"token": token, "password": "short"})
    assert assert_error(short, 400, "validation_error")["fields"]["password"]
    done = await mail_api.post(
        "/api/auth/password/reset", {"token": token, "password": NEW_PASSWORD}
    )
    assert done.status == 204
    assert await socket.closed() == 4401
    refused = await mail_api.post("/api/auth/refresh", {"refresh": account.refresh})
    assert_error(refused, 401, "unauthorized")
    again = await mail_api.post(
        "/api/auth/password/reset", {"token": token, "password": "yet another one"}
    )
    assert assert_error(again, 400, "validation_error")["fields"]["token"]
    old = {"email": account.email, "password": PASSWORD}
    assert_error(await mail_api.post("/api/auth/login", old), 401, "unauthorized")
    new = {"email": account.email, "password": NEW_PASSWORD}
    login = await mail_api.post("/api/auth/login", new)
    assert login.status == 200
    assert login.json["user"]["email_verified"] is True  # the link proved the address
    changed = (await mailbox.wait_for(account.email, 3, settle=settle(mail_api)))[2]
    assert changed["Subject"] == "Your Hypee password was changed"


async def test_a_reset_link_is_void_once_the_password_changed(
    mail_api: ApiClient, mailbox: Mailbox
):
    account = await mail_api.register()
    await mail_api.post("/api/auth/password/forgot", {"email": account.email})
    reset_email = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    changed = await mail_api.post(
        "/api/me/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD},
        token=account.access,
    )
    assert changed.status == 204
    late = await mail_api.post(
        "/api/auth/password/reset",
        {"token": link_in(reset_email, "/reset-password"), "password": "yet another one"},
    )
    assert_error(late, 400, "validation_error")


async def test_changing_the_password_ends_the_other_logins_only(
    mail_api: ApiClient, mailbox: Mailbox
):
    account = await mail_api.register()
    other = (
        await mail_api.post("/api/auth/login", {"email": account.email, "password": PASSWORD})
    ).json
    here = await Socket.connect(mail_api.base_url, token=account.access)
    there = await Socket.connect(mail_api.base_url, token=other["access"])
    wrong = await mail_api.post(
        "/api/me/password",
        {"current_password": "not it at all", "password": NEW_PASSWORD},
        token=account.access,
    )
    assert assert_error(wrong, 400, "validation_error")["fields"]["current_password"]
    changed = await mail_api.post(
        "/api/me/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD},
        token=account.access,
    )
    assert changed.status == 204
    assert await there.closed() == 4401
    await here.silent()
    assert (await mail_api.post("/api/auth/refresh", {"refresh": account.refresh})).status == 200
    refused = await mail_api.post("/api/auth/refresh", {"refresh": other["refresh"]})
    assert_error(refused, 401, "unauthorized")
    notice = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    assert notice["Subject"] == "Your Hypee password was changed"


async def test_a_new_address_counts_once_its_link_is_used(mail_api: ApiClient, mailbox: Mailbox):
    account = await mail_api.register()
    taken = await mail_api.register()
    await verify(mail_api, mailbox, account)
    wrong = await mail_api.post(
        "/api/me/email", {"password": "nope nope", "email": "new@example.com"}, token=account.access
    )
    assert assert_error(wrong, 400, "validation_error")["fields"]["password"]
    conflict = await mail_api.post(
        "/api/me/email", {"password": PASSWORD, "email": taken.email}, token=account.access
    )
    assert_error(conflict, 409, "conflict")
    bad = await mail_api.post(
        "/api/me/email", {"password": PASSWORD, "email": "not an address"}, token=account.access
    )
    assert assert_error(bad, 400, "validation_error")["fields"]["email"]
    asked = await mail_api.post(
        "/api/me/email", {"password": PASSWORD, "email": "New@Example.com"}, token=account.access
    )
    assert asked.status == 202
    [link] = await mailbox.wait_for("new@example.com", settle=settle(mail_api))
    notice = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    assert "new@example.com" in text_of(notice)
    me = (await mail_api.get("/api/me", token=account.access)).json
    assert me["email"] == account.email  # not yet
    used = await mail_api.post("/api/auth/verify-email", {"token": link_in(link, "/verify-email")})
    assert used.status == 204
    me = (await mail_api.get("/api/me", token=account.access)).json
    assert (me["email"], me["email_verified"]) == ("new@example.com", True)
    login = {"email": "new@example.com", "password": PASSWORD}
    assert (await mail_api.post("/api/auth/login", login)).status == 200


async def test_an_unverified_address_may_read_and_reply_but_not_reach_out(
    start_server, mailbox: Mailbox
):
    api = await start_server(smtp_url=mailbox.url, require_verified_email=True)
    mentor = await api.register(role="mentor")
    await verify(api, mailbox, mentor)
    mentee = await api.register()
    question = {"title": QUESTION_TITLE, "body": "Where do I begin?", "tags": ["oss"]}
    refused = await api.post("/api/questions/", question, token=mentee.access)
    error = assert_error(refused, 403, "email_unverified")
    assert "Verify your email address" in error["message"]
    opened = await api.post(
        "/api/conversations/", {"participant_ids": [mentor.id]}, token=mentee.access
    )
    assert_error(opened, 403, "email_unverified")
    assert (await api.get("/api/questions/", token=mentee.access)).status == 200
    # The mentor (verified) writes first: the mentee may reply.
    conversation = (
        await api.post("/api/conversations/", {"participant_ids": [mentee.id]}, token=mentor.access)
    ).json
    reply = await api.post(
        f"/api/conversations/{conversation['id']}/messages/",
        {"client_id": "r1", "body": "Thanks!"},
        token=mentee.access,
    )
    assert reply.status == 201
    await verify(api, mailbox, mentee)
    assert (await api.post("/api/questions/", question, token=mentee.access)).status == 201


async def test_reset_requests_are_rate_limited_per_address(mail_api: ApiClient):
    account = await mail_api.register()
    answers = [
        (await mail_api.post("/api/auth/password/forgot", {"email": account.email})).status
        for _ in range(6)
    ]
    assert answers == [202] * 5 + [429]


async def test_embedded_mode_writes_emails_to_the_data_folder(start_server, tmp_path, caplog):
    caplog.set_level(logging.INFO, "hypee.mail")
    api = await start_server()
    account = await api.register()
    await api.server.services.due_work.settled()  # type: ignore[attr-defined]
    folder = tmp_path / "data" / "mail"
    [eml] = list(folder.glob("*.eml"))
    content = eml.read_text()
    assert f"To: {account.email}" in content and "/verify-email?token=" in content
    assert any(
        r.getMessage() == "email written" and getattr(r, "to", None) == account.email
        for r in caplog.records
    )


async def test_links_expire(mail_api: ApiClient, mailbox: Mailbox):
    account = await mail_api.register()
    [verification] = await mailbox.wait_for(account.email, settle=settle(mail_api))
    await mail_api.post("/api/auth/password/forgot", {"email": account.email})
    reset = (await mailbox.wait_for(account.email, 2, settle=settle(mail_api)))[1]
    clock.advance(3601)  # a reset link lives an hour
    late = await mail_api.post(
        "/api/auth/password/reset",
        {"token": link_in(reset, "/reset-password"), "password": NEW_PASSWORD},
    )
    assert assert_error(late, 400, "validation_error")["fields"]["token"]
    clock.advance(48 * 3600)  # a verification link 48 hours
    late = await mail_api.post(
        "/api/auth/verify-email", {"token": link_in(verification, "/verify-email")}
    )
    assert assert_error(late, 400, "validation_error")["fields"]["token"]
