"""Browser tests: the web app in Debian's Chromium (headless, driven by Python Playwright)
against a real `python run.py` per test module, on its own embedded store filled by
`--seed-demo` (48 mentors, 6 mentees, 6 answered questions).

Each person is a browser context of their own (cookies, storage, sockets) and signs in on the
login page; every later page load signs them back in from the HttpOnly refresh cookie, as a
reload does. Uncaught errors on a page fail the test.
Screenshots land in tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from pymongo import AsyncMongoClient

from tests import conftest
from tests.client import Account, ApiClient
from tests.processes import ROOT, ServerProcess, run_command, server_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DIST = ROOT / "web" / "dist" / "index.html"
SCREENSHOTS = Path(__file__).parent / "screenshots"
DEMO_PASSWORD = "hypee-demo-password"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# Every browser test runs once in `make test` (its wire pass leaves slow tests out: the store
# path is the server's business, tested by the rest of the suite), in its module's event loop;
# `pytest --wire tests/e2e` runs them through the MongoDB stand-in.
MODULE_LOOP = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class WebServer:
    """A running `run.py` serving the built app, and an API client for setting things up."""

    process: ServerProcess
    data_dir: Path
    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.process.port}"

    @property
    def api(self) -> ApiClient:
        return self.process.client

    async def login(self, email: str, password: str = DEMO_PASSWORD) -> Account:
        """Sign in over the API (mobile mode) to set things up or check them."""
        response = await self.api.post("/api/auth/login", {"email": email, "password": password})
        assert response.status == 200, response
        data = response.json
        return Account(
            data["user"]["id"], email, password, data["access"], data["refresh"], data["user"]
        )


@contextlib.asynccontextmanager
async def demo_server(root: Path, **extra: str) -> AsyncIterator[WebServer]:
    """`run.py` on a store filled by `--seed-demo` in `root`, with `extra` settings; stopped
    after, and its log must hold no traceback. The store is the suite's MongoDB when it has
    one (HYPEE_TEST_MONGO_URI, or `--wire`: a database of its own, dropped after), else the
    embedded engine."""
    if not DIST.is_file():
        pytest.fail("web/dist is not built: run `make web` (make test builds it)")
    settings = {
        "HYPEE_DATA_DIR": str(root / "data"),
        "HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN": "100000",
        "HYPEE_LOGIN_FAILURES_PER_MIN": "100000",
        "HYPEE_SEND_RATE_PER_10S": "0",
        **extra,
    }
    if conftest.TEST_MONGO_URI:
        settings["HYPEE_MONGO_URI"] = conftest.TEST_MONGO_URI
        settings["HYPEE_MONGO_DB"] = f"hypee_e2e_{uuid.uuid4().hex[:12]}"
    code, out, err = await run_command("--seed-demo", env=server_env(**settings))
    assert code == 0, out + err
    process = await ServerProcess(root / "server.log", **settings).start()
    try:
        yield WebServer(process, root / "data")
    finally:
        await process.stop()
        if conftest.TEST_MONGO_URI:
            client: AsyncMongoClient = AsyncMongoClient(conftest.TEST_MONGO_URI)
            await client.drop_database(settings["HYPEE_MONGO_DB"])
            await client.close()
    assert "Traceback" not in process.log(), process.log()[-5000:]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web_server(tmp_path_factory) -> AsyncIterator[WebServer]:
    async with demo_server(tmp_path_factory.mktemp("web")) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


class Person:
    """One user in a browser context of their own; `errors` collects uncaught page errors."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
        """Sign in on the login page, as a person does; the account as the server answered."""
        await self.page.goto("/login")
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        async with self.page.expect_response("**/api/auth/login") as answer:
            await self.page.get_by_role("button", name="Sign in").last.click()
        response = await answer.value
        assert response.ok, await response.text()
        await expect(self.page).to_have_url(re.compile(r"/mentors$"))
        return (await response.json())["user"]

    async def goto(self, path: str) -> None:
        await self.page.goto(path)

    async def accessibility_violations(self) -> list[str]:
        """What axe-core (WCAG 2.x A and AA rules) finds serious or critical on the page as it
        is now: one line per rule, with the first places it failed."""
        if not await self.page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated through the DevTools protocol: the page's CSP forbids added scripts.
            await self.page.evaluate(AXE.read_text())
        found = await self.page.evaluate(
            r"""async () => (await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                'best-practice']},
                resultTypes: ['violations'],
              })).violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.id} (${v.impact}): ${v.help}: ` +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' +
                   (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)).join(' | '))"""
        )
        return list(found)

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest_asyncio.fixture(loop_scope="module")
async def people(browser: Browser, web_server: WebServer):
    """`await people(viewport=...)` opens a new person's browser context; all are closed after
    the test, which fails on any uncaught page error."""
    opened: list[Person] = []

    async def open_person(
        viewport: dict[str, int] = DESKTOP, locale: str = "en-US", timezone_id: str | None = None
    ) -> Person:
        context = await browser.new_context(
            base_url=web_server.url, viewport=viewport, locale=locale, timezone_id=timezone_id
        )
        context.set_default_timeout(10_000)
        person = Person(context, await context.new_page())
        opened.append(person)
        return person

    yield open_person
    errors = [error for person in opened for error in person.errors]
    for person in opened:
        await person.context.close()
    assert not errors, errors
