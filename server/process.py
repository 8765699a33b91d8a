"""Running one server process: listen, serve, and shut down gracefully."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import tornado.httpserver
import tornado.netutil

from config import Settings
from handlers.body import DRAIN_LIMIT
from handlers.keepalive import Keepalive
from hypee.http_limits import READ_LIMIT, RequestLimits
from hypee.realtime.hub import CLOSE_GOING_AWAY
from server.app import make_app
from server.lifecycle import Running, start_services, stop_services
from services.container import Services

log = logging.getLogger("hypee.server")


class Server:
    """One listening server process: its services, its HTTP server and its port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: Running | None = None
        self.http: tornado.httpserver.HTTPServer | None = None
        self.port: int | None = None
        self.keepalive: Keepalive | None = None  # the sockets' ping sweep

    @property
    def services(self) -> Services:
        """The running services (after `start`)."""
        assert self.running is not None
        return self.running.services

    async def start(self) -> int:
        """Open the stores and listen; returns the port (useful with port 0)."""
        settings = self.settings
        self.running = await start_services(settings)
        app = make_app(settings, self.running.services)
        self.keepalive = app.settings["keepalive"]
        self.keepalive.start()
        max_body_size = max(DRAIN_LIMIT, settings.max_upload_bytes + 64 * 1024)
        self.http = tornado.httpserver.HTTPServer(
            RequestLimits(app, max_body_size),
            xheaders=settings.trust_proxy,
            max_header_size=READ_LIMIT,
            max_body_size=max_body_size,
            idle_connection_timeout=75,
            body_timeout=300,
        )
        sockets = tornado.netutil.bind_sockets(settings.port, settings.host)
        self.http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, close connections and stores."""
        if self.http is None or self.running is None:
            return
        services = self.running.services
        self.http.stop()
        if self.keepalive is not None:
            self.keepalive.stop()
        services.hub.close_all(CLOSE_GOING_AWAY, "server shutting down; reconnect")
        grace = self.settings.shutdown_grace_seconds
        if not await services.inflight.wait_idle(grace):
            log.warning("shutdown grace period over", extra={"inflight": services.inflight.count})
        await self.http.close_all_connections()
        await stop_services(self.running)
        self.http = None


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections: requests allocate many short-lived dicts, and a full
    collection of everything loaded at start would stall every socket for milliseconds."""
    gc.collect()
    gc.freeze()  # what start-up loaded stays; later full collections skip it
    gc.set_threshold(20_000, 50, 100)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    server = Server(settings)
    port = await server.start()
    tune_garbage_collector()
    log.info("listening", extra={"host": settings.host, "port": port})
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("shutting down")
    await server.stop()
    log.info("stopped")
