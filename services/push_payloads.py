"""What a web push says about a notification: a title, a short text, where a click leads, and
a tag (one per conversation or question, so a newer push replaces the older one)."""

from __future__ import annotations

import json
from typing import Any

from models.notifications import NotificationDocument

MAX_PAYLOAD_BYTES = 3000  # under the 4 KB push services accept, after encryption overhead
BODY_CHARACTERS = 140

TITLES = {
    "en": {
        "new_message": "{actor}",
        "new_conversation": "{actor} wrote to you",
        "new_answer": "{actor} answered “{question}”",
        "answer_accepted": "{actor} accepted your answer",
    },
    "fr": {
        "new_message": "{actor}",
        "new_conversation": "{actor} vous a écrit",
        "new_answer": "{actor} a répondu à « {question} »",
        "answer_accepted": "{actor} a accepté votre réponse",
    },
}
NEW_MESSAGE = {"en": "New message", "fr": "Nouveau message"}
# Mentorship and session notifications, by `data.event`.
EVENT_TITLES = {
    "en": {
        "requested": "{actor} asked you to be their mentor",
        "accepted": "{actor} accepted your mentorship request",
        "declined": "{actor} declined your mentorship request",
        "withdrawn": "{actor} withdrew their request",
        "expired": "Your request to {actor} expired",
        "completed": "{actor} completed your mentorship",
        "ended": "{actor} ended your mentorship",
        "reviewed": "{actor} reviewed your mentorship",
        "review_answered": "{actor} answered your review",
        "booked": "{actor} booked a session",
        "rescheduled": "{actor} moved your session",
        "cancelled": "{actor} cancelled your session",
        "reminder": "Session with {actor} soon",
    },
    "fr": {
        "requested": "{actor} vous demande d'être son mentor",
        "accepted": "{actor} a accepté votre demande de mentorat",
        "declined": "{actor} a décliné votre demande de mentorat",
        "withdrawn": "{actor} a retiré sa demande",
        "expired": "Votre demande à {actor} a expiré",
        "completed": "{actor} a terminé votre mentorat",
        "ended": "{actor} a mis fin à votre mentorat",
        "reviewed": "{actor} a laissé un avis sur votre mentorat",
        "review_answered": "{actor} a répondu à votre avis",
        "booked": "{actor} a réservé une séance",
        "rescheduled": "{actor} a déplacé votre séance",
        "cancelled": "{actor} a annulé votre séance",
        "reminder": "Séance avec {actor} bientôt",
    },
}


def push_payload(notification: NotificationDocument, language: str) -> dict[str, Any]:
    """The JSON the service worker shows (web/public/sw.js), under MAX_PAYLOAD_BYTES."""
    data = notification["data"]
    kind = notification["kind"]
    titles = TITLES.get(language, TITLES["en"])
    if "event" in data:
        titles = EVENT_TITLES.get(language, EVENT_TITLES["en"])
        kind_title = titles.get(data["event"], "{actor}")
    else:
        kind_title = titles.get(kind, "{actor}")
    title = kind_title.format(
        actor=data.get("actor_name", "Hypee"), question=data.get("question_title", "")[:80]
    )
    if "mentorship_id" in data:
        mentorship = data["mentorship_id"]
        tag, url = f"mentorship-{mentorship}", f"/mentorships/{mentorship}"
        body = data.get("reason", "")
    elif "conversation_id" in data:
        tag, url = f"conversation-{data['conversation_id']}", f"/chat/{data['conversation_id']}"
        last = data.get("last_message") or {}
        body = last.get("body") or NEW_MESSAGE.get(language, NEW_MESSAGE["en"])
    else:
        tag, url = f"question-{data.get('question_id')}", f"/questions/{data.get('question_id')}"
        body = data.get("question_title", "")
    payload = {
        "title": title[:120],
        "body": body[:BODY_CHARACTERS],
        "tag": tag,
        "url": url,
        "kind": kind,
        "notification_id": str(notification["_id"]),
    }
    assert len(json.dumps(payload).encode()) <= MAX_PAYLOAD_BYTES
    return payload


HELD = {
    "en": ("Hypee", "{count} notifications while you were away"),
    "fr": ("Hypee", "{count} notifications pendant votre absence"),
}


def held_summary(payloads: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """One push standing for several that quiet hours held: it opens the notifications."""
    title, body = HELD.get(language, HELD["en"])
    return {
        "title": title,
        "body": body.format(count=len(payloads)),
        "tag": "held",
        "url": "/notifications",
        "kind": "held",
        "notification_id": payloads[-1].get("notification_id", ""),
    }
