"""A phone-sized headless Chromium opens the SMS link, enters the PIN and acknowledges."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from chaufferie.config.vocabulary import AlarmState, OilRole, PlantEvent, PlantEventKind
from tests.access.conftest import PINS, Site
from tests.conftest import require_tool
from tests.support.browser import CHROMIUM_ARGS


@pytest.mark.browser
async def test_phone_opens_sms_link_enters_pin_and_acknowledges(site: Site, artifacts: Path) -> None:
    chromium = require_tool("chromium", "the phone-page browser test")
    site.tag("wood.outlet_temp", 71.5)
    site.tag("buffer.temp_top", 64.2)
    now = site.clock.now()
    oil = PlantEvent(PlantEventKind.OIL_STARTED, now, reason="wood_fault", oil_role=OilRole.REPLACEMENT)
    site.services.story.observe(oil)
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = {"width": 360, "height": 740}
            page = await browser.new_page(viewport=phone, is_mobile=True, has_touch=True)
            await page.goto(link)
            assert await page.locator("h1").first.inner_text() != ""
            assert "fioul en relève depuis 03:00" in await page.content()
            await page.fill("#pin", PINS["martin"])
            await page.tap("#sign-in")
            await page.wait_for_selector("#acknowledge")
            box = await page.locator("#acknowledge").bounding_box()
            assert box is not None
            assert box["height"] >= 48  # a big touch target
            assert box["width"] <= 360
            await page.fill("#comment", "J'arrive dans 40 min")
            await page.tap("#acknowledge")
            await page.wait_for_selector("text=Alarme acquittée")
            await page.screenshot(path=str(artifacts / "ack-link-phone.png"), full_page=True)
            width = await page.evaluate("document.documentElement.scrollWidth")
        finally:
            await browser.close()
    assert width <= 360  # nothing wider than the phone
    assert site.state(occ) is AlarmState.ACKED
    assert site.acked_by(occ) == "martin"
