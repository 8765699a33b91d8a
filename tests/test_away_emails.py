"""Reaching people away by email: missed messages after a delay, forum answers, quiet hours,
digests at 08:00 local time, settings and one-click unsubscribe. Time moves with the clock
(hypee/clock.py), never by sleeping; emails arrive at a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hypee import clock
from models import migrations
from tests.client import ApiClient, Socket
from tests.helpers import PROFILE, answer, ask, assert_error, open_direct, send
from tests.mailbox import Mailbox, link_in, settle, text_of, verify

DELAY = 120


async def edit(api: ApiClient, account, cid: str, seq: int, body: str) -> None:
    response = await api.patch(
        f"/api/conversations/{cid}/messages/{seq}/", {"body": body}, token=account.access
    )
    assert response.status == 200, response


async def later(api: ApiClient, seconds: float) -> None:
    clock.advance(seconds)
    await settle(api)()


async def test_missed_messages_make_one_email_with_what_is_unread_then(
    mail_api: ApiClient, mailbox: Mailbox
):
    alice, bob = await mail_api.register("Alice"), await mail_api.register("Bob")
    await verify(mail_api, mailbox, bob)
    cid = (await open_direct(mail_api, alice, bob))["id"]
    for number in range(1, 6):
        assert (await send(mail_api, alice, cid, f"message {number}")).status == 201
    await edit(mail_api, alice, cid, 2, "message 2, edited")
    deleted = await mail_api.delete(f"/api/conversations/{cid}/messages/4/", token=alice.access)
    assert deleted.status == 204
    await later(mail_api, DELAY - 5)
    assert len(mailbox.to(bob.email)) == 1  # the verification only: not yet
    await later(mail_api, 10)
    [_, missed] = await mailbox.wait_for(bob.email, 2, settle=settle(mail_api))
    assert missed["Subject"] == "Alice: 4 unread messages on Hypee"
    text = text_of(missed)
    assert "message 2, edited" in text and "message 4" not in text
    assert "http://hypee.test/chat/" + cid in text
    assert missed["List-Unsubscribe"].startswith("<http://hypee.test/api/unsubscribe/")
    assert missed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # More messages before Bob reads: no second email.
    await send(mail_api, alice, cid, "message 6")
    await later(mail_api, DELAY * 3)
    assert len(mailbox.to(bob.email)) == 2
    # Bob reads; a new run of messages is emailed again.
    read = await mail_api.post(f"/api/conversations/{cid}/read", {"seq": 6}, token=bob.access)
    assert read.status == 204
    await send(mail_api, alice, cid, "message 7")
    await later(mail_api, DELAY + 1)
    third = (await mailbox.wait_for(bob.email, 3, settle=settle(mail_api)))[2]
    assert "message 7" in text_of(third) and "message 6" not in text_of(third)


async def test_emails_speak_the_language_the_person_chose(mail_api: ApiClient, mailbox: Mailbox):
    alice, zoe = await mail_api.register("Alice"), await mail_api.register("Zoé")
    await verify(mail_api, mailbox, zoe)
    await mail_api.put("/api/me/notification-settings", {"language": "fr"}, token=zoe.access)
    cid = (await open_direct(mail_api, alice, zoe))["id"]
    await send(mail_api, alice, cid, "bonjour !")
    await later(mail_api, DELAY + 1)
    missed = (await mailbox.wait_for(zoe.email, 2, settle=settle(mail_api)))[1]
    assert missed["Subject"] == "Alice : 1 message non lu sur Hypee"
    assert "Bonjour Zoé," in text_of(missed) and "Répondre" in text_of(missed)


async def test_nothing_is_emailed_when_the_messages_were_read_in_time(
    mail_api: ApiClient, mailbox: Mailbox
):
    alice, bob = await mail_api.register("Alice"), await mail_api.register("Bob")
    await verify(mail_api, mailbox, bob)
    cid = (await open_direct(mail_api, alice, bob))["id"]
    await send(mail_api, alice, cid, "are you there?")
    await later(mail_api, 30)
    await mail_api.post(f"/api/conversations/{cid}/read", {"seq": 1}, token=bob.access)
    await later(mail_api, DELAY * 2)
    assert len(mailbox.to(bob.email)) == 1  # the verification only


async def test_someone_connected_gets_no_missed_message_email(
    mail_api: ApiClient, mailbox: Mailbox
):
    alice, bob = await mail_api.register("Alice"), await mail_api.register("Bob")
    await verify(mail_api, mailbox, bob)
    socket = await Socket.connect(mail_api.base_url, token=bob.access)
    cid = (await open_direct(mail_api, alice, bob))["id"]
    await send(mail_api, alice, cid, "hello")
    await later(mail_api, DELAY * 2)
    assert len(mailbox.to(bob.email)) == 1
    socket.close()


async def test_a_group_email_names_the_group(mail_api: ApiClient, mailbox: Mailbox):
    alice, bob, cat = [await mail_api.register(n) for n in ("Alice", "Bob", "Cat")]
    await verify(mail_api, mailbox, bob)
    group = await mail_api.post(
        "/api/conversations/",
        {"participant_ids": [bob.id, cat.id], "title": "Study group"},
        token=alice.access,
    )
    cid = group.json["id"]
    await send(mail_api, alice, cid, "first meeting on Monday")
    await later(mail_api, DELAY + 1)
    missed = (await mailbox.wait_for(bob.email, 2, settle=settle(mail_api)))[1]
    assert missed["Subject"].startswith("Study group:")
    assert "Alice" in text_of(missed) and "first meeting on Monday" in text_of(missed)


async def test_forum_emails_and_one_click_unsubscribe(mail_api: ApiClient, mailbox: Mailbox):
    asker, helper = await mail_api.register("Asker"), await mail_api.register("Helper")
    await verify(mail_api, mailbox, asker)
    await verify(mail_api, mailbox, helper)
    question = await ask(mail_api, asker, title="How do I <learn> Rust?")
    given = await answer(mail_api, helper, question["id"], body="Read the book, then build.")
    [_, answered] = await mailbox.wait_for(asker.email, 2, settle=settle(mail_api))
    assert answered["Subject"] == 'New answer to "How do I <learn> Rust?"'
    assert "Read the book, then build." in text_of(answered)
    accepted = await mail_api.post(f"/api/answers/{given['id']}/accept", token=asker.access)
    assert accepted.status == 200
    [_, accepted_email] = await mailbox.wait_for(helper.email, 2, settle=settle(mail_api))
    assert accepted_email["Subject"] == "Your answer was accepted"
    # One click (RFC 8058): a POST to the List-Unsubscribe URL, no sign-in.
    url = answered["List-Unsubscribe"].strip("<>").removeprefix("http://hypee.test")
    done = await mail_api.post(
        url,
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status == 200 and done.json == {"topic": "forum"}
    settings = (await mail_api.get("/api/me/notification-settings", token=asker.access)).json
    assert settings["email"] == {"messages": True, "forum": False, "mentorship": True}
    await answer(mail_api, helper, question["id"], body="And do the exercises.")
    await settle(mail_api)()
    assert len(mailbox.to(asker.email)) == 2
    forged = await mail_api.post("/api/unsubscribe/not-a-token")
    assert assert_error(forged, 400, "validation_error")["fields"]["token"]


async def quiet_now(api: ApiClient, account) -> None:
    """Quiet hours for `account` from a minute ago to two hours from now (UTC)."""
    now = clock.now()
    start = (now - timedelta(minutes=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    saved = await api.put(
        "/api/me/notification-settings",
        {"quiet_hours": {"start": start, "end": end}, "time_zone": "UTC"},
        token=account.access,
    )
    assert saved.status == 200 and saved.json["quiet_hours"] == {"start": start, "end": end}


async def test_quiet_hours_hold_emails_and_send_them_as_one_when_they_end(
    mail_api: ApiClient, mailbox: Mailbox
):
    alice, bob, cat = [await mail_api.register(n) for n in ("Alice", "Bob", "Cat")]
    await verify(mail_api, mailbox, bob)
    await quiet_now(mail_api, bob)
    for sender in (alice, cat):
        cid = (await open_direct(mail_api, sender, bob))["id"]
        await send(mail_api, sender, cid, f"hi from {sender.user['display_name']}")
    await later(mail_api, DELAY + 60)
    assert len(mailbox.to(bob.email)) == 1  # held
    await later(mail_api, 2 * 3600)
    [_, held] = await mailbox.wait_for(bob.email, 2, settle=settle(mail_api))
    assert held["Subject"] == "Unread messages in 2 conversations on Hypee"
    assert "hi from Alice" in text_of(held) and "hi from Cat" in text_of(held)
    await later(mail_api, 3600)
    assert len(mailbox.to(bob.email)) == 2


async def test_forum_emails_held_by_quiet_hours_join_the_missed_messages(
    mail_api: ApiClient, mailbox: Mailbox
):
    alice, bob = await mail_api.register("Alice"), await mail_api.register("Bob")
    await verify(mail_api, mailbox, bob)
    question = await ask(mail_api, bob, title="Which language first?")
    await quiet_now(mail_api, bob)
    await answer(mail_api, alice, question["id"], body="Python, then whatever you need.")
    await answer(mail_api, alice, question["id"], body="Or JavaScript for the web.")
    cid = (await open_direct(mail_api, alice, bob))["id"]
    await send(mail_api, alice, cid, "did you see my answers?")
    await later(mail_api, DELAY + 60)
    assert len(mailbox.to(bob.email)) == 1  # held
    await later(mail_api, 2 * 3600)
    [_, held] = await mailbox.wait_for(bob.email, 2, settle=settle(mail_api))
    assert held["Subject"] == "While you were away on Hypee"
    text = text_of(held)
    assert "did you see my answers?" in text
    assert 'Alice answered "Which language first?": Python, then whatever you need.' in text
    assert "Or JavaScript for the web." in text
    assert "/api/unsubscribe/" in held["List-Unsubscribe"]
    await later(mail_api, 3600)
    assert len(mailbox.to(bob.email)) == 2


async def test_settings_validate_every_field(mail_api: ApiClient):
    account = await mail_api.register()
    defaults = (await mail_api.get("/api/me/notification-settings", token=account.access)).json
    assert defaults == {
        "email": {"messages": True, "forum": True, "mentorship": True},
        "push": {"messages": True, "forum": True, "mentorship": True},
        "digest": "weekly",
        "quiet_hours": None,
        "time_zone": "UTC",
        "language": "en",
    }
    for body, field in (
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22h", "end": "07:00"}}, "quiet_hours"),
        ({"digest": "hourly"}, "digest"),
        ({"language": "de"}, "language"),
        ({"email": {"messages": "yes", "forum": True}}, "email"),
    ):
        refused = await mail_api.put("/api/me/notification-settings", body, token=account.access)
        assert field in assert_error(refused, 400, "validation_error")["fields"], body
    changed = await mail_api.put(
        "/api/me/notification-settings",
        {"time_zone": "Europe/Paris", "language": "fr", "digest": "daily"},
        token=account.access,
    )
    assert changed.json == {
        **defaults,
        "time_zone": "Europe/Paris",
        "language": "fr",
        "digest": "daily",
    }
    # A client that knows only messages and forum leaves the mentorship setting as it was.
    off = {"messages": True, "forum": True, "mentorship": False}
    await mail_api.put("/api/me/notification-settings", {"email": off}, token=account.access)
    older = {"email": {"messages": False, "forum": True}}
    kept = await mail_api.put("/api/me/notification-settings", older, token=account.access)
    assert kept.json["email"] == {"messages": False, "forum": True, "mentorship": False}


async def digest_at(api: ApiClient, mailbox: Mailbox, account, zone: str, moment: datetime):
    """Move the clock to `moment`, set a daily digest in `zone`; the next digest's due time."""
    clock.reset()
    clock.advance((moment - clock.now()).total_seconds())
    saved = await api.put(
        "/api/me/notification-settings",
        {"time_zone": zone, "digest": "daily"},
        token=account.access,
    )
    assert saved.status == 200


