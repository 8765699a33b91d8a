"""Component health: each backing service answers a quick check, or it is reported down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hypee.metrics import Metrics

log = logging.getLogger("hypee.health")

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 2.0


class Health:
    """Runs the checks of the components in use; a component without a check is "disabled".

    A check that returns a string reports it as the component's state ("read-only: disk full");
    one that raises is "down"; anything else is "ok".
    """

    def __init__(self, checks: dict[str, Check | None], metrics: Metrics) -> None:
        self.checks = checks
        self.metrics = metrics
        self.last: dict[str, str] = {}

    async def _status(self, name: str, check: Check | None) -> str:
        if check is None:
            return "disabled"
        try:
            result = await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        except Exception as exc:  # any failure of a backing service means "down"
            log.warning("component down", extra={"component": name, "error": repr(exc)})
            return "down"
        return result if isinstance(result, str) else "ok"

    async def check_all(self) -> dict[str, str]:
        """{component: "ok" | "down" | "disabled" | what is wrong}, checked concurrently now."""
        names = list(self.checks)
        statuses = await asyncio.gather(*(self._status(n, self.checks[n]) for n in names))
        self.last = dict(zip(names, statuses, strict=True))
        for name, status in self.last.items():
            if status != "disabled":
                self.metrics.component_up.labels(name).set(1 if status == "ok" else 0)
        return self.last
