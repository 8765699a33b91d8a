"""The due-work loop of each process: runs scheduled jobs that came due, then delivers the
outbox's emails and pushes.

Every process runs one. Work is claimed with a lease (hypee/leases.py), so with several
processes each item is done by one of them, and after a crash it is picked up again once the
lease runs out. The loop wakes when a unit of work that queued something commits here, and
otherwise every HYPEE_DUE_WORK_POLL_SECONDS (work queued by other processes, retries, jobs
coming due). Time comes from hypee/clock.py, so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bson import ObjectId
from pymongo.errors import PyMongoError

from hypee import clock
from hypee.db import Store
from hypee.embedded.documents import UndecodableDocument
from hypee.embedded.engine import StoreUnavailable
from hypee.leases import backoff_seconds
from hypee.mail.transport import DeliveryFailed
from hypee.metrics import Metrics
from models import jobs, outbox

log = logging.getLogger("hypee.delivery")

Deliver = Callable[[outbox.OutboxDocument], Awaitable[None]]
RunJob = Callable[[jobs.JobDocument, ObjectId], Awaitable[None]]


class DueWork:
    """Runs due jobs (by kind) and delivers due outbox entries (by channel)."""

    def __init__(
        self, store: Store, metrics: Metrics, poll_seconds: float, retry_seconds: float
    ) -> None:
        self.store = store
        self.db = store.db
        self.metrics = metrics
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.owner = ObjectId()  # this process, as the holder of leases
        self.deliverers: dict[outbox.Channel, Deliver] = {}
        self.failing: set[outbox.Channel] = set()  # whose last delivery failed
        self.job_runners: dict[str, RunJob] = {}
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False

    def deliver_with(self, channel: outbox.Channel, deliver: Deliver) -> None:
        self.deliverers[channel] = deliver

    def run_jobs_with(self, kind: str, run: RunJob) -> None:
        self.job_runners[kind] = run

    def status(self, channel: outbox.Channel) -> str:
        """For /readyz: "failing" while the channel's last delivery failed, else "ok"."""
        return "failing" if channel in self.failing else "ok"

    def wake(self) -> None:
        """Look for due work now (a unit that queued some committed)."""
        self._idle.clear()
        self._wakeup.set()

    async def run(self) -> None:
        """Until cancelled: do what is due, then sleep until woken or the next poll."""
        store_down = False
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self.drain()
                store_down = False
            except (PyMongoError, StoreUnavailable, UndecodableDocument) as error:
                if not store_down:  # the store says so in /readyz; say it here once
                    log.warning("due work waits for the store", extra={"error": repr(error)})
                store_down = True
            except Exception:
                log.exception("due work failed; trying again at the next poll")
            if self._wakeup.is_set() and not self._stopping and not store_down:
                continue  # woken while draining: what woke it may not have been seen yet
            self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)

    def stop(self) -> None:
        """Finish the item in hand, then return from `run` (a write is never cut off
        halfway: the store closes after)."""
        self._stopping = True
        self._wakeup.set()

    async def settled(self) -> None:
        """Wait until the loop has done everything due (tests, after moving the clock)."""
        self.wake()
        await self._idle.wait()

    async def drain(self) -> None:
        """Run every due job, then deliver every due outbox entry."""
        while not self._stopping and await self._run_one_job():
            pass
        for channel in self.deliverers:
            while not self._stopping and await self._deliver_one(channel):
                pass

    async def _run_one_job(self) -> bool:
        job = await jobs.claim(self.db, self.owner)
        if job is None:
            return False
        runner = self.job_runners.get(job["kind"])
        try:
            if runner is None:
                raise LookupError(f"no runner for jobs of kind {job['kind']!r}")
            await runner(job, self.owner)
        except Exception as error:
            log.exception("scheduled job failed", extra={"job": job["key"]})
            delay = backoff_seconds(job.get("attempts", 1), self.retry_seconds)
            await jobs.move(self.db, job, clock.now() + timedelta(seconds=delay), repr(error))
        return True

    async def _attempt(self, channel: outbox.Channel, entry: outbox.OutboxDocument) -> None:
        """Deliver `entry`; an unexpected error counts as a passing failure (retried with
        backoff, given up after a day) rather than a lease left to run out again and again."""
        try:
            await self.deliverers[channel](entry)
        except DeliveryFailed:
            raise
        except (PyMongoError, StoreUnavailable, UndecodableDocument):
            raise  # the store: the loop waits for it (the lease brings the entry back)
        except Exception as error:
            log.exception("delivery raised", extra={"channel": channel, "id": str(entry["_id"])})
            raise DeliveryFailed(f"{type(error).__name__}: {error}", transient=True) from error

    async def _deliver_one(self, channel: outbox.Channel) -> bool:
        entry = await outbox.claim(self.db, channel, self.owner)
        if entry is None:
            return False
        counter = self.metrics.outbox_deliveries
        try:
            await self._attempt(channel, entry)
        except DeliveryFailed as failure:
            self.failing.add(channel)
            if failure.transient and await outbox.retry_later(
                self.db, entry, backoff_seconds(entry["attempts"], self.retry_seconds), str(failure)
            ):
                counter.labels(channel, "retried").inc()
                log.warning(
                    "delivery failed; will retry",
                    extra={"channel": channel, "id": str(entry["_id"]), "error": str(failure)},
                )
            else:
                if not failure.transient:
                    await outbox.mark_failed(self.db, entry, str(failure))
                counter.labels(channel, "failed").inc()
                log.error(
                    "delivery failed for good",
                    extra={"channel": channel, "id": str(entry["_id"]), "error": str(failure)},
                )
            return True
        self.failing.discard(channel)
        await outbox.mark_sent(self.db, entry)
        counter.labels(channel, "sent").inc()
        return True
