"""The HMI in a real headless Chromium against a real server on 127.0.0.1.

The server (``tests.hmi.browser_server``) runs the real pages on the real services (historian,
alarms, access) in its own process; the test changes plant values and raises alarms from
their plant inputs through its test routes, standing in for the PLC bridge. (The README's
screenshots come from the real demo: ``scripts/screenshots.py``.)
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaufferie.historian.catalogue import text
from chaufferie.historian.history_export import COLUMNS
from chaufferie.hmi.pages.frame import NAV
from tests.conftest import free_port
from tests.support.browser import CONNECTED
from tests.support.hmi import PASSWORD
from tests.support.serving import wait_serving

pytestmark = [pytest.mark.browser, pytest.mark.calendar]  # the server runs on the real clock

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 360, "height": 740}
PAGES = {key.removeprefix("nav."): path for path, key, _ in NAV}  # every page, as the menu lists them


def post(base: str, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        f"{base}{path}", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback test server
        result: dict[str, object] = json.loads(response.read())
        return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("hmi-browser")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hmi.browser_server", "--port", str(port), "--data", str(data)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_serving(f"{base}/login", proc, data / "server.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def logged_in(browser, base: str, username: str, viewport: dict[str, int] = DESKTOP, path: str = "/"):
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base}/login?next={path}")
    page.wait_for_function(CONNECTED)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}{path}")
    return page


def synoptic_text(page, testid: str) -> str:
    return str(page.locator(f'svg.synoptic text[data-testid="{testid}"]').text_content())


def test_synoptic_updates_when_the_plant_changes(server: str, browser) -> None:
    page = logged_in(browser, server, "viewer")
    page.wait_for_selector("svg.synoptic")
    post(server, "/_test/values", {"values": {"network.pressure": 2.42}})
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"v-network.pressure\"]')"
        ".textContent.includes('2,42 bar')",
        timeout=5000,
    )
    post(server, "/_test/values", {"values": {"network.pressure": 2.42}, "quality": "bad"})
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"v-network.pressure\"]').textContent.includes('?')",
        timeout=5000,
    )
    post(server, "/_test/values", {"values": {"network.pressure": 2.05}})
    page.context.close()


def test_acknowledge_an_alarm_with_the_keyboard(server: str, browser) -> None:
    post(server, "/_test/alarm", {"code": "CHB-DEF"})  # P1: listed first
    post(server, "/_test/alarm", {"code": "VIS-INV"})  # P3
    page = logged_in(browser, server, "tech", path="/alarms")
    page.locator('[aria-label*="VIS-INV"][role="listitem"]').wait_for()
    page.locator('[role="listitem"]').first.focus()
    presses = 0
    while "VIS-INV" not in page.evaluate("document.activeElement.getAttribute('aria-label') || ''"):
        assert presses < 5, "the arrow keys do not reach the VIS-INV row"
        page.keyboard.press("ArrowDown")
        presses += 1
    assert presses >= 1
    for _ in range(10):  # Tab from the row to its "Acquitter" button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Acquitter l'alarme VIS-INV":
            break
    else:
        pytest.fail("the acknowledge button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Alarme VIS-INV acquittée").wait_for(timeout=5000)
    page.locator('[aria-label*="VIS-INV"][aria-label*="active acquittée"]').wait_for(timeout=5000)
    page.context.close()


def test_filter_history_and_download_csv(server: str, browser, artifacts: Path) -> None:
    """The history written by the historian, filtered on the page, exported by the historian."""
    page = logged_in(browser, server, "viewer", path="/history")
    page.get_by_text(re.compile(r"^\d+ enregistrements$")).wait_for()
    page.get_by_label("Texte recherché").fill("plaquettes")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_text("1 enregistrements").wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter CSV").click()
    path = artifacts / "historique.csv"
    info.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == [text(f"history_{c}", "fr") for c in COLUMNS]  # the historian's French header
    message = COLUMNS.index("message")
    assert [r[message] for r in rows[1:]] == ["Livraison de plaquettes 4 t (Bois Sud)"]  # tests/hmi/past.py
    page.context.close()


def test_open_a_30_day_trend(server: str, browser) -> None:
    page = logged_in(browser, server, "viewer", path="/trends")
    page.get_by_role("combobox", name="Période").click()
    page.get_by_role("option", name="30 jours").click()
    page.get_by_role("button", name="Tracer").click()
    page.wait_for_function(
        "() => { const c = document.querySelector('.nicegui-echart canvas'); return c && c.width > 100; }",
        timeout=10000,
    )
    page.context.close()


def test_phone_page_has_no_horizontal_scroll_outside_the_synoptic(server: str, browser) -> None:
    page = logged_in(browser, server, "tech", PHONE, path="/alarms")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    page.context.close()


UNLABELLED = """() => {
  const out = [];
  const controls = 'button, input, textarea, select, a[href], [role=combobox], [tabindex="0"]';
  for (const el of document.querySelectorAll(controls)) {
    if (el.type === 'hidden' || el.closest('[aria-hidden=true]') || el.offsetParent === null) continue;
    const name = (el.getAttribute('aria-label') || el.getAttribute('title') || '').trim()
      || (el.labels && el.labels.length ? 'label' : '')
      || (el.closest('label') ? el.closest('label').innerText.trim() : '')
      || (el.innerText || '').trim();
    if (!name) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
}"""


def test_every_control_of_every_page_has_an_accessible_name(server: str, browser) -> None:
    page = logged_in(browser, server, "admin")
    missing = {}
    for name, route in PAGES.items():
        page.goto(f"{server}{route}")
        page.wait_for_load_state("networkidle")
        found = page.evaluate(UNLABELLED)
        if found:
            missing[name] = found
    page.context.close()
    assert missing == {}
