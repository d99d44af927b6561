"""Debian's Chromium driven by Playwright, with every host but the loopback unreachable.

Never a browser Playwright downloads: `executable_path` is the system package. Every request to a
host other than 127.0.0.1 or localhost fails to resolve, and is also aborted and recorded, so a
test can assert that none was attempted.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
LOOPBACK = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-default-apps", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                    reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")


@dataclass
class Browser:
    page: Any
    blocked: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@asynccontextmanager
async def offline_browser() -> AsyncIterator[Browser]:
    """One page in a fresh context; what it tried beyond the loopback, its websockets and its errors."""
    from playwright.async_api import async_playwright

    assert os.path.exists(CHROMIUM), "install Debian's chromium: apt-get install -y chromium"
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await chromium.new_context(viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            browser = Browser(page=page)

            async def only_loopback(route: Any) -> None:
                if urlsplit(route.request.url).hostname in LOOPBACK:
                    await route.continue_()
                else:
                    browser.blocked.append(route.request.url)
                    await route.abort("internetdisconnected")

            await context.route("**/*", only_loopback)
            page.on("websocket", lambda ws: browser.sockets.append(ws.url))
            page.on("console", lambda m: browser.problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: browser.problems.append(str(e)))
            yield browser
        finally:
            await chromium.close()
