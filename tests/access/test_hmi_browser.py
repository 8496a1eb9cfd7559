"""The HMI over the real access layer in a real headless Chromium: the user is checked again at
each action, and the client address comes from the configured trusted proxies only.

The server (``tests.access.hmi_server``) runs in its own process on 127.0.0.1 with the real
authenticator and users in a SQLite database; ``chaufferie user disable`` runs as the real
command against that database. A reverse proxy stands for nginx: a TCP relay on 127.0.0.1
whose connections to the HMI leave from 127.0.0.2 (another loopback address), so that the
HMI sees the proxy's address as a peer distinct from a local client; the browser contexts
send the ``X-Forwarded-For`` such a proxy forwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.access.conftest import PASSWORD
from tests.conftest import free_port, require_tool
from tests.support.browser import CHROMIUM_ARGS, CONNECTED

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PROXY_ADDRESS = "127.0.0.2"


@contextlib.asynccontextmanager
async def hmi_server(data: Path, *trusted: str) -> AsyncIterator[str]:
    """``tests.access.hmi_server`` on a free port; its base URL once it answers."""
    port = free_port()
    proxies = [arg for address in trusted for arg in ("--trusted-proxy", address)]
    args = ["-m", "tests.access.hmi_server", "--port", str(port), "--data", str(data), *proxies]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/login")).status_code == 200:
                        break
                if proc.returncode is not None:
                    raise RuntimeError(f"HMI server died: {await proc.stderr.read() if proc.stderr else ''}")
                await asyncio.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        await proc.wait()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def reverse_proxy(upstream: str) -> AsyncIterator[str]:
    """A TCP relay to ``upstream`` whose upstream connections come from ``PROXY_ADDRESS``."""
    host, port = upstream.removeprefix("http://").split(":")

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection(host, int(port), local_addr=(PROXY_ADDRESS, 0))
        await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = require_tool("chromium", "browser tests of the HMI sessions")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


async def log_in(browser: Browser, base: str, username: str, password: str, forwarded: str = "") -> Page:
    """A fresh browser (own cookies) sending ``X-Forwarded-For: forwarded`` tries to log in;
    its page is on ``/control`` if it succeeded, closed if it failed."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    context = await browser.new_context(locale="fr-FR", extra_http_headers=headers)
    page = await context.new_page()
    await page.goto(f"{base}/login?next=/control")
    await page.wait_for_function(CONNECTED)
    await page.get_by_label("Identifiant").fill(username)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_function(
        "() => location.pathname === '/control' || document.body.innerText.includes('mot de passe incorrect')"
    )
    if urlsplit(page.url).path != "/control":
        await context.close()
    return page


def logged_in(page: Page) -> bool:
    return not page.is_closed()


async def server_state(base: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=base) as client:
        return (await client.get(path)).json()


async def test_user_disabled_while_the_control_page_is_open_cannot_command(
    browser: Browser, tmp_path: Path
) -> None:
    async with hmi_server(tmp_path) as base:
        page = await log_in(browser, base, "tech", PASSWORD)
        assert logged_in(page)
        await page.get_by_role("button", name="Pompe 2").click()  # while enabled: it reaches the PLC
        await page.get_by_role("button", name="Confirmer").click()
        await page.get_by_role("status").get_by_text("Commande confirmée par relecture (2)").wait_for()
        disable = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chaufferie.cli",
            "user",
            "--data-dir",
            str(tmp_path),
            "disable",
            "tech",
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await disable.communicate()
        assert disable.returncode == 0, err.decode()
        assert b"tech: disabled" in out
        await page.get_by_role("button", name="Pompe 1").click()
        await page.get_by_role("button", name="Confirmer").click()
        await page.wait_for_url(f"{base}/login*")  # the session ended with the refusal
        commands = await server_state(base, "/_test/commands")
        actions = await server_state(base, "/_test/actions")
    first = {"point": "pumps.duty", "value": 2, "status": "confirmed", "user": "tech"}
    assert commands == [first]  # the second never reached the PLC bridge
    refused = [a for a in actions if a["kind"] == "command"]
    assert [(a["result"], a["user"], a["target"], a["details"].get("why")) for a in refused] == [
        ("ok", "tech", "pumps.duty", None),  # the bridge's record of the first
        ("refused", "tech", "pumps.duty", "session_ended"),
    ]
    assert refused[1]["address"] == "127.0.0.1"


def logins(actions: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(a["kind"], a["user"], a["address"]) for a in actions if a["kind"].startswith("login")]


async def test_behind_a_trusted_proxy_failures_lock_the_client_not_the_proxy(
    browser: Browser, tmp_path: Path
) -> None:
    x, y = "198.51.100.7", "203.0.113.9"
    async with hmi_server(tmp_path, PROXY_ADDRESS) as base, reverse_proxy(base) as proxied:
        for _ in range(5):
            assert not logged_in(await log_in(browser, proxied, "nobody", "wrong password", forwarded=x))
        x_again = await log_in(browser, proxied, "admin", PASSWORD, forwarded=x)
        y_page = await log_in(browser, proxied, "admin", PASSWORD, forwarded=y)
        actions = await server_state(base, "/_test/actions")
    assert not logged_in(x_again)  # X is locked out, even with the right password
    assert logged_in(y_page)  # Y, behind the same proxy, is not
    assert logins(actions) == [
        *[("login_failed", "nobody", x)] * 5,
        ("login_failed", "admin", x),
        ("login", "admin", y),
    ]


async def test_without_a_trusted_proxy_a_rotating_forwarded_header_does_not_dodge_the_lockout(
    browser: Browser, tmp_path: Path
) -> None:
    async with hmi_server(tmp_path) as base:
        for n in range(5):
            page = await log_in(browser, base, "nobody", "wrong password", forwarded=f"192.0.2.{n + 1}")
            assert not logged_in(page)
        last = await log_in(browser, base, "admin", PASSWORD, forwarded="192.0.2.99")
        actions = await server_state(base, "/_test/actions")
    assert not logged_in(last)  # the address (127.0.0.1, the real peer) is locked
    assert {address for _, _, address in logins(actions)} == {"127.0.0.1"}


async def test_session_cookies_are_strict_and_http_only(browser: Browser, tmp_path: Path) -> None:
    async with hmi_server(tmp_path) as base:
        page = await log_in(browser, base, "tech", PASSWORD)
        assert logged_in(page)
        await page.reload()  # the session survives a same-site reload
        await page.get_by_role("button", name="Pompe 2").wait_for()
        cookies = await page.context.cookies()
    assert cookies  # NiceGUI's session cookie (its storage holds the HMI session token)
    assert {(c["name"], c["sameSite"], c["httpOnly"]) for c in cookies} == {
        (c["name"], "Strict", True) for c in cookies
    }
