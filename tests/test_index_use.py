"""Every declared index serves a query: a server does a bit of everything, then the embedded
engine says which index answered each query (and its TTL sweep which ones it used)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from hypee.jsonio import utcnow
from models import jobs, users
from models.indexes import all_indexes
from services.integrity import IntegrityService
from tests.client import ApiClient
from tests.helpers import PROFILE, answer, ask, open_direct, send


async def test_every_declared_index_answers_some_query(api: ApiClient):
    services = api.server.services
    if services.store.embedded_db is None:
        pytest.skip("the embedded engine reports index use; MongoDB has its own explain()")
    alice, bob = await api.register("Alice"), await api.register("Bob")
    await api.put("/api/me/mentor-profile", PROFILE, token=bob.access)
    await api.post("/api/auth/login", {"email": bob.email, "password": bob.password})
    await api.post("/api/auth/refresh", {"refresh": alice.refresh})
    for query in (
        "",
        "?sort=newest",
        "?sort=points",
        "?country=FR",
        "?specialty=python",
        "?language=fr",
        "?q=backend",
    ):
        assert (await api.get(f"/api/mentors/{query}")).status == 200

    cid = (await open_direct(api, alice, bob))["id"]
    await send(api, alice, cid, "hello")
    await api.get(f"/api/conversations/{cid}/messages/", token=bob.access)
    await api.get(f"/api/conversations/{cid}/changes/?after_rev=0", token=bob.access)
    await api.get("/api/conversations/", token=bob.access)
    await api.get("/api/notifications/", token=bob.access)
    await api.get("/api/notifications/?unread=true", token=bob.access)

    question = await ask(api, alice, tags=["python"])
    reply = await answer(api, bob, question["id"])
    await api.post(f"/api/answers/{reply['id']}/vote", {"value": 1}, token=alice.access)
    for query in ("?sort=votes", "?sort=active", "?tag=python", f"?author={alice.id}", "?q=open"):
        assert (await api.get(f"/api/questions/{query}")).status == 200
    await api.get(f"/api/questions/{question['id']}/")
    await api.get(f"/api/users/{bob.id}/points")
    await api.delete(f"/api/answers/{reply['id']}/", token=bob.access)

    # Account links, a password change, a push subscription, due work, --check.
    await api.post("/api/auth/verify-email", {"token": "not-a-token"})
    await api.post(
        "/api/me/password",
        {"current_password": alice.password, "password": "another password"},
        token=alice.access,
    )
    keys = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}
    subscription = {"endpoint": "https://push.example/x", "keys": keys}
    await api.post("/api/push/subscriptions", subscription, token=bob.access)
    await jobs.claim_more(services.db, ObjectId(), jobs.MISSED_MESSAGES, ObjectId(alice.id))
    await IntegrityService(services.store, services.attachments).run(False)
    # Expired uploads and sessions: the cleanup task and the TTL sweep.
    long_ago = utcnow() - timedelta(days=40)
    await services.db.uploads.insert_one(
        {"_id": ObjectId(), "key": "u/x/y/z", "state": "pending", "expires_at": long_ago}
    )
    await services.attachments.purge_expired()
    await services.db.sessions.update_many({}, {"$set": {"expires_at": long_ago}})
    await services.store.expire()

    # Safety: a block, a report and its case decided, the audit log, an export and a deletion.
    carol = await api.register("Carol")
    await api.put(f"/api/me/blocks/{carol.id}", token=bob.access)
    await api.get("/api/me/blocks/", token=bob.access)
    for _ in range(2):  # the second answers the open report
        await api.post(
            "/api/reports/",
            {"target": {"kind": "question", "id": question["id"]}, "reason": "spam"},
            token=carol.access,
        )
    await services.moderation.set_role(None, ObjectId(bob.id), "moderator", True, "index use")
    for status in ("open", "closed"):
        await api.get(f"/api/moderation/reports/?status={status}", token=bob.access)
    action = {"action": "dismiss", "target": {"kind": "question", "id": question["id"]}}
    await api.post("/api/moderation/actions/", {**action, "reason": "x"}, token=bob.access)
    await api.get("/api/moderation/audit/", token=bob.access)
    # Mentorship: a request, its answer, a booking, a review, expiry, slots, the directory's
    # responsive order, and an export of it all.
    dan = await api.register("Dan")
    asked = await api.post(
        "/api/mentorships/", {"mentor_id": bob.id, "goals": ["x"]}, token=dan.access
    )
    mid = asked.json["id"]
    again = await api.post(
        "/api/mentorships/", {"mentor_id": bob.id, "goals": ["x"]}, token=dan.access
    )
    assert again.json["error"]["mentorship_id"] == mid
    await api.get("/api/mentorships/?role=mentor&state=pending", token=bob.access)
    await api.get("/api/mentorships/?role=mentee", token=dan.access)
    await api.get("/api/mentorships/", token=dan.access)
    await api.post(f"/api/mentorships/{mid}/accept", token=bob.access)
    hours = {"time_zone": "UTC", "weekly": [{"weekday": 0, "start": "09:00", "end": "10:00"}]}
    await api.put("/api/me/availability", hours, token=bob.access)
    start = "2030-01-07T09:00:00Z"
    await api.get(f"/api/mentors/{bob.id}/slots/?from=2030-01-06T00:00:00Z&to=2030-01-08T00:00:00Z")
    booked = await api.post(
        f"/api/mentorships/{mid}/sessions/", {"start": start, "minutes": 30}, token=dan.access
    )
    assert booked.status == 201, booked
    await api.post(f"/api/mentorships/{mid}/complete", token=dan.access)
    review = {"rating": 5, "text": "great"}
    await api.put(f"/api/mentorships/{mid}/review", review, token=dan.access)
    await api.get(f"/api/mentors/{bob.id}/reviews/")
    await api.get("/api/mentors/?sort=responsive")
    await api.get("/api/mentors/?available=true")
    await services.exports.collect(await users.get_user(services.db, ObjectId(dan.id)))
    await services.exports.collect(await users.get_user(services.db, ObjectId(alice.id)))
    await api.request("DELETE", "/api/me", {"password": carol.password}, token=carol.access)

    used = set(services.db.index_uses)
    declared = {
        f"{collection}.{index.document['name']}"
        for collection, indexes in all_indexes().items()
        for index in indexes
    }
    assert declared - used == set()
