"""Group membership and titles: each change is a system message, in order, for every member;
someone removed gets nothing more from the conversation."""

from __future__ import annotations

from handlers import frames
from tests.client import BACKGROUND, Account, ApiClient, Socket
from tests.helpers import assert_error, history, open_direct, send


async def open_group(api: ApiClient, creator: Account, *others: Account, title: str = "Team"):
    response = await api.post(
        "/api/conversations/",
        {"participant_ids": [o.id for o in others], "title": title},
        token=creator.access,
    )
    assert response.status == 201, response
    return response.json["id"]


async def system_events(api: ApiClient, account: Account, cid: str) -> list[tuple[str, list]]:
    page = await history(api, account, cid, after=0, limit=100)
    return [
        (m["event"]["type"], m["event"].get("user_ids") or [m["event"].get("title")])
        for m in page["results"]
        if m["kind"] == "system"
    ]


async def test_add_leave_remove_and_rename_are_system_messages_in_order(api: ApiClient):
    names = ("Ann", "Ben", "Cat", "Dan", "Eve")
    ann, ben, cat, dan, eve = [await api.register(name) for name in names]
    cid = await open_group(api, ann, ben, eve)
    sockets = {p.id: await Socket.connect(api.base_url, token=p.access) for p in (ann, ben)}
    dan_socket = await Socket.connect(api.base_url, token=dan.access)

    await send(api, ben, cid, "hello")
    added = await api.post(
        f"/api/conversations/{cid}/members/",
        {"user_ids": [cat.id, dan.id, ben.id]},
        token=ben.access,
    )
    assert added.status == 200
    assert {p["id"] for p in added.json["participants"]} == {ann.id, ben.id, cat.id, dan.id, eve.id}
    # Dan is told about the conversation, then gets the system message like everyone.
    told = await dan_socket.expect("conversation", skip=(*BACKGROUND, "message"))
    assert told["conversation"]["id"] == cid
    renamed = await api.patch(
        f"/api/conversations/{cid}/", {"title": "Study group"}, token=cat.access
    )
    assert renamed.status == 200 and renamed.json["title"] == "Study group"
    assert (
        await api.delete(f"/api/conversations/{cid}/members/{dan.id}/", token=dan.access)
    ).status == 204
    assert (
        await api.delete(f"/api/conversations/{cid}/members/{cat.id}/", token=ann.access)
    ).status == 204

    expected = [
        ("members_added", [cat.id, dan.id]),
        ("renamed", ["Study group"]),
        ("member_left", [dan.id]),
        ("member_removed", [cat.id]),
    ]
    for member in (ann, ben):
        assert await system_events(api, member, cid) == expected
        socket = sockets[member.id]
        frames = [await socket.expect("message") for _ in range(5)]
        seen = [f["message"] for f in frames if f["message"]["kind"] == "system"]
        assert [m["event"]["type"] for m in seen] == [e[0] for e in expected]
        assert [m["seq"] for m in seen] == sorted(m["seq"] for m in seen)
    page = await history(api, ann, cid, after=0)
    bodies = [m["body"] for m in page["results"]]
    assert bodies == [
        "hello",
        "Ben added Cat and Dan",
        "Cat renamed the group to Study group",
        "Dan left",
        "Ann removed Cat",
    ]
    view = (await api.get(f"/api/conversations/{cid}/", token=ann.access)).json
    assert view["title"] == "Study group" and set(view["read_marks"]) == {ann.id, ben.id, eve.id}
    for socket in (*sockets.values(), dan_socket):
        socket.close()


async def test_someone_removed_gets_nothing_more(api: ApiClient, monkeypatch):
    monkeypatch.setattr(frames, "TYPING_INTERVAL_SECONDS", 0.0)  # every typing frame counts
    ann, ben, cat = [await api.register(name) for name in ("Ann", "Ben", "Cat")]
    cid = await open_group(api, ann, ben, cat)
    cat_everything = await Socket.connect(api.base_url, token=cat.access)
    cat_chat = await Socket.connect(api.base_url, f"/ws/chat/{cid}/", token=cat.access)
    ann_socket = await Socket.connect(api.base_url, token=ann.access)
    await ann_socket.send({"type": "typing", "conversation_id": cid})  # Ann's socket knows Cat
    assert (await cat_everything.expect("typing"))["user_id"] == ann.id

    assert (
        await api.delete(f"/api/conversations/{cid}/members/{cat.id}/", token=ann.access)
    ).status == 204
    removal = await cat_everything.expect("message")
    assert removal["message"]["event"] == {"type": "member_removed", "user_ids": [cat.id]}
    assert await cat_chat.closed() == 4404

    await send(api, ann, cid, "after Cat left")
    await ann_socket.send({"type": "typing", "conversation_id": cid})
    await api.post(f"/api/conversations/{cid}/read", {"seq": 2}, token=ben.access)
    await cat_everything.silent(timeout=0.5, skip=("presence", "notification"))
    for path in ("", "messages/", "changes/"):
        assert_error(
            await api.get(f"/api/conversations/{cid}/{path}", token=cat.access), 404, "not_found"
        )
    assert_error(await send(api, cat, cid, "let me in"), 404, "not_found")
    await cat_everything.send({"type": "typing", "conversation_id": cid})
    assert (await cat_everything.expect("error"))["code"] == "not_found"
    inbox = (await api.get("/api/conversations/", token=cat.access)).json["results"]
    assert cid not in [c["id"] for c in inbox]
    for socket in (cat_everything, ann_socket):
        socket.close()


