"""The web app (web/, built into web/dist), served by this server.

- `/assets/...`: Vite's content-hashed files, cached for a year (`immutable`).
- The app's pages (`/`, `/login`, `/mentors/...`, `/chat/...`, ...): `index.html`, never
  cached, so a deploy is seen at the next load; other files at the top of web/dist (the icon).
- Any other path a browser asks for (it accepts text/html): `index.html` with status 404, and
  the app shows its not-found page. Everything else keeps the JSON 404 of the API.

A first visit to the directory (`/` or `/mentors`, no filters) gets the directory's first page
inlined in `index.html` (`<script type="application/json" id="hypee-first-page">`, the answer
of `GET /api/mentors/?limit=20`), so the app shows cards without waiting for a request after
its JavaScript has loaded. A JSON script is data, never run, so the policy below still forbids
inline scripts.

Every answer carries the security headers: a Content-Security-Policy that lets the page talk
to this server and the storage endpoint only (presigned uploads and downloads), no framing,
`nosniff`, and a strict referrer policy. Without web/dist, `/` says how to build it.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from pathlib import Path
from urllib.parse import urlsplit

import tornado.web
from pymongo.errors import ConnectionFailure

from config import Settings
from handlers.base import NotFoundHandler
from handlers.common import load
from handlers.mentors import directory_page
from hypee.jsonio import dumps
from models import mentors

APP_PAGE = re.compile(
    r"^/(?:|login|register|me|settings|notifications|forgot-password|reset-password|"
    r"verify-email|unsubscribe|mentors(?:/[0-9a-fA-F]{24})?|"
    r"chat(?:/(?:to/)?[0-9a-fA-F]{24})?|questions(?:/new|/[0-9a-fA-F]{24})?)/?$"
)
# Paths that belong to the API or the operators: their 404s stay JSON.
NOT_APP = re.compile(r"^/(?:api|ws|files|healthz|readyz|metrics)(?:/|$)")
YEAR = 365 * 24 * 3600
NEVER_STALE = ("index.html", "sw.js")
mimetypes.add_type("application/manifest+json", ".webmanifest")
FIRST_VISIT = re.compile(r"^/(?:mentors/?)?$")
DIRECTORY_PAGE = 20  # the app's page size (web/src/features/directory/MentorsPage.tsx)
NOT_BUILT = (
    "<!doctype html><title>Hypee</title><p>The web app is not built yet: run <code>make run"
    "</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>"
)


def content_security_policy(settings: Settings) -> str:
    """This server, plus the storage endpoint browsers upload to and download from."""
    storage = settings.s3_public_endpoint or settings.s3_endpoint
    extra = ""
    if storage:
        parts = urlsplit(storage)
        extra = f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # React and the emoji picker set inline styles.
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{extra}",
            f"media-src 'self' blob:{extra}",
            f"connect-src 'self'{extra}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(handler: tornado.web.RequestHandler, settings: Settings) -> None:
    handler.set_header("Content-Security-Policy", content_security_policy(settings))
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
    handler.set_header("X-Frame-Options", "DENY")


class AssetHandler(tornado.web.StaticFileHandler):
    """Hashed build output: cached for a year, never revalidated."""

    def initialize(self, path: str, settings: Settings) -> None:  # type: ignore[override]
        super().initialize(path)
        self.app_settings = settings

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", f"public, max-age={YEAR}, immutable")
        security_headers(self, self.app_settings)

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish('{"error": {"code": "not_found", "message": "No such file."}}')


class WebAppHandler(NotFoundHandler):
    """The app's pages and whatever no route matched (see the module docstring)."""

    public_methods = frozenset({"GET", "HEAD"})

    def _authorize(self, method: str) -> None:
        if method in ("GET", "HEAD") and self._file() is not None:
            return None
        super()._authorize(method)

    async def get(self) -> None:
        await self._send(self._file())

    async def head(self) -> None:
        await self._send(self._file(), body=False)

    def _dist(self) -> Path:
        return Path(self.services.settings.web_dist)

    def _file(self) -> tuple[Path, int] | None:
        """What to answer with: (file, status), or None for the JSON 404."""
        path = self.request.path
        if NOT_APP.match(path):
            return None
        dist = self._dist()
        index = dist / "index.html"
        if APP_PAGE.match(path):
            return index, 200
        name = path.lstrip("/")
        if name and "/" not in name and not name.startswith(".") and (dist / name).is_file():
            return dist / name, 200
        if "text/html" in self.request.headers.get("Accept", ""):
            return index, 404
        return None

    async def _send(self, found: tuple[Path, int] | None, body: bool = True) -> None:
        assert found is not None
        file, status = found
        self.clear_header("Content-Type")
        security_headers(self, self.services.settings)
        data = await asyncio.to_thread(_read, file)
        if data is not None and body and status == 200 and file.name == "index.html":
            data = await self._with_first_page(data)
        if data is None:
            self.set_status(503 if file.name == "index.html" else 404)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(NOT_BUILT if body else None)
            return
        self.set_status(status)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        self.set_header("Content-Type", kind)
        # The page and the service worker are checked every time (a new build takes over at
        # once); other root files (icons, the manifest) may wait an hour.
        fresh = "no-cache" if file.name in NEVER_STALE else "public, max-age=3600"
        self.set_header("Cache-Control", fresh)
        self.set_header("Content-Length", str(len(data)))
        self.finish(data if body else None)

    async def _with_first_page(self, page: bytes) -> bytes:
        """`index.html` with the directory's first page inlined, on a first visit to it."""
        if not FIRST_VISIT.match(self.request.path) or self.request.query:
            return page
        params = load(mentors.MentorQuerySchema, {"limit": DIRECTORY_PAGE})
        try:
            answer = await directory_page(self.db, params)
        except ConnectionFailure:
            return page  # the app asks again itself, and says so if the store is still down
        # "<" inside a script element can end it or change how the browser reads it ("</script",
        # "<!--"): written as the JSON escape for it, it is never markup.
        inline = dumps(answer).replace("<", "\\u003c")
        script = f'<script type="application/json" id="hypee-first-page">{inline}</script>'
        return page.replace(b"</body>", script.encode() + b"</body>", 1)


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except OSError:
        return None
