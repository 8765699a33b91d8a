"""JSON with the API's conventions: UTF-8, ISO 8601 UTC timestamps with Z, string ids."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from hypee import clock


def utcnow() -> datetime:
    """The current UTC time truncated to milliseconds, the precision MongoDB stores
    (hypee/clock.py: tests may move it)."""
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; MongoDB hands back naive datetimes that are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, e.g. 2026-11-27T10:07:58.123Z."""
    # isoformat is several times faster than strftime, and views format many dates (the
    # directory two per mentor); stored dates are aware UTC already, and then only the
    # offset's text changes.
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


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


class LoneSurrogate(ValueError):
    """A JSON string held a lone surrogate (`\\ud800`): valid JSON, but not Unicode text."""

    def __init__(self, path: str) -> None:
        super().__init__(f"lone surrogate at {path}")
        self.path = path


_SURROGATE = re.compile("[\ud800-\udfff]")


def _find_surrogate(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if not value.isascii() and _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if not key.isascii() and _SURROGATE.search(key):
                return path or "_body"
            found = _find_surrogate(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found = _find_surrogate(item, f"{path}.{number}" if path else str(number))
            if found is not None:
                return found
    return None


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly: no NaN or Infinity; raises ValueError on anything malformed, and
    LoneSurrogate (naming where) on text that cannot be Unicode."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    found = _find_surrogate(value, "")
    if found is not None:
        raise LoneSurrogate(found)
    return value
