"""The settings page refuses infinity and absurd values, shows each field's range, survives
a saved overrides file that no longer validates, and never builds properties from data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaufferie.config.alarming import Contact
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.live import LiveConfig
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, OperatorAction, Role
from chaufferie.hmi import settings_edit
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator
from chaufferie.hmi.records import UserSession
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.settings_store import FileSettingsStore, apply_saved_overrides, overrides_path
from tests.hmi.conftest import login, simulated

INJECTIONS = ('x" onmouseover="window.__xss=1" data-x="', "');window.__xss=2//")


@pytest.fixture
def config(tmp_path: Path) -> PlantConfig:
    """The shipped plant, plus contacts whose names try to break out of an attribute."""
    cfg = load_config(default_config_path(), data_dir=str(tmp_path / "data"))
    crafted = tuple(Contact(id=f"crafted-{i}", name=name) for i, name in enumerate(INJECTIONS))
    return cfg.model_copy(update={"contacts": (*cfg.contacts, *crafted)})


def _refusals(sub) -> list[OperatorAction]:  # type: ignore[no-untyped-def]
    return [
        m
        for m in sub.drain()
        if isinstance(m, OperatorAction)
        and m.kind is ActionKind.SETTING_CHANGED
        and m.result is ActionResult.REFUSED
    ]


async def test_absurd_values_are_refused_with_the_range_shown(hmi_user, services: HmiServices) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    before = services.config
    async with hmi_user() as user:
        await login(user, "tech", path="/settings")
        delay = user.find(marker="set-replacement_confirm_s")
        assert [e.props["hint"] for e in delay.elements] == ["Plage : 0 à 86400"]
        limit = user.find(marker="set-setpoint_max_c")
        assert [e.props["hint"] for e in limit.elements] == ["Plage : 55 à 90"]  # the point map's bounds
        delay.clear().type("1e308")
        user.find(marker="cascade-save").click()
        await user.should_see(
            "Valeur invalide : replacement_confirm_s: Input should be less than or equal to 86400"
        )
        delay.clear().type("120")
        limit.clear().type("999")
        user.find(marker="cascade-save").click()
        await user.should_see("Valeur invalide : setpoint_max_c: Input should be less than or equal to 110")
        limit.clear().type("95")
        user.find(marker="cascade-save").click()
        await user.should_see("setpoint_max_c: outside the setpoints' write bounds [55, 90] (95.0)")
    assert services.config == before  # nothing put in force
    assert len(_refusals(audit)) == 3


@pytest.mark.parametrize("forged", [float("inf"), float("-inf"), float("nan"), "Infinity", "1e999"])
async def test_a_forged_value_is_refused_however_it_reaches_the_handler(
    services: HmiServices, forged: object
) -> None:
    """What a crafted browser event could hand to the save handler, past the input."""
    context = services.context(UserSession("tech", Role.TECHNICIAN, "t"), "127.0.0.1")
    before = services.config
    outcome = await settings_edit.apply(services, "cascade", {"replacement_confirm_s": forged}, context)
    assert not outcome.ok
    assert outcome.message.startswith("replacement_confirm_s: Input should be a finite number")
    assert services.config == before  # nothing put in force


async def test_a_contact_name_is_a_value_never_markup(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "admin", path="/settings")
        for i, name in enumerate(INJECTIONS):
            for kind, label in (("phone", "Téléphone"), ("email", "Courriel")):
                (element,) = user.find(marker=f"{kind}-crafted-{i}").elements
                assert element.props["aria-label"] == f"{label} {name}"
                assert not [k for k in element.props if k.lower().startswith("on") or k == "data-x"]


async def test_an_overrides_file_holding_infinity_is_set_aside_and_the_page_opens(
    config: PlantConfig, bus: Bus, hmi_clock: VirtualClock, access: AccessServices
) -> None:
    path = overrides_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cascade": {"replacement_confirm_s": float("inf")}}), encoding="utf-8")
    cfg, rejected = apply_saved_overrides(config, hmi_clock.now())
    assert cfg.cascade == config.cascade
    assert rejected is not None
    assert rejected.set_aside.name == "settings-overrides.rejected-20260112T020000Z.json"
    assert "Infinity" in rejected.set_aside.read_text(encoding="utf-8")  # kept for the administrator
    assert not path.exists()
    live = LiveConfig(cfg, bus)
    store = FileSettingsStore(live, rejected=rejected)
    services = HmiServices(live, bus, hmi_clock, HmiAuthenticator(access), settings_store=store)
    async with simulated(services) as user:
        await login(user, "tech", path="/settings")
        await user.should_see(marker="cascade-save")
        await user.should_see("mis de côté dans settings-overrides.rejected-20260112T020000Z.json")
        await user.should_see("replacement_confirm_s: Input should be a finite number")
