"""Whether a job about a person may run now: they still exist, and it is not their quiet
hours (services/missed.py and services/digests.py start this way)."""

from __future__ import annotations

from typing import Any

from hypee import clock
from hypee.dbapi import DocumentDatabase
from models import jobs, notification_settings, users
from models.notification_settings import NotificationSettings


async def ready(
    db: DocumentDatabase, job: jobs.JobDocument
) -> tuple[dict[str, Any], NotificationSettings] | None:
    """(the person, their settings) when `job` may run now. Otherwise None, and the job is
    dealt with: removed when the account is gone, moved to the end of quiet hours."""
    user = await users.get_user(db, job["user_id"])
    if user is None:
        await jobs.done(db, job)
        return None
    settings = notification_settings.of(user)
    held_until = notification_settings.quiet_until(settings, clock.now())
    if held_until is not None:
        await jobs.move(db, job, held_until)
        return None
    return user, settings