@pytest.mark.parametrize(
    "zone, moment, due_utc",
    [
        # The night before Europe springs forward (29 March 2026): 08:00 is 06:00 UTC.
        ("Europe/Paris", datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0)),
        (
            "America/New_York",
            datetime(2026, 12, 7, 20, 0, tzinfo=UTC),
            datetime(2026, 12, 8, 13, 0),
        ),
    ],
)
async def test_a_daily_digest_leaves_at_eight_local_once_and_only_with_news(
    mail_api: ApiClient, mailbox: Mailbox, zone: str, moment: datetime, due_utc: datetime
):
    alice, bob = await mail_api.register("Alice"), await mail_api.register("Bob")
    await verify(mail_api, mailbox, bob)
    await digest_at(mail_api, mailbox, bob, zone, moment)
    cid = (await open_direct(mail_api, alice, bob))["id"]
    await send(mail_api, alice, cid, "when are you free?")
    await mail_api.put(  # no missed-message email in this test: only the digest
        "/api/me/notification-settings",
        {"email": {"messages": False, "forum": True}},
        token=bob.access,
    )
    due = due_utc.replace(tzinfo=UTC)
    await later(mail_api, (due - clock.now()).total_seconds() - 60)
    assert len(mailbox.to(bob.email)) == 1  # one minute before: nothing
    await later(mail_api, 61)
    [_, digest] = await mailbox.wait_for(bob.email, 2, settle=settle(mail_api))
    assert digest["Subject"] == "Your daily Hypee digest"
    assert "Alice" in text_of(digest) and "1 unread" in text_of(digest)
    assert "/api/unsubscribe/" in digest["List-Unsubscribe"]
    # Restarting nothing, running the loop again: still one for this period.
    await later(mail_api, 3600)
    assert len(mailbox.to(bob.email)) == 2
    # The next day, with nothing unread any more: no email.
    await mail_api.post(f"/api/conversations/{cid}/read", {"seq": 1}, token=bob.access)
    await later(mail_api, 24 * 3600)
    assert len(mailbox.to(bob.email)) == 2
    link_in(digest, "/unsubscribe")  # the footer's link to the page


