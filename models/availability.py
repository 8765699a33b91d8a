"""A mentor's availability: weekly hours in their own time zone, and days off.

Stored one document per mentor (`_id` is the mentor's id). Free slots are computed from it in
UTC (`free_slots`): each window yields slots starting every half hour (local time), a local
time that does not exist (the hour skipped when clocks go forward) yields none, and one that
happens twice (clocks going back) yields its first occurrence. Slots are as long as the time
that really passes, so a window that spans a change of the clocks holds one hour more or less.
"""

from __future__ import annotations

import itertools
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict, cast

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import StrictInteger, UtcDateTime
from models.notification_settings import TIME_ZONE_NAME, TimeZoneField

COLLECTION = "availability"
SLOT_STEP = timedelta(minutes=30)
SLOT_MINUTES = (30, 60)
MAX_RANGE = timedelta(days=31)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HALF_HOUR = r"^(([01][0-9]|2[0-3]):(00|30)|24:00)$"


class WeeklyHours(TypedDict):
    weekday: int  # 0 Monday ... 6 Sunday
    start: str  # local "HH:MM", on the hour or half hour
    end: str  # later the same day; "24:00" is midnight at its end


class AvailabilityDocument(TypedDict, total=False):
    _id: ObjectId  # the mentor
    time_zone: str
    weekly: list[WeeklyHours]
    days_off: list[str]  # local dates, YYYY-MM-DD
    updated_at: datetime


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class HalfHour(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=True,
            validate=validate.Regexp(
                HALF_HOUR, error="Must be a local time on the hour or half hour (HH:00 or HH:30)."
            ),
            metadata={
                "description": "Local time, HH:MM on the hour or half hour; end may be 24:00.",
                "pattern": HALF_HOUR,
            },
            **kwargs,
        )


class WeeklyHoursSchema(Schema):
    weekday = StrictInteger(
        required=True,
        validate=validate.Range(0, 6),
        metadata={"description": "0 Monday ... 6 Sunday."},
    )
    start = HalfHour()
    end = HalfHour()

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if _minutes(data["end"]) <= _minutes(data["start"]):
            raise ValidationError("Must be after start.", "end")


class AvailabilitySchema(Schema):
    """PUT and GET /api/me/availability."""

    time_zone = TimeZoneField(
        required=True,
        validate=validate.Length(1, 64),
        metadata={
            "description": "The mentor's IANA time zone; hours are local to it.",
            "pattern": TIME_ZONE_NAME,
        },
    )
    weekly = fields.List(
        fields.Nested(WeeklyHoursSchema), required=True, validate=validate.Length(0, 50)
    )
    days_off = fields.List(
        fields.Date(),
        load_default=list,
        validate=validate.Length(0, 366),
        metadata={"description": "Local dates with no slots."},
    )

    @validates_schema
    def _no_overlap(self, data: dict[str, Any], **kwargs: Any) -> None:
        overlap = overlapping(data.get("weekly", []))
        if overlap:
            raise ValidationError(overlap, "weekly")


class SlotQuerySchema(Schema):
    from_ = fields.AwareDateTime(
        data_key="from", metadata={"description": "ISO 8601 with an offset; default now."}
    )
    to = fields.AwareDateTime(
        metadata={"description": "Default 14 days after from; at most 31 days after it."}
    )
    minutes = fields.Integer(load_default=30, validate=validate.OneOf(SLOT_MINUTES))


class SlotSchema(Schema):
    start = UtcDateTime(required=True)
    end = UtcDateTime(required=True)


SlotListSchema = Schema.from_dict(
    {
        "results": fields.List(fields.Nested(SlotSchema), required=True),
        "time_zone": fields.String(required=True, metadata={"description": "The mentor's."}),
    },
    name="SlotList",
)