async def test_who_may_change_a_group(api: ApiClient):
    ann, ben, cat = [await api.register(name) for name in ("Ann", "Ben", "Cat")]
    cid = await open_group(api, ann, ben, cat)
    # Only the creator removes others; anyone leaves; strangers see nothing.
    refused = await api.delete(f"/api/conversations/{cid}/members/{cat.id}/", token=ben.access)
    assert_error(refused, 403, "forbidden")
    stranger = await api.register("Stranger")
    for response in (
        await api.post(
            f"/api/conversations/{cid}/members/", {"user_ids": [stranger.id]}, token=stranger.access
        ),
        await api.patch(f"/api/conversations/{cid}/", {"title": "Mine"}, token=stranger.access),
        await api.delete(f"/api/conversations/{cid}/members/{ann.id}/", token=stranger.access),
    ):
        assert_error(response, 404, "not_found")
    missing = await api.delete(f"/api/conversations/{cid}/members/{stranger.id}/", token=ann.access)
    assert_error(missing, 404, "not_found")
    unknown = "0" * 24
    bad = await api.post(
        f"/api/conversations/{cid}/members/", {"user_ids": [unknown]}, token=ann.access
    )
    assert_error(bad, 400, "validation_error")
    # System messages are nobody's to edit or delete.
    await api.patch(f"/api/conversations/{cid}/", {"title": "New name"}, token=ben.access)
    seq = (await history(api, ben, cid))["results"][-1]["seq"]
    path = f"/api/conversations/{cid}/messages/{seq}/"
    assert_error(await api.patch(path, {"body": "x"}, token=ben.access), 403, "forbidden")
    assert_error(await api.delete(path, token=ben.access), 403, "forbidden")
    # Adding someone already in changes nothing.
    again = await api.post(
        f"/api/conversations/{cid}/members/", {"user_ids": [ben.id]}, token=ann.access
    )
    assert again.status == 200
    assert [e[0] for e in await system_events(api, ann, cid)] == ["renamed"]


async def test_direct_conversations_refuse_membership_changes_and_titles(api: ApiClient):
    ann, ben, cat = [await api.register(name) for name in ("Ann", "Ben", "Cat")]
    cid = (await open_direct(api, ann, ben))["id"]
    for response in (
        await api.post(
            f"/api/conversations/{cid}/members/", {"user_ids": [cat.id]}, token=ann.access
        ),
        await api.delete(f"/api/conversations/{cid}/members/{ben.id}/", token=ann.access),
        await api.delete(f"/api/conversations/{cid}/members/{ann.id}/", token=ann.access),
        await api.patch(f"/api/conversations/{cid}/", {"title": "Us"}, token=ann.access),
    ):
        assert_error(response, 400, "validation_error")


async def test_someone_added_sees_the_history_and_is_notified(api: ApiClient):
    ann, ben, cat, eve = [await api.register(name) for name in ("Ann", "Ben", "Cat", "Eve")]
    cid = await open_group(api, ann, ben, eve)
    await send(api, ann, cid, "before Cat")
    await api.post(f"/api/conversations/{cid}/members/", {"user_ids": [cat.id]}, token=ann.access)
    messages = (await history(api, cat, cid))["results"]
    assert [m["body"] for m in messages] == ["before Cat", "Ann added Cat"]
    view = (await api.get(f"/api/conversations/{cid}/", token=cat.access)).json
    assert view["unread_count"] == 1  # the announcement
    notes = (await api.get("/api/notifications/", token=cat.access)).json["results"]
    assert notes[0]["kind"] == "new_conversation" and notes[0]["data"]["conversation_id"] == cid
