"""Live forum: a socket that watches a question sees others vote, answer, accept, edit and
delete within a second, and stops hearing about it once it unwatches."""

from __future__ import annotations

import time

from handlers import frames
from tests.client import ApiClient, Socket
from tests.helpers import answer, ask

LIVE = ("question_updated", "answer", "answer_updated", "answer_deleted", "question_deleted")
WITHIN = 1.0


async def next_live(socket: Socket) -> dict:
    started = time.monotonic()
    frame = await socket.expect_any(timeout=WITHIN, skip=("presence", "notification"))
    assert frame["type"] in LIVE, frame
    assert time.monotonic() - started < WITHIN
    return frame


async def test_a_watcher_sees_votes_answers_and_acceptance(api: ApiClient):
    asker, writer, voter, watcher = [
        await api.register(name) for name in ("Asker", "Writer", "Voter", "Watcher")
    ]
    question = await ask(api, asker)
    qid = question["id"]
    socket = await Socket.connect(api.base_url, token=watcher.access)
    await socket.send({"type": "watch", "question_id": qid})
    assert (await socket.expect("watching")) == {"type": "watching", "question_id": qid}

    await api.post(f"/api/questions/{qid}/vote", {"value": 1}, token=voter.access)
    frame = await next_live(socket)
    assert frame["type"] == "question_updated" and frame["question"]["score"] == 1
    assert frame["question"]["my_vote"] == 0  # a view for everyone

    reply = await answer(api, writer, qid)
    frame = await next_live(socket)
    assert frame["type"] == "answer" and frame["answer"]["id"] == reply["id"]
    frame = await next_live(socket)
    assert frame["type"] == "question_updated" and frame["question"]["answer_count"] == 1

    await api.post(f"/api/answers/{reply['id']}/vote", {"value": 1}, token=voter.access)
    frame = await next_live(socket)
    assert frame["type"] == "answer_updated" and frame["answer"]["score"] == 1

    await api.post(f"/api/answers/{reply['id']}/accept", token=asker.access)
    frame = await next_live(socket)
    assert frame["type"] == "answer_updated" and frame["answer"]["accepted"] is True
    frame = await next_live(socket)
    assert frame["question"]["accepted_answer_id"] == reply["id"]

    await api.patch(f"/api/answers/{reply['id']}/", {"body": "Better now."}, token=writer.access)
    frame = await next_live(socket)
    assert frame["type"] == "answer_updated" and frame["answer"]["body"] == "Better now."

    await api.delete(f"/api/answers/{reply['id']}/", token=writer.access)
    frame = await next_live(socket)
    assert frame == {"type": "answer_deleted", "question_id": qid, "answer_id": reply["id"]}
    frame = await next_live(socket)
    assert (
        frame["question"]["answer_count"] == 0 and frame["question"]["accepted_answer_id"] is None
    )

    await socket.send({"type": "unwatch", "question_id": qid})
    await api.post(f"/api/questions/{qid}/vote", {"value": -1}, token=voter.access)
    await socket.silent(timeout=0.5)
    socket.close()


async def test_watching_needs_a_live_question_and_is_bounded(api: ApiClient, monkeypatch):
    monkeypatch.setattr(frames, "MAX_WATCHES", 2)
    asker, watcher = await api.register("Asker"), await api.register("Watcher")
    socket = await Socket.connect(api.base_url, token=watcher.access)
    await socket.send({"type": "watch", "question_id": "0" * 24})
    assert (await socket.expect("error"))["code"] == "not_found"
    await socket.send({"type": "watch", "question_id": "nope"})
    assert (await socket.expect("error"))["code"] == "validation_error"
    question = await ask(api, asker)
    await socket.send({"type": "watch", "question_id": question["id"]})
    await socket.expect("watching")
    others = [await ask(api, asker) for _ in range(2)]
    await socket.send({"type": "watch", "question_id": others[0]["id"]})
    await socket.expect("watching")
    await socket.send({"type": "watch", "question_id": others[1]["id"]})
    assert (await socket.expect("error"))["fields"] == {
        "question_id": ["A socket watches at most 2 questions."]
    }
    await api.delete(f"/api/questions/{question['id']}/", token=asker.access)
    frame = await next_live(socket)
    assert frame == {"type": "question_deleted", "question_id": question["id"]}
    socket.close()
