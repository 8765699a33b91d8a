"""JSON with the API's conventions: UTF-8, ISO 8601 UTC timestamps with Z, string ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId


def utcnow() -> datetime:
    """The current UTC time truncated to milliseconds, the precision MongoDB stores."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; MongoDB hands back naive datetimes that are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, e.g. 2026-11-27T10:07:58.123Z."""
    # isoformat is several times faster than strftime, and views format many dates.
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, ObjectId):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Compact JSON text; non-ASCII characters are kept as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly: no NaN or Infinity; raises ValueError on anything malformed."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