async def test_accounts_from_before_digests_get_the_default_one(mail_api: ApiClient):
    account = await mail_api.register()
    db = mail_api.server.services.db  # type: ignore[attr-defined]
    await db["jobs"].delete_many({"kind": "digest"})  # as before digests existed
    await migrations.run(db)
    job = await db["jobs"].find_one({"key": f"digest:{account.id}"})
    assert job is not None and job["kind"] == "digest"
    assert job["due_at"].weekday() == 0 and job["due_at"].hour == 8  # Monday 08:00 UTC


async def test_a_mentors_digest_lists_open_questions_in_their_specialties(
    mail_api: ApiClient, mailbox: Mailbox
):
    mentor, mentee = await mail_api.register("Mentor"), await mail_api.register("Mentee")
    await verify(mail_api, mailbox, mentor)
    listed = await mail_api.put("/api/me/mentor-profile", PROFILE, token=mentor.access)
    assert listed.status == 200
    await digest_at(mail_api, mailbox, mentor, "UTC", datetime(2026, 12, 7, 20, 0, tzinfo=UTC))
    await ask(mail_api, mentee, title="Is Python good for a first job?", tags=["python"])
    await ask(mail_api, mentee, title="Which camera should I buy?", tags=["photography"])
    await later(mail_api, (datetime(2026, 12, 8, 8, 0, tzinfo=UTC) - clock.now()).total_seconds())
    [_, digest] = await mailbox.wait_for(mentor.email, 2, settle=settle(mail_api))
    text = text_of(digest)
    assert "Open questions in your specialties" in text
    assert "Is Python good for a first job?" in text and "camera" not in text
