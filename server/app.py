"""make_app: the Tornado application around the route table and one process's services."""

from __future__ import annotations

import functools
from pathlib import Path

import tornado.web

from config import Settings
from handlers.base import log_request
from handlers.keepalive import Keepalive
from handlers.webapp import AssetHandler, WebAppHandler
from server.routes import ROUTES, SOCKET_ROUTES, openapi_document
from services.container import Services


def make_app(settings: Settings, services: Services) -> tornado.web.Application:
    """The Tornado application serving every route with `services`."""
    assets = (
        r"/assets/(.*)",
        AssetHandler,
        {"path": str(Path(settings.web_dist) / "assets"), "settings": settings},
    )
    return tornado.web.Application(
        [*(route.url_spec() for route in ROUTES + SOCKET_ROUTES), assets],
        default_handler_class=WebAppHandler,
        default_handler_args={"route": "unmatched"},
        services=services,
        openapi=functools.cache(functools.partial(openapi_document, settings)),
        log_function=log_request,
        keepalive=Keepalive(settings.ws_ping_seconds),  # one sweep pings every socket
        websocket_max_message_size=settings.ws_max_frame_bytes,
        compress_response=True,  # gzip for clients that ask (the app's assets above all)
        debug=False,
    )
