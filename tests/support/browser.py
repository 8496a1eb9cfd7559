"""Headless Chromium for the browser tests: the flags this closed machine needs, one place.

Without the background-networking flags Chromium keeps trying hosts it cannot reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.conftest import require_tool

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium(why: str) -> Iterator[Any]:
    """A launched headless Chromium (Playwright, sync API); skips, or fails under
    ``CHAUFFERIE_REQUIRE_TOOLS``, where Chromium is missing."""
    executable = require_tool("chromium", why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


CONNECTED = "() => window.did_handshake === true"
"""True once the page's websocket has shaken hands: NiceGUI drops the events (a typed value, a
click) a page sends before, so a test waits for this after loading a page it will act on."""
