"""What the email about one notification says: the template context of its kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import notification_settings
from models.notifications import NotificationDocument
from services.mail import Mailer

MESSAGE_KINDS = ("new_message", "new_conversation")
MENTORSHIP_KINDS = ("mentorship", "session")


def topic_of(kind: str) -> str:
    """The setting (email and push, per kind) a notification of `kind` answers to."""
    if kind in MESSAGE_KINDS:
        return "messages"
    if kind in MENTORSHIP_KINDS:
        return "mentorship"
    return "forum"


def context(
    mailer: Mailer,
    notification: NotificationDocument,
    excerpt: str,
    settings: notification_settings.NotificationSettings,
) -> dict[str, Any]:
    """The context of the email `notification["kind"]` for its recipient."""
    if notification["kind"] in MENTORSHIP_KINDS:
        return mentorship_context(mailer, notification["data"], settings)
    data = notification["data"]
    return {
        "author": data.get("actor_name", ""),
        "question": data.get("question_title", ""),
        "excerpt": excerpt[:600] + ("…" if len(excerpt) > 600 else ""),
        "link": mailer.link(f"/questions/{data['question_id']}"),
    }


def local_time(moment: datetime, settings: notification_settings.NotificationSettings) -> str:
    """`moment` in the person's time zone, and its name: "2027-03-28 10:00 (Europe/Paris)"."""
    zone = notification_settings.zone_of(settings)
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} ({settings['time_zone']})"


def mentorship_context(
    mailer: Mailer, data: dict[str, Any], settings: notification_settings.NotificationSettings
) -> dict[str, Any]:
    """A mentorship or session notification's email: what happened, who did it, when the
    session is (in the recipient's zone), and the mentors suggested after an expiry."""
    start = data.get("start")
    return {
        "event": data["event"],
        "actor": data.get("actor_name", ""),
        "reason": data.get("reason", ""),
        "when": local_time(datetime.fromisoformat(start), settings) if start else "",
        "minutes": data.get("minutes", 0),
        "link": mailer.link(f"/mentorships/{data['mentorship_id']}"),
        "suggestions": [
            {**s, "link": mailer.link(f"/mentors/{s['id']}")} for s in data.get("suggestions", [])
        ],
    }
