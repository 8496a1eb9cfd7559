"""Oil boiler protections (min run, min off, starts per hour) and wood restarts per 24 h."""

from __future__ import annotations

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import OilRole, PlantEventKind, PlantMode
from chaufferie.supervisor.inputs import Signal
from tests.supervisor.rig import FAULT, LOCKOUT, RUNNING, SP, Rig, with_cascade

M = PlantMode


def _topup_then_end(rig: Rig) -> Rig:
    rig.set(Signal.WOOD_MODULATION, 100).set(Signal.BUFFER_OUTLET, SP - 3).run(1200)
    assert rig.mode is M.WOOD_WITH_TOPUP
    return rig.set(Signal.WOOD_MODULATION, 60)


def test_oil_runs_at_least_min_run_after_a_start(config: PlantConfig) -> None:
    rig = _topup_then_end(Rig(config).healthy().run(1)).run(1)
    assert rig.mode is M.WOOD  # top-up over at once: modulation < 80 %
    started_at = rig.oil_starts()[0].time
    rig.clear().run_until(rig.core.base.to_s(started_at) + 599)
    assert rig.events(PlantEventKind.OIL_STOPPED) == []
    assert rig.core.oil.on
    rig.run(1)
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert (stop.time - started_at).total_seconds() == 600
    assert stop.reason == "wood_modulation_low"
    assert [c.value for c in rig.commands(config.io.oil_enable)] == [False]


def test_oil_stays_off_at_least_min_off_before_a_restart(config: PlantConfig) -> None:
    rig = _topup_then_end(Rig(config).healthy().run(1)).run(600)
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    rig.clear().set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(120)
    assert rig.mode is M.OIL_REPLACEMENT
    assert rig.oil_starts() == [], "min off not over"
    rig.run_until(rig.core.base.to_s(stop.time) + 599)
    assert rig.oil_starts() == []
    rig.run(1)
    [start] = rig.oil_starts()
    assert (start.time - stop.time).total_seconds() == 600
    assert (start.oil_role, start.reason) == (OilRole.REPLACEMENT, "wood_fault")


def _force(rig: Rig, mode: str, duration_s: float = 3600) -> Rig:
    return rig.manual(PlantMode(mode), duration_s=duration_s)


def test_at_most_four_oil_starts_in_any_hour(config: PlantConfig) -> None:
    cfg = with_cascade(config, oil_min_run_s=60, oil_min_off_s=60)
    rig = Rig(cfg).healthy().run(1)
    for _ in range(6):
        _force(rig, "oil_replacement").run(60)
        _force(rig, "wood").run(60)
    starts = [rig.core.base.to_s(e.time) for e in rig.oil_starts()]
    assert starts == [1, 121, 241, 361], "the 5th start waits for the hour"
    _force(rig, "oil_replacement").run_until(3600)
    assert len(rig.oil_starts()) == 4
    rig.run(1)
    assert [rig.core.base.to_s(e.time) for e in rig.oil_starts()][-1] == 3601
    assert rig.core.oil.starts_last_hour(3601) == 4


def test_wood_fault_is_reset_at_most_six_times_in_24_hours(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).set(Signal.WOOD_STATE, FAULT).run(300 * 8)
    resets = rig.commands(config.io.wood_fault_reset)
    assert [rig.core.base.to_s(c.time) for c in resets] == [301, 601, 901, 1201, 1501, 1801]
    assert all(c.value is True for c in resets)
    assert len(rig.events(PlantEventKind.WOOD_RESTART)) == 6
    [exhausted] = rig.events(PlantEventKind.WOOD_RESTARTS_EXHAUSTED)
    assert exhausted.reason == "wood_restarts_exhausted"
    assert exhausted.values["restarts_24h"] == 6
    rig.clear().step_s = 60
    rig.run_until(301 + 86400 - 60)
    assert rig.commands(config.io.wood_fault_reset) == []
    rig.run(60)
    assert len(rig.commands(config.io.wood_fault_reset)) == 1, "the first reset left the 24 h window"


def test_restart_waits_for_the_restart_delay(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).set(Signal.WOOD_STATE, FAULT).run(299)
    assert rig.commands(config.io.wood_fault_reset) == []
    rig.set(Signal.WOOD_STATE, RUNNING).run(10).set(Signal.WOOD_STATE, FAULT).run(299)
    assert rig.commands(config.io.wood_fault_reset) == []


def test_lockout_is_never_reset_by_the_supervisor(config: PlantConfig) -> None:
    rig = Rig(config).healthy().run(1).set(Signal.WOOD_STATE, LOCKOUT).run(3600)
    assert rig.commands(config.io.wood_fault_reset) == []


def test_restart_opens_a_new_startup_grace(config: PlantConfig) -> None:
    from tests.supervisor.rig import IGNITION

    rig = Rig(config).healthy().run(1).set(Signal.WOOD_STATE, FAULT).run(300)
    assert len(rig.commands(config.io.wood_fault_reset)) == 1
    rig.set(Signal.WOOD_STATE, IGNITION).set(Signal.BUFFER_OUTLET, SP - 5).run(1800)
    assert rig.mode is M.WOOD, "within the grace after the restart"
    rig.run(122)
    assert rig.modes()[-1] == (M.OIL_REPLACEMENT, "start_timeout")


def test_oil_found_enabled_at_takeover_is_adopted_not_restarted(config: PlantConfig) -> None:
    rig = Rig(config).healthy().set(Signal.OIL_ENABLE, True).run(1)
    assert rig.oil_starts() == []
    assert rig.core.oil.on
    rig.run_until(599)
    assert rig.events(PlantEventKind.OIL_STOPPED) == [], "minimum run from the takeover"
    rig.run(1)
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert stop.reason == "supervisor_start"


def test_oil_adopted_during_a_wood_fault_stays_on_as_replacement(config: PlantConfig) -> None:
    rig = Rig(config).healthy(outlet=SP - 5).set(Signal.WOOD_STATE, FAULT).set(Signal.OIL_ENABLE, True)
    rig.run(300)
    assert rig.mode is M.OIL_REPLACEMENT
    assert rig.core.oil.role is OilRole.REPLACEMENT
    assert rig.oil_starts() == []
    assert rig.events(PlantEventKind.OIL_STOPPED) == []
