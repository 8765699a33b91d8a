"""`python -m bench.web` (`make bench-web`): what a first visit to the web app costs.

A Hypee server with the demo seed (48 mentors) serves the built app (web/dist); headless
Chromium (Debian's) opens `/mentors` in a fresh context (an empty cache) and again with the
assets cached, ROUNDS times each. Reported, in bench/results/web.md (and .json):
- the JavaScript and CSS a first visit loads, as sent (gzip) and uncompressed;
- the time from the browser's first request to the first mentor card on screen (the frame
  that shows it painted, as the page itself notes it), cold and warm (medians), and where
  it goes: the app's JavaScript received, the document parsed and the JavaScript run
  (DOMContentLoaded), and how many directory requests the page made before
  its first card (none when the server inlined the first page, as it does for a first visit).
"""

from __future__ import annotations

import asyncio
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from tests.processes import ROOT, ServerProcess, run_command, server_env

RESULTS = ROOT / "bench" / "results"
ROUNDS = 10
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CARD = "[data-testid=mentor-card]"


# Runs in every document before the app: notes when the first card enters the page and when
# the frame showing it has been painted (the task after the next animation frame), so the
# figure does not include the time this harness takes to notice.
WATCH_FOR_CARD = f"""
new MutationObserver((_, observer) => {{
    if (!document.querySelector('{CARD}')) return;
    observer.disconnect();
    window.__hypeeCard = {{inserted: performance.now()}};
    requestAnimationFrame(() => setTimeout(() => {{
        window.__hypeeCard.painted = performance.now();
    }}, 0));
}}).observe(document, {{subtree: true, childList: true}});
"""


async def first_card(page: Page, url: str) -> dict[str, float]:
    """Open `url` and wait for a mentor card: ms from the navigation's start to the card
    painted, to the app's JavaScript received and to DOMContentLoaded, and the directory
    requests made."""
    await page.goto(url, wait_until="commit")
    await page.wait_for_function("() => window.__hypeeCard && window.__hypeeCard.painted")
    return await page.evaluate(
        """() => {
            const resources = performance.getEntriesByType('resource');
            const script = resources.filter(entry => entry.name.endsWith('.js'))[0];
            const navigation = performance.getEntriesByType('navigation')[0];
            return {
                shown: window.__hypeeCard.painted,
                script: script ? script.responseEnd : 0,
                parsed: navigation.domContentLoadedEventEnd,
                api: resources.filter(entry => entry.name.includes('/api/mentors/')).length,
            };
        }"""
    )


async def transferred(page: Page, url: str) -> dict[str, dict[str, int]]:
    """Bytes of JavaScript and CSS a cold visit loads: {kind: {sent, body}}."""
    sizes: dict[str, dict[str, int]] = {"js": {"sent": 0, "body": 0}, "css": {"sent": 0, "body": 0}}
    responses = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(url)
    await page.wait_for_selector(CARD)
    for response in responses:
        kind = (
            "js"
            if response.url.endswith(".js")
            else "css"
            if response.url.endswith(".css")
            else None
        )
        if kind is None:
            continue
        body = await response.body()
        timing = await response.request.sizes()
        sizes[kind]["body"] += len(body)
        sizes[kind]["sent"] += timing["responseBodySize"]
    return sizes


async def measure() -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="hypee-web-bench-"))
    settings = {"HYPEE_DATA_DIR": str(root / "data"), "HYPEE_LOG_LEVEL": "warning"}
    code, out, err = await run_command("--seed-demo", env=server_env(**settings))
    assert code == 0, out + err
    server = await ServerProcess(root / "server.log", **settings).start()
    url = f"http://127.0.0.1:{server.port}/mentors"
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM)
            context = await browser.new_context()
            sizes = await transferred(await context.new_page(), url)
            await context.close()
            cold, warm = [], []
            for _ in range(ROUNDS):
                context = await browser.new_context()
                await context.add_init_script(WATCH_FOR_CARD)
                page = await context.new_page()
                cold.append(await first_card(page, url))
                warm.append(await first_card(page, url))
                await context.close()
            await browser.close()
    finally:
        await server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "sizes": sizes,
        "cold_ms": statistics.median(r["shown"] for r in cold),
        "warm_ms": statistics.median(r["shown"] for r in warm),
        "script_ms": statistics.median(r["script"] for r in cold),
        "parsed_ms": statistics.median(r["parsed"] for r in cold),
        "api_requests": max(r["api"] for r in cold + warm),
        "rounds": ROUNDS,
    }


def report(found: dict[str, Any]) -> str:
    kb = lambda n: f"{n / 1024:.1f} KB"  # noqa: E731
    sizes = found["sizes"]
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    return "\n".join(
        [
            "# A first visit to the web app",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `make bench-web`, {platform.node()}, "
            f"{chromium.strip()}, Python {sys.version.split()[0]}; medians of {found['rounds']}.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| JavaScript of a first visit to /mentors, sent (gzip) / uncompressed | "
            f"{kb(sizes['js']['sent'])} / {kb(sizes['js']['body'])} |",
            f"| CSS, sent (gzip) / uncompressed | {kb(sizes['css']['sent'])} / "
            f"{kb(sizes['css']['body'])} |",
            f"| first request to the first mentor card on screen, empty cache | "
            f"{found['cold_ms']:.0f} ms |",
            f"| the same, assets cached | {found['warm_ms']:.0f} ms |",
            f"| of which, empty cache: the app's JavaScript received / run (DOMContentLoaded) | "
            f"{found['script_ms']:.0f} ms / {found['parsed_ms']:.0f} ms |",
            f"| directory requests before the first card (0: the first page is inlined) | "
            f"{found['api_requests']} |",
            "",
        ]
    )


def main() -> None:
    found = asyncio.run(measure())
    RESULTS.mkdir(exist_ok=True)
    text = report(found)
    (RESULTS / "web.md").write_text(text)
    (RESULTS / "web.json").write_text(json.dumps(found, indent=1))
    print(text)


if __name__ == "__main__":
    main()
