"""Units of work and what runs once they commit.

`async with store.atomic() as unit:` opens a unit; `unit.on_commit(callback)` registers work
that must leave the process only once the unit's changes are durable: a socket frame, a
notification pushed, later an email or a push. Callbacks run after the commit, once, in the
order they were registered, and never when the unit rolls back (its block raised, or the
commit failed). A unit opened inside another is part of it: its callbacks wait for the
outermost commit. A callback that fails is logged and the others still run: the change is
committed, and the caller's answer says so.

A MongoDB transaction can be rolled back by the server for a passing reason (another
transaction wrote the same documents, an election): the error is labelled
TransientTransactionError and nothing of the unit was kept. A service operation marked
`@retry_transient` then runs again, whole, as PyMongo's `with_transaction` would; the last
failure reaches the caller as 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from pymongo.errors import PyMongoError

log = logging.getLogger("hypee.units")

P = ParamSpec("P")
T = TypeVar("T")

# How many times an operation runs when its transaction keeps being rolled back.
TRANSIENT_ATTEMPTS = 4

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


def unit_in_progress() -> UnitOfWork | None:
    """The unit of work this code runs in, or None outside one."""
    return _CURRENT.get()


def open_unit() -> tuple[UnitOfWork, contextvars.Token[UnitOfWork | None] | None]:
    """(the unit to work in, the token to close it with: None when the unit is an outer one,
    which this code runs inside)."""
    outer = _CURRENT.get()
    if outer is not None:
        return outer, None
    unit = UnitOfWork()
    return unit, _CURRENT.set(unit)


def close_unit(token: contextvars.Token[UnitOfWork | None] | None) -> None:
    if token is not None:
        _CURRENT.reset(token)


def is_transient(error: BaseException | None) -> bool:
    """A rolled-back transaction that may succeed when run again."""
    return isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError")


def retry_transient(operation: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run `operation` (a service operation that opens the outermost unit of work) again when
    its unit was rolled back by a transient transaction error, up to TRANSIENT_ATTEMPTS times
    with a short jittered pause. Inside another unit it does not retry: the error rolls back
    the outer unit, whose operation retries."""

    @functools.wraps(operation)
    async def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 1
        while True:
            try:
                return await operation(*args, **kwargs)
            except PyMongoError as error:
                nested = _CURRENT.get() is not None
                if nested or attempt >= TRANSIENT_ATTEMPTS or not is_transient(error):
                    raise
                log.info(
                    "transaction rolled back by the server, running it again",
                    extra={"operation": operation.__qualname__, "attempt": attempt},
                )
            await asyncio.sleep(random.uniform(0, 0.01 * attempt))
            attempt += 1

    return retried
