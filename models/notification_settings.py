"""How and when a person wants to be reached while away: kept on their `users` document.

Stored under `notify`; what is not stored takes its default (DEFAULTS), so accounts from
before these settings behave as if they had chosen the defaults. Times are local to the
person's IANA time zone; everything stored is UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any, TypedDict

from marshmallow import Schema, ValidationError, fields, validate

from hypee.fields import StrictBoolean

DIGEST_FREQUENCIES = ("daily", "weekly", "off")
LANGUAGES = ("en", "fr")
# The local time digests leave at, and the weekday of weekly ones (Monday).
DIGEST_AT = time(8, 0)
DIGEST_WEEKDAY = 0
UNSUBSCRIBABLE = ("messages", "forum", "mentorship", "digest")


class QuietHours(TypedDict):
    start: str  # "HH:MM", local
    end: str


class NotificationSettings(TypedDict):
    """A person's settings, every field present (the API's view and the stored shape)."""

    email: dict[str, bool]  # {messages, forum, mentorship}
    push: dict[str, bool]  # {messages, forum, mentorship}
    digest: str  # one of DIGEST_FREQUENCIES
    quiet_hours: QuietHours | None
    time_zone: str  # IANA name
    language: str  # of emails


DEFAULTS: NotificationSettings = {
    "email": {"messages": True, "forum": True, "mentorship": True},
    "push": {"messages": True, "forum": True, "mentorship": True},
    "digest": "weekly",
    "quiet_hours": None,
    "time_zone": "UTC",
    "language": "en",
}


class TimeZoneField(fields.String):
    """An IANA time zone name that zoneinfo knows ("Europe/Paris")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError("Not a known IANA time zone (e.g. Europe/Paris).") from None
        return name


TIME_ZONE_NAME = r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$"
LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class LocalTime(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=True,
            validate=validate.Regexp(LOCAL_TIME, error="Must be a time as HH:MM (00:00-23:59)."),
            metadata={"description": "Local time, HH:MM.", "pattern": LOCAL_TIME},
            **kwargs,
        )


class QuietHoursSchema(Schema):
    start = LocalTime()
    end = LocalTime()


class ChannelSchema(Schema):
    messages = StrictBoolean(required=True)
    forum = StrictBoolean(required=True)
    mentorship = StrictBoolean(
        metadata={
            "description": "Requests and their answers, sessions, their invitations and "
            "reminders (omitted in a PUT: unchanged)."
        }
    )


class ChannelViewSchema(Schema):
    messages = fields.Boolean(required=True)
    forum = fields.Boolean(required=True)
    mentorship = fields.Boolean(required=True)


class NotificationSettingsSchema(Schema):
    """GET and PUT /api/me/notification-settings (PUT takes any subset)."""

    email = fields.Nested(ChannelSchema, metadata={"description": "Emails, per kind."})
    push = fields.Nested(ChannelSchema, metadata={"description": "Web pushes, per kind."})
    digest = fields.String(validate=validate.OneOf(DIGEST_FREQUENCIES))
    quiet_hours = fields.Nested(
        QuietHoursSchema,
        allow_none=True,
        metadata={
            "description": "No email or push leaves between these local times (held, then "
            "sent together when they end); null: none. start after end spans midnight."
        },
    )
    time_zone = TimeZoneField(
        validate=validate.Length(1, 64),
        metadata={
            "description": "An IANA time zone name (Europe/Paris, America/New_York, UTC); "
            "names the IANA database does not know are 400.",
            "pattern": TIME_ZONE_NAME,
        },
    )
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class NotificationSettingsViewSchema(Schema):
    """What GET and PUT answer: every setting, defaults filled in."""

    email = fields.Nested(ChannelViewSchema, required=True)
    push = fields.Nested(ChannelViewSchema, required=True)
    digest = fields.String(required=True, validate=validate.OneOf(DIGEST_FREQUENCIES))
    quiet_hours = fields.Nested(QuietHoursSchema, required=True, allow_none=True)
    time_zone = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


def of(user: dict[str, Any]) -> NotificationSettings:
    """The user's settings: stored ones over the defaults."""
    stored = user.get("notify") or {}
    merged: Any = {**DEFAULTS, **stored}
    merged["email"] = {**DEFAULTS["email"], **stored.get("email", {})}
    merged["push"] = {**DEFAULTS["push"], **stored.get("push", {})}
    settings: NotificationSettings = merged
    return settings


def changed(user: dict[str, Any], changes: dict[str, Any]) -> NotificationSettings:
    """The user's settings with loaded NotificationSettingsSchema `changes` applied."""
    current = of(user)
    merged: NotificationSettings = {**current, **changes}  # type: ignore[typeddict-item]
    for channel in ("email", "push"):  # a kind left out of a channel keeps its setting
        if channel in changes:
            merged[channel] = {**current[channel], **changes[channel]}
    return merged


def wants(settings: NotificationSettings, channel: str, kind: str) -> bool:
    """Whether `kind` ("messages", "forum" or "mentorship") may go out on `channel` ("email",
    "push")."""
    return bool(settings[channel].get(kind, True))  # type: ignore[literal-required]


def zone_of(settings: NotificationSettings) -> zoneinfo.ZoneInfo:
    """The person's time zone."""
    return zoneinfo.ZoneInfo(settings["time_zone"])


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _local_at(day: datetime, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """`day`'s date at the local time `at` in `zone`, as an aware datetime (a time skipped by
    a daylight-saving change lands just after it)."""
    naive = datetime.combine(day.date(), at)
    moment = naive.replace(tzinfo=zone)
    # Round trip through UTC: a nonexistent local time (spring forward) moves forward.
    return moment.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


def quiet_until(settings: NotificationSettings, now: datetime) -> datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None when it is not in them."""
    quiet = settings["quiet_hours"]
    if not quiet:
        return None
    zone = zone_of(settings)
    local = now.astimezone(zone)
    start, end = _clock_time(quiet["start"]), _clock_time(quiet["end"])
    at = local.time().replace(second=0, microsecond=0)
    if start == end:
        return None
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    end_day = local if (start < end or at < end) else local + timedelta(days=1)
    return _local_at(end_day, end, zone).astimezone(now.tzinfo)


def next_digest(settings: NotificationSettings, now: datetime) -> datetime | None:
    """The next time a digest leaves after `now` (08:00 local, Mondays for weekly ones), or
    None when the digest is off."""
    frequency = settings["digest"]
    if frequency == "off":
        return None
    zone = zone_of(settings)
    local = now.astimezone(zone)
    for days in range(0, 9):
        day = local + timedelta(days=days)
        if frequency == "weekly" and day.weekday() != DIGEST_WEEKDAY:
            continue
        candidate = _local_at(day, DIGEST_AT, zone)
        if candidate > local:
            return candidate.astimezone(now.tzinfo)
    raise AssertionError("a digest day is always within 8 days")