def overlapping(weekly: Iterable[dict[str, Any]]) -> str | None:
    """A message naming the first two windows of one weekday that overlap; None if none do."""
    by_day: dict[int, list[tuple[int, int, dict[str, Any]]]] = {}
    for window in weekly:
        by_day.setdefault(window["weekday"], []).append(
            (_minutes(window["start"]), _minutes(window["end"]), window)
        )
    for weekday, windows in sorted(by_day.items()):
        windows.sort(key=lambda w: w[:2])
        for (_, end, first), (start, _, second) in itertools.pairwise(windows):
            if start < end:
                return (
                    f"Hours overlap on {WEEKDAYS[weekday]}: {first['start']}-{first['end']} "
                    f"and {second['start']}-{second['end']}."
                )
    return None


def _availability(db: DocumentDatabase) -> DocumentCollection[AvailabilityDocument]:
    return typed(db[COLLECTION], AvailabilityDocument)


async def get(db: DocumentDatabase, mentor_id: ObjectId) -> AvailabilityDocument | None:
    found: AvailabilityDocument | None = await _availability(db).find_one({"_id": mentor_id})
    return found


async def put(
    db: DocumentDatabase, mentor_id: ObjectId, data: dict[str, Any], now: datetime
) -> AvailabilityDocument:
    """Replace the mentor's availability with loaded AvailabilitySchema `data`."""
    hours: dict[str, Any] = {
        "time_zone": data["time_zone"],
        "weekly": sorted(
            (
                {"weekday": w["weekday"], "start": w["start"], "end": w["end"]}
                for w in data["weekly"]
            ),
            key=lambda w: (w["weekday"], w["start"]),
        ),
        "days_off": sorted({d.isoformat() for d in data.get("days_off", [])}),
        "updated_at": now,
    }
    await _availability(db).update_one({"_id": mentor_id}, {"$set": hours}, upsert=True)
    return cast(AvailabilityDocument, {"_id": mentor_id, **hours})


async def forget(db: DocumentDatabase, mentor_id: ObjectId) -> None:
    """Drop the mentor's availability (the account is deleted)."""
    await _availability(db).delete_one({"_id": mentor_id})


def view(availability: AvailabilityDocument | None) -> dict[str, Any]:
    """AvailabilitySchema data (none set: UTC, no hours)."""
    if availability is None:
        return {"time_zone": "UTC", "weekly": [], "days_off": []}
    return {
        "time_zone": availability["time_zone"],
        "weekly": availability["weekly"],
        "days_off": availability.get("days_off", []),
    }


def _instant(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of the local time `minutes` after midnight on `day` (1440: the next
    midnight)."""
    local = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _exists(instant: datetime, day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether that local time happens (not in the hour skipped when clocks go forward)."""
    local = instant.astimezone(zone)
    return (local.date(), local.hour * 60 + local.minute) == (day, minutes)


def free_slots(
    availability: AvailabilityDocument | None,
    busy: list[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    minutes: int,
    now: datetime,
) -> list[tuple[datetime, datetime]]:
    """The free slots of `minutes` that start in [start, end) and after `now`, in UTC, that
    overlap nothing in `busy` (booked sessions)."""
    if availability is None or not availability["weekly"]:
        return []
    zone = zoneinfo.ZoneInfo(availability["time_zone"])
    length = timedelta(minutes=minutes)
    days_off = set(availability.get("days_off", []))
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found: set[tuple[datetime, datetime]] = set()
    day = first
    while day <= last:
        if day.isoformat() not in days_off:
            for window in availability["weekly"]:
                if window["weekday"] == day.weekday():
                    found.update(_window_slots(day, window, zone, length))
        day += timedelta(days=1)
    earliest = max(start, now)
    return sorted(
        (slot_start, slot_end)
        for slot_start, slot_end in found
        if earliest <= slot_start < end
        and not any(slot_start < b_end and b_start < slot_end for b_start, b_end in busy)
    )


def _window_slots(
    day: date, window: WeeklyHours, zone: zoneinfo.ZoneInfo, length: timedelta
) -> list[tuple[datetime, datetime]]:
    start, end = _minutes(window["start"]), _minutes(window["end"])
    window_end = _instant(day, end, zone)
    step = int(SLOT_STEP.total_seconds() // 60)
    slots = []
    for minute in range(start, end, step):
        slot_start = _instant(day, minute, zone)
        if _exists(slot_start, day, minute, zone) and slot_start + length <= window_end:
            slots.append((slot_start, slot_start + length))
    return slots
