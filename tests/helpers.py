"""What the test modules share: error assertions, and the REST steps most tests take."""

from __future__ import annotations

from urllib.parse import urlencode

from bson import ObjectId

from tests.client import Account, ApiClient, Response

# A mentor profile every directory test can start from.
PROFILE = {
    "headline": "Backend engineer",
    "bio": "I help people learn to build reliable services.",
    "country": "FR",
    "specialties": ["Python", "Career change"],
    "languages": ["fr", "en"],
    "years_experience": 8,
    "available": True,
}
QUESTION_TITLE = "How do I start contributing to open source?"


def assert_error(response: Response, status: int, code: str) -> dict:
    """Assert `response` is the documented JSON error; returns its `error` object."""
    assert response.status == status, response
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def open_direct(api: ApiClient, a: Account, b: Account, **extra) -> dict:
    """The direct conversation of `a` and `b`, opened by `a`."""
    response = await api.post(
        "/api/conversations/", {"participant_ids": [b.id], **extra}, token=a.access
    )
    assert response.status in (200, 201), response
    return response.json


async def send(
    api: ApiClient, account: Account, conversation_id: str, body: str, client_id: str | None = None
) -> Response:
    """POST a message (a fresh client id unless given)."""
    return await api.post(
        f"/api/conversations/{conversation_id}/messages/",
        {"client_id": client_id or str(ObjectId()), "body": body},
        token=account.access,
    )


async def history(api: ApiClient, account: Account, conversation_id: str, **params) -> dict:
    """One page of a conversation's messages."""
    query = urlencode(params)
    response = await api.get(
        f"/api/conversations/{conversation_id}/messages/?{query}", token=account.access
    )
    assert response.status == 200, response
    return response.json


async def ask(
    api: ApiClient,
    account: Account,
    title: str = QUESTION_TITLE,
    body: str = "Any advice welcome.",
    tags: list[str] | None = None,
) -> dict:
    """Ask a question; returns it."""
    response = await api.post(
        "/api/questions/", {"title": title, "body": body, "tags": tags or []}, token=account.access
    )
    assert response.status == 201, response
    return response.json


async def answer(
    api: ApiClient, account: Account, question_id: str, body: str = "Start small."
) -> dict:
    """Answer a question; returns the answer."""
    response = await api.post(
        "/api/answers/", {"question_id": question_id, "body": body}, token=account.access
    )
    assert response.status == 201, response
    return response.json
