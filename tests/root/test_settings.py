"""Settings changed from the HMI take effect live and survive a restart (issue 9, item 8).

The change goes the way the settings page sends it (``hmi.settings_edit.apply`` with the root's
:class:`FileSettingsStore` injected), the supervisor and the alarms run on a real bus in
virtual time. Roles and audit of the page are the HMI's tests.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from chaufferie.alarms.service import AlarmService
from chaufferie.config import vocabulary as voc
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.live import LiveConfig
from chaufferie.config.plant import HeatingCurvePoint
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Command, Context, OperatorAction, PlantEvent, Scalar
from chaufferie.hmi import settings_edit
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.settings_store import FileSettingsStore, apply_saved_overrides, overrides_path
from chaufferie.supervisor.service import SupervisorService
from chaufferie.wiring import build_runtime
from tests.supervisor import test_service as supervisor_tests
from tests.supervisor.rig import FAULT, SP
from tests.support.hmi import access_layer

service = supervisor_tests.service  # the running supervisor (a fixture, same name for pytest)
live = supervisor_tests.live  # the configuration in force it reads (a fixture too)
_tag = supervisor_tests._tag
TECH = Context(origin="hmi", user="tech", channel=voc.Channel.HMI, address="127.0.0.1")
SECRETS = {
    "CHAUFFERIE_SECRET_KEY": "settings-test-signing-key-0123456789",
    "CHAUFFERIE_OPCUA_USER": "chaufferie",
    "CHAUFFERIE_OPCUA_PASSWORD": "settings-test-password",
}


def _raised_curve(cfg: PlantConfig, by_k: float) -> tuple[HeatingCurvePoint, ...]:
    return tuple(
        HeatingCurvePoint(outdoor_c=p.outdoor_c, setpoint_c=p.setpoint_c + by_k)
        for p in cfg.cascade.heating_curve
    )


@pytest.fixture
def hmi(config: PlantConfig, live: LiveConfig, bus: Bus, clock: VirtualClock, tmp_path: Path) -> HmiServices:
    config.data_path(".").mkdir(parents=True, exist_ok=True)
    auth = HmiAuthenticator(access_layer(config, bus, clock, tmp_path / "access", users={}))
    return HmiServices(live, bus, clock, auth, settings_store=FileSettingsStore(live))


def _setpoints(out: list[object], point: str) -> list[Scalar]:
    return [m.value for m in out if isinstance(m, Command) and m.point == point]


async def test_a_heating_curve_saved_from_the_hmi_changes_the_setpoint_the_supervisor_writes(
    hmi: HmiServices, service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(Command, name="test") as sub:
        await clock.advance(5)
        assert _setpoints(sub.drain(), config.io.wood_setpoint) == []  # steady on the old curve
        curve = _raised_curve(config, 5.0)
        outcome = await settings_edit.apply(hmi, "cascade", {"heating_curve": curve}, TECH)
        assert outcome.ok, outcome.message
        await clock.advance(2)
        assert _setpoints(sub.drain(), config.io.wood_setpoint) == [SP + 5.0]
    assert service.cfg.cascade.heating_curve == curve
    saved = json.loads(overrides_path(config).read_text(encoding="utf-8"))
    assert saved["cascade"]["heating_curve"][0]["setpoint_c"] == curve[0].setpoint_c


async def test_a_shorter_replacement_delay_applies_to_the_timer_already_running(
    hmi: HmiServices, service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(PlantEvent, name="test") as sub:
        bus.publish(_tag(clock, config.io.wood_state, FAULT))
        bus.publish(_tag(clock, config.io.buffer_outlet, SP - 5))
        await clock.advance(60)
        outcome = await settings_edit.apply(hmi, "cascade", {"replacement_confirm_s": 90.0}, TECH)
        assert outcome.ok, outcome.message
        await clock.advance(25)
        assert service.core.oil.role is None  # 85 s since the fault: not yet
        await clock.advance(8)  # 93 s: the fault's timer was kept, the new 90 s delay applies
        starts = [
            m for m in sub.drain() if isinstance(m, PlantEvent) and m.kind is voc.PlantEventKind.OIL_STARTED
        ]
    assert service.core.oil.role is voc.OilRole.REPLACEMENT
    assert len(starts) == 1


async def test_a_bad_value_is_refused_and_nothing_is_applied_or_saved(
    hmi: HmiServices, service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    store = hmi.settings_store
    assert store is not None
    before = service.cfg.cascade
    with bus.subscribe(Command, name="test") as sub:
        refused = await store.save("cascade", {"setpoint_min_c": 90.0}, TECH)
        assert not refused.ok
        assert "setpoint_min_c is above setpoint_max_c" in refused.message
        out_of_bounds = await store.save("cascade", {"topup_modulation_pct": 150}, TECH)
        assert not out_of_bounds.ok
        assert "topup_modulation_pct" in out_of_bounds.message
        unknown = await store.save("boiler", {"x": 1}, TECH)
        assert not unknown.ok
        assert "inconnue" in unknown.message
        await clock.advance(3)
        assert _setpoints(sub.drain(), config.io.wood_setpoint) == []
    assert service.cfg.cascade == before
    assert not overrides_path(config).exists()


async def test_overrides_survive_a_restart_and_a_damaged_section_is_skipped(
    config: PlantConfig, clock: VirtualClock
) -> None:
    config.data_path(".").mkdir(parents=True, exist_ok=True)
    store = FileSettingsStore(LiveConfig(config))
    newcomer = {"id": "tech-petit", "name": "Léa Petit", "phone": "+33645678901"}
    assert (await store.save("cascade", {"heating_curve": _raised_curve(config, 3.0)}, TECH)).ok
    assert (await store.save("cascade", {"topup_drop_k": 4.0}, TECH)).ok
    assert (await store.save("contacts", newcomer, TECH)).ok
    assert (await store.save("rota", {"cycle": ("tech-petit", "tech-martin")}, TECH)).ok
    assert not (await store.save("rota", {"cycle": ("nobody",)}, TECH)).ok  # unknown contact

    runtime = build_runtime(config, bus=Bus(), clock=clock, environ=SECRETS, with_hmi=False)
    cascade = runtime.supervisor.core.cfg.cascade
    assert cascade.topup_drop_k == 4.0
    assert cascade.heating_curve == _raised_curve(config, 3.0)
    assert runtime.alarms.cfg.rota is not None
    assert runtime.alarms.cfg.rota.cycle == ("tech-petit", "tech-martin")
    assert runtime.alarms.oncall is not None
    assert runtime.alarms.oncall.contact("tech-petit").name == "Léa Petit"
    runtime.alarms.store.close()
    runtime.historian.engine.dispose()

    path = overrides_path(config)
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["cascade"]["setpoint_min_c"] = 99.0  # no longer coherent: that section is skipped
    path.write_text(json.dumps(saved), encoding="utf-8")
    restarted, rejected = apply_saved_overrides(config)
    assert restarted.cascade == config.cascade
    assert restarted.rota is not None
    assert restarted.rota.cycle[0] == "tech-petit"
    assert rejected is not None
    assert "setpoint_min_c is above setpoint_max_c" in rejected.problems[0]
    assert json.loads(rejected.set_aside.read_text(encoding="utf-8")) == saved  # kept for the admin
    assert sorted(json.loads(path.read_text(encoding="utf-8"))) == ["contacts", "rota"]  # the good ones
    path.write_text("{not json", encoding="utf-8")
    assert apply_saved_overrides(config)[0] == config
    assert not path.exists()


async def test_a_rota_change_from_the_hmi_changes_who_is_on_call(
    hmi: HmiServices, config: PlantConfig, live: LiveConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with AlarmService(live, bus, clock) as alarms:
        task = asyncio.create_task(alarms.run())
        now = clock.now()
        first = alarms.on_call_now(now)[0].id
        other = next(c for c in config.rota.cycle if c != first) if config.rota else ""
        with bus.subscribe(OperatorAction, name="test") as sub:
            outcome = await settings_edit.apply(hmi, "rota", {"cycle": (other, first)}, TECH)
            assert outcome.ok, outcome.message
            await clock.advance(1)
            kinds = [m.kind for m in sub.drain() if isinstance(m, OperatorAction)]
        assert kinds == [voc.ActionKind.CONFIG_CHANGED]
        assert alarms.on_call_now(now)[0].id == other
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_heating_season_is_a_live_section_a_stop_equal_to_its_start_stores_nothing(
    hmi: HmiServices, live: LiveConfig, config: PlantConfig
) -> None:
    audit = hmi.bus.subscribe(OperatorAction, name="test.audit")
    refused = await settings_edit.apply(hmi, "season", {"start": "05-15", "stop": "05-15"}, TECH)
    assert not refused.ok
    assert "égal à start" in refused.message
    assert "stop equal to start" in refused.message
    assert live.current.season == config.season
    assert not overrides_path(config).exists()
    accepted = await settings_edit.apply(hmi, "season", {"stop": "05-15", "summer": "dhw_only"}, TECH)
    assert accepted.ok, accepted.message
    assert (live.current.season.stop, live.current.season.summer.value) == ("05-15", "dhw_only")
    saved = json.loads(overrides_path(config).read_text(encoding="utf-8"))
    assert saved == {"season": {"stop": "05-15", "summer": "dhw_only"}}
    restarted, rejected = apply_saved_overrides(config)
    assert rejected is None
    assert restarted.season == live.current.season
    actions = [a for a in audit.drain() if isinstance(a, OperatorAction)]
    assert [(a.kind, a.result.value, a.details["section"]) for a in actions] == [
        (voc.ActionKind.SETTING_CHANGED, "refused", "season"),
        (voc.ActionKind.SETTING_CHANGED, "ok", "season"),
    ]
