"""Units of work and what runs once they commit.

`async with store.atomic() as unit:` opens a unit; `unit.on_commit(callback)` registers work
that must leave the process only once the unit's changes are durable: a socket frame, a
notification pushed, later an email or a push. Callbacks run after the commit, once, in the
order they were registered, and never when the unit rolls back (its block raised, or the
commit failed). A unit opened inside another is part of it: its callbacks wait for the
outermost commit. A callback that fails is logged and the others still run: the change is
committed, and the caller's answer says so.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("hypee.units")

AfterCommit = Callable[[], Awaitable[object] | object]


class NoUnit(RuntimeError):
    """`current_unit()` was called outside any unit of work (a bug in the caller)."""


class UnitOfWork:
    """The work registered to run once a unit has committed."""

    def __init__(self) -> None:
        self._after_commit: list[AfterCommit] = []

    def on_commit(self, callback: AfterCommit) -> None:
        """Run `callback` (a function, or one returning an awaitable) once committed."""
        self._after_commit.append(callback)

    async def committed(self) -> None:
        """The unit committed: run its callbacks, in order (each once)."""
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("after-commit work failed", extra={"callback": repr(callback)})


_CURRENT: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "hypee_unit_of_work", default=None
)


def current_unit() -> UnitOfWork:
    """The unit of work this code runs in; NoUnit outside one."""
    unit = _CURRENT.get()
    if unit is None:
        raise NoUnit("no unit of work is open here: wrap the change in `store.atomic()`")
    return unit


def open_unit() -> tuple[UnitOfWork, bool, contextvars.Token[UnitOfWork | None] | None]:
    """(the unit to work in, whether it is new (outermost), the token to close it with)."""
    outer = _CURRENT.get()
    if outer is not None:
        return outer, False, None
    unit = UnitOfWork()
    return unit, True, _CURRENT.set(unit)


def close_unit(token: contextvars.Token[UnitOfWork | None] | None) -> None:
    if token is not None:
        _CURRENT.reset(token)
