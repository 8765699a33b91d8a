"""The long-lived objects one server process shares between its handlers, and their lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.errors import PyMongoError

from config import Settings
from hypee.auth import PasswordService, TokenService
from hypee.db import Store, connect_mongo, open_embedded
from hypee.errors import rate_limited
from hypee.health import Health
from hypee.metrics import Metrics
from hypee.ratelimit import RateLimiter, SharedRateLimiter
from hypee.realtime.bridge import RedisBridge
from hypee.realtime.hub import Hub
from hypee.storage import Storage, open_storage
from models import conversations, uploads
from models.indexes import all_indexes

log = logging.getLogger("hypee.services")

HEALTH_INTERVAL_SECONDS = 15
INDEX_RETRY_SECONDS = 5


class Inflight:
    """Counts requests being answered, so shutdown can wait for them to finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count <= 0:
            self.count = 0
            self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no request is in flight; False if `seconds` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


Limiter = RateLimiter | SharedRateLimiter


@dataclass
class AuthLimits:
    """Brute-force limits on login and registration."""

    login_failures_by_email: Limiter
    attempts_by_ip: Limiter


@dataclass
class Services:
    """Everything handlers reach through `self.services`."""

    settings: Settings
    store: Store
    tokens: TokenService
    passwords: PasswordService
    auth_limits: AuthLimits
    metrics: Metrics
    health: Health
    hub: Hub
    storage: Storage
    send_limiter: Limiter | None
    bridge: RedisBridge | None = None
    inflight: Inflight = field(default_factory=Inflight)
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def db(self) -> Any:
        """The database handle models take."""
        return self.store.db

    async def check_send_rate(self, user_id: ObjectId) -> None:
        """Count one message sent by `user_id`; 429 `rate_limited` past HYPEE_SEND_RATE_PER_10S."""
        if self.send_limiter is None:
            return
        wait = await self.send_limiter.hit(str(user_id))
        if wait is not None:
            raise rate_limited(wait, "Too many messages; slow down.")

    def spawn(self, coroutine: Awaitable[None], name: str) -> None:
        """Run a background task until the services stop."""
        self.tasks.append(asyncio.ensure_future(coroutine))
        self.tasks[-1].set_name(name)


async def _every(seconds: float, action: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await action()
        except Exception:
            log.exception("periodic task failed", extra={"task": what})


async def _ensure_indexes(store: Store) -> None:
    while True:
        try:
            await store.ensure_indexes(all_indexes())
            return
        except PyMongoError as exc:
            log.warning("index creation failed; retrying", extra={"error": repr(exc)})
            await asyncio.sleep(INDEX_RETRY_SECONDS)


def _limiter(bridge: RedisBridge | None, name: str, limit: int, window: float) -> Limiter:
    if bridge is None:
        return RateLimiter(limit, window)
    return SharedRateLimiter(bridge.redis, name, limit, window, lambda: bridge.connected)


async def start_services(settings: Settings) -> Services:
    """Open the stores and start the background tasks of one server process."""
    if settings.embedded_store:
        store = open_embedded(settings.mongo_db, settings.data_dir)
    else:
        store = connect_mongo(
            settings.mongo_uri or "", settings.mongo_db, settings.mongo_timeout_ms
        )
    metrics = Metrics()
    storage = open_storage(settings)
    hub = Hub()
    bridge = RedisBridge(settings.redis_url, hub) if settings.redis_url else None
    hub.on_presence = functools.partial(conversations.announce_presence, store.db, hub)
    metrics.websocket_connections.set_function(lambda: hub.connection_count)
    services = Services(
        settings=settings,
        store=store,
        tokens=TokenService(settings.jwt_secret, settings.access_token_seconds),
        passwords=PasswordService(settings.argon2_time_cost, settings.argon2_memory_kib),
        auth_limits=AuthLimits(
            login_failures_by_email=_limiter(
                bridge, "login-failures", settings.login_failures_per_min, 60
            ),
            attempts_by_ip=_limiter(bridge, "auth-ip", settings.auth_attempts_per_ip_per_min, 60),
        ),
        metrics=metrics,
        health=Health(
            {
                "mongo": store.ping,
                "storage": storage.check,
                "redis": bridge.ping if bridge else None,
            },
            metrics,
        ),
        hub=hub,
        storage=storage,
        send_limiter=_limiter(bridge, "send", settings.send_rate_per_10s, 10)
        if settings.send_rate_per_10s
        else None,
        bridge=bridge,
    )
    if bridge is not None:
        await bridge.start()
    try:
        await asyncio.wait_for(store.ensure_indexes(all_indexes()), 10)
    except (PyMongoError, TimeoutError) as exc:
        log.warning("MongoDB not reachable at start; will keep trying", extra={"error": repr(exc)})
        services.spawn(_ensure_indexes(store), "ensure-indexes")
    try:
        await storage.prepare()
    except Exception as exc:  # storage down at start: the rest of the service still works
        log.warning("attachment storage not ready", extra={"error": repr(exc)})

    async def purge() -> None:
        await uploads.purge_expired(store.db, storage)

    services.spawn(_every(settings.upload_purge_seconds, purge, "upload purge"), "upload-purge")
    if store.snapshot is not None:
        services.spawn(
            _every(settings.snapshot_seconds, store.save_snapshot, "snapshot"), "snapshot"
        )
    services.spawn(_every(HEALTH_INTERVAL_SECONDS, services.health.check_all, "health"), "health")
    return services


async def stop_services(services: Services) -> None:
    """Stop background tasks, write the embedded snapshot and close every client."""
    for task in services.tasks:
        task.cancel()
    for task in services.tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    services.tasks.clear()
    await services.hub.stop()
    if services.bridge is not None:
        await services.bridge.stop()
    await services.store.close()
    services.passwords.close()
    services.storage.close()
