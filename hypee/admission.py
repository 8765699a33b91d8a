"""Admission of sends: load shedding for the process, and each sender's rate.

A process accepts at most `capacity` sends at a time. Past that, a send is refused at once
with 503 `busy` and `Retry-After`, before it reads or writes anything, so a refusal costs
almost nothing: under overload the sends admitted stay fast, every client hears back within
moments, and sockets keep reading (and answering pings) instead of queueing work no one will
wait for. Within capacity, each sender is held to its own rate (429 `rate_limited`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter

from hypee.errors import ApiError, rate_limited
from hypee.ratelimit import Limiter

log = logging.getLogger("hypee.admission")

BUSY_RETRY_SECONDS = 1
LOG_INTERVAL_SECONDS = 10.0


def busy() -> ApiError:
    """A 503 that asks the client to retry the same request (same client id) shortly."""
    return ApiError(
        "busy",
        "The server is busy; send again in a moment.",
        retry_after=BUSY_RETRY_SECONDS,
    )


class SendAdmission:
    """Decides whether a send may start. Invariant: `in_flight` ≤ `capacity` (0: no cap)."""

    def __init__(self, capacity: int, rate: Limiter | None, shed: Counter) -> None:
        self.capacity = capacity
        self.rate = rate
        self.shed = shed
        self.in_flight = 0
        self._shed_since_log = 0
        self._logged_at = float("-inf")

    def check_room(self) -> None:
        """Raise `busy` if no send slot is free (a cheap early refusal; `slot` still decides)."""
        if self.capacity and self.in_flight >= self.capacity:
            self._refused()
            raise busy()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the process's send slots for the block; raise `busy` if none is free."""
        self.check_room()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def check_rate(self, sender_id: str) -> None:
        """Count one send of `sender_id`; raise `rate_limited` past its rate."""
        if self.rate is None:
            return
        wait = await self.rate.hit(sender_id)
        if wait is not None:
            raise rate_limited(wait, "Too many messages; slow down.")

    def _refused(self) -> None:
        self.shed.inc()
        self._shed_since_log += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_INTERVAL_SECONDS:
            log.warning(
                "shedding load: sends refused with busy",
                extra={"refused": self._shed_since_log, "capacity": self.capacity},
            )
            self._logged_at = now
            self._shed_since_log = 0
