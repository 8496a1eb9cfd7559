"""The HMI's hardening, in headless Chromium against the whole real system on loopback.

The simulator and ``chaufferie run`` run as separate processes (``tests.e2e.system``): the
real PLC bridge writes to the simulator, the real settings store and the real headers
middleware serve the pages. The data folder starts with a saved overrides file holding
infinity, and the configuration with contacts whose names try to inject script.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaufferie.historian.catalogue import text
from chaufferie.historian.history_export import COLUMNS
from tests.e2e.system import SystemUnderTest, base_env, write_config
from tests.support.browser import CONNECTED

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

PASSWORD = "Chaufferie-hardening-2026"
INJECTIONS = ('x" onmouseover="window.__xss=1" data-x="', "');window.__xss=2//")
PAGES = ("/", "/alarms", "/history", "/trends", "/reports", "/logbook", "/control", "/settings")
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""
ENV = {
    "CHAUFFERIE_SECRET_KEY": "hardening-signing-key-0123456789abcdef",
    "CHAUFFERIE_OPCUA_USER": "hardening",
    "CHAUFFERIE_OPCUA_PASSWORD": "hardening-opcua-password",
}


def _plant_config(data_dir: Path) -> tuple[Path, dict[str, int]]:
    """The shipped plant for a fresh folder: no providers (outbox), crafted contact names,
    the weekly pump swap as far from now as the week allows and one duty write per hour (the
    test writes the duty twice: the second is the bridge's refusal)."""
    path, ports = write_config(
        data_dir, {"from_number": "+33700000000"}, {"host": "x", "from_address": "a@b"}
    )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notifiers"]["sms"] = data["notifiers"]["email"] = None
    data["contacts"] += [{"id": f"crafted-{i}", "name": name} for i, name in enumerate(INJECTIONS)]
    data["cascade"]["pump_swap_weekday"] = (datetime.now(UTC).weekday() + 3) % 7
    duty = next(p for p in data["points"] if p["name"] == "pumps.duty")
    duty["write_min_interval_s"] = 3600  # a second duty write within the hour: refused by the bridge
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, ports


def _add_admin(config_path: Path, env: dict[str, str]) -> None:
    args = ["user", "--config", str(config_path), "--stdin", "add", "chef", "--role", "admin"]
    result = subprocess.run(
        [sys.executable, "-m", "chaufferie.cli", *args],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemUnderTest]:
    root = tmp_path_factory.mktemp("hardening")
    data_dir = root / "data"
    data_dir.mkdir()
    (data_dir / "settings-overrides.json").write_text(
        json.dumps({"cascade": {"replacement_confirm_s": float("inf")}}), encoding="utf-8"
    )
    config_path, ports = _plant_config(data_dir)
    env = base_env(ENV)
    _add_admin(config_path, env)
    system = SystemUnderTest(root, config_path, ports, env)
    try:
        asyncio.run(system.start_simulator(speed=1))
        asyncio.run(system.start_system())
        yield system
    finally:
        system.close()


def _logged_in(browser: Any, system: SystemUnderTest, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(f"{system.url}/login?next={path}")
    page.wait_for_function(CONNECTED)
    page.get_by_label("Identifiant").fill("chef")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{system.url}{path}")
    page.wait_for_load_state("networkidle")
    return page


def _no_traceback(system: SystemUnderTest) -> None:
    assert "Traceback" not in system.log("run")


def test_a_saved_overrides_file_holding_infinity_is_set_aside_and_settings_opens(
    plant: SystemUnderTest, browser: Any
) -> None:
    data_dir = plant.cfg.data_path(".")
    aside = sorted(data_dir.glob("settings-overrides.rejected-*.json"))
    assert len(aside) == 1
    assert "Infinity" in aside[0].read_text(encoding="utf-8")
    assert not (data_dir / "settings-overrides.json").exists()
    assert "settings overrides" in plant.log("run")  # the log names it
    page = _logged_in(browser, plant, "/settings")
    response = page.goto(f"{plant.url}/settings")
    assert response.status == 200
    page.get_by_text(f"mis de côté dans {aside[0].name}").wait_for(timeout=10_000)
    page.context.close()
    _no_traceback(plant)


def test_every_page_carries_the_policy_and_normal_use_violates_nothing(
    plant: SystemUnderTest, browser: Any
) -> None:
    page = _logged_in(browser, plant, "/")
    for path in PAGES:
        response = page.goto(f"{plant.url}{path}")
        page.wait_for_load_state("networkidle")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert page.evaluate("window.__violations") == [], path
    page.context.close()


def test_a_crafted_contact_name_stays_text_and_inline_script_is_blocked(
    plant: SystemUnderTest, browser: Any
) -> None:
    page = _logged_in(browser, plant, "/settings")
    for name in INJECTIONS:
        phone = page.locator("input").and_(page.get_by_label(f"Téléphone {name}", exact=True))
        phone.hover()
        assert phone.get_attribute("onmouseover") is None
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss === undefined")
    assert page.evaluate("document.querySelectorAll('[onmouseover], [data-x]').length") == 0
    assert page.evaluate("window.__violations") == []
    # and were markup injected some day, the policy would not run its inline handler
    markup = '<img src="/x" onerror="window.__xss=3">'
    page.evaluate("m => document.body.insertAdjacentHTML('beforeend', m)", markup)
    page.wait_for_function("window.__violations.length > 0", timeout=5000)
    assert page.evaluate("window.__xss === undefined")
    assert page.dialogs == []
    page.context.close()


def test_the_settings_page_refuses_1e308_and_999(plant: SystemUnderTest, browser: Any) -> None:
    page = _logged_in(browser, plant, "/settings")
    delay = page.get_by_label("Relève : confirmation (s)", exact=True)
    page.get_by_text("Plage : 0 à 86400").first.wait_for()
    apply = page.get_by_role("button", name="Appliquer").first
    delay.fill("1e308")
    apply.click()
    page.get_by_text("replacement_confirm_s: Input should be less than or equal to 86400").wait_for()
    delay.fill("120")
    page.get_by_label("Consigne maximale (°C)", exact=True).fill("999")
    apply.click()
    page.get_by_text("setpoint_max_c: Input should be less than or equal to 110").wait_for()
    assert page.evaluate("window.__violations") == []
    page.context.close()
    assert not plant.cfg.data_path("settings-overrides.json").exists()  # nothing was saved
    _no_traceback(plant)


def _command(page: Any, button: str) -> str:
    outcome = page.locator(".hmi-command-outcome")
    before = outcome.text_content()
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_function(
        "b => document.querySelector('.hmi-command-outcome').textContent !== b", arg=before, timeout=15_000
    )
    return str(outcome.text_content())


def test_the_control_page_shows_the_outcome_of_every_command(plant: SystemUnderTest, browser: Any) -> None:
    page = _logged_in(browser, plant, "/control")
    assert _command(page, "Pompe 2") == "Commande confirmée par relecture (2)"
    page.get_by_label("Consigne ballon tampon (°C)", exact=True).fill("95")
    assert _command(page, "Envoyer") == "Hors limites [62.0 ; 85.0]"
    refused = _command(page, "Pompe 1")  # the bridge allows one duty write per hour here
    assert refused.startswith("Commande refusée : "), refused
    page.locator(".q-notification").filter(has_text=refused).wait_for()  # the notification too
    assert page.evaluate("window.__violations") == []
    page.context.close()
    _no_traceback(plant)


def test_the_history_export_downloaded_in_chromium_is_the_real_exports_french_csv(
    plant: SystemUnderTest, browser: Any, tmp_path: Path
) -> None:
    """The page's CSV comes from the historian's own export (issue 15, regression d: a browser
    test once asserted the header of a fake that the real export does not write)."""
    page = _logged_in(browser, plant, "/history")
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter CSV").click()
    path = tmp_path / "historique.csv"
    info.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == [text(f"history_{c}", "fr") for c in COLUMNS]
    assert rows[0][:2] == ["Date", "Type"]  # French first
    assert all(len(r) == len(COLUMNS) for r in rows[1:])
    page.context.close()
    _no_traceback(plant)
