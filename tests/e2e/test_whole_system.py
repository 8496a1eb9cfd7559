"""End to end: simulator + ``chaufferie run`` as separate processes, real providers on loopback.

wood fault → oil starts as replacement → one SMS (through the real twilio client to the
stand-in) and one email (aiosmtpd) saying relève → the technician opens the link in Chromium,
enters the PIN and acknowledges → the history holds the fault, the oil start with its reason,
the messages, the acknowledgement by that technician through the link, and the intervention
with its deadline → a cold snap brings oil in as top-up (appoint) → SIGTERM stops the system
cleanly and a restart resumes with nothing lost.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.conftest import require_tool
from tests.e2e.system import ON_CALL, SystemUnderTest, wait_for
from tests.support.browser import CHROMIUM_ARGS
from tests.support.smtp_server import SmtpTestServer
from tests.support.twilio_standin import TwilioStandIn

PIN = "482915"
TECH_PASSWORD = "Chaufferie-e2e-2026"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9._\-]+")

pytestmark = [pytest.mark.slow, pytest.mark.calendar, pytest.mark.timeout(600)]


def _add_technician(system: SystemUnderTest, username: str, contact: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chaufferie.cli",
            "user",
            "--config",
            str(system.config_path),
            "--stdin",
            "add",
            "--role",
            "technician",
            "--contact",
            contact,
            "--pin",
            username,
        ],
        input=f"{TECH_PASSWORD}\n{PIN}\n",
        capture_output=True,
        text=True,
        env=system.env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


async def _acknowledge_in_browser(link: str, artifacts: Path) -> None:
    chromium = require_tool("chromium", "the end-to-end acknowledgement")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True)
            await page.goto(link)
            await page.fill("#pin", PIN)
            await page.click("#sign-in")
            await page.wait_for_selector("#acknowledge")
            await page.fill("#comment", "En route")
            await page.click("#acknowledge")
            await page.wait_for_selector("text=Alarme acquittée")
            await page.screenshot(path=str(artifacts / "e2e-ack-phone.png"), full_page=True)
        finally:
            await browser.close()


async def test_wood_fault_releve_link_ack_then_cold_snap_appoint_then_clean_restart(
    plant: tuple[SystemUnderTest, TwilioStandIn, SmtpTestServer], artifacts: Path
) -> None:
    system, twilio, smtp = plant
    await system.start_simulator(speed=60)
    technician = ON_CALL  # whatever the week: see tests.e2e.system.on_call_throughout
    contact = system.cfg.contact(technician)
    assert contact.phone is not None
    assert contact.email is not None
    _add_technician(system, "astreinte", technician)
    await system.start_system()
    await wait_for(
        lambda: system.query("SELECT count(*) FROM plant_events WHERE kind='mode_changed' AND mode='wood'")[
            0
        ][0],
        120,
        "wood mode",
    )

    # ---- wood fault → relève: one SMS and one email to the on-call technician
    await system.command("inject CHB-ALL")
    await wait_for(
        lambda: any("relève" in b.lower() for b in twilio.bodies_to(contact.phone or "")),
        180,
        "relève SMS",
        system.run,
    )
    await wait_for(
        lambda: any("relève" in t.lower() for t in smtp.texts_to(contact.email or "")),
        60,
        "relève email",
        system.run,
    )
    oil_starts = "SELECT oil_role, reason FROM plant_events WHERE kind='oil_started' ORDER BY seq"
    await wait_for(lambda: system.query(oil_starts), 30, "oil start in the history")
    starts = system.query(oil_starts)
    assert starts
    assert starts[0][0] == "replacement"
    assert starts[0][1]
    releve_sms = [b for b in twilio.bodies_to(contact.phone or "") if "relève" in b.lower()]
    assert len(releve_sms) == 1, releve_sms
    link = LINK.search(releve_sms[0])
    assert link is not None, releve_sms[0]

    # ---- the technician acknowledges from the phone
    await _acknowledge_in_browser(link.group(0), artifacts)
    await wait_for(
        lambda: system.query(
            "SELECT count(*) FROM operator_actions WHERE kind='acknowledge' AND result='ok' "
            "AND user='astreinte' AND channel='link'"
        )[0][0],
        30,
        "acknowledgement in the history",
    )
    await wait_for(lambda: system.query("SELECT count(*) FROM interventions")[0][0], 30, "intervention")
    deadline = system.query("SELECT deadline FROM interventions")[0][0]
    assert deadline
    sent = system.query("SELECT count(*) FROM notifications WHERE status='sent' AND code='FIO-REL'")[0][0]
    assert sent >= 2  # the SMS and the email

    # ---- back to wood, then a cold snap: oil as top-up (appoint)
    await system.command("clear CHB-ALL")
    await system.command("scenario cold-snap")
    await system.command("speed 600")
    await wait_for(
        lambda: any("appoint" in b.lower() for b in twilio.bodies_to(contact.phone or "")),
        240,
        "appoint SMS",
        system.run,
    )
    top_up = "SELECT count(*) FROM plant_events WHERE kind='oil_started' AND oil_role='top_up'"
    await wait_for(lambda: system.query(top_up)[0][0], 30, "top-up start in the history")

    # ---- SIGTERM: clean stop, nothing lost; restart resumes
    events_before = system.query("SELECT count(*) FROM plant_events")[0][0]
    assert system.stop_system() == 0
    assert "Traceback" not in system.log("run")
    assert system.query("SELECT count(*) FROM plant_events")[0][0] >= events_before
    await system.start_system()
    assert system.stop_system() == 0
