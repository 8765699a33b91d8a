"""The one source of "now" for scheduled work: UTC, and movable by tests.

Due times (missed-message emails, digests, retries, quiet hours) are compared with `now()`.
Tests call `advance()` to move time forward instead of sleeping; nothing else may change it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_offset = timedelta()


def now() -> datetime:
    """The current UTC time (plus whatever tests advanced), truncated to milliseconds, the
    precision MongoDB stores."""
    moment = datetime.now(UTC) + _offset
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def monotonic() -> float:
    """Seconds on a clock that never goes back (plus whatever tests advanced): for ages."""
    return time.monotonic() + _offset.total_seconds()


def advance(seconds: float) -> None:
    """Move time forward by `seconds` (tests only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    """Back to the real time (tests only)."""
    global _offset
    _offset = timedelta()
