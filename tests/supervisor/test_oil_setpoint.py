"""The oil boiler's own setpoint: below the buffer setpoint in top-up, the setpoint in replacement."""

from __future__ import annotations

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import CommandResult, CommandStatus, PlantMode
from chaufferie.supervisor.inputs import Signal
from tests.supervisor.rig import FAULT, SP, Rig, with_cascade

M = PlantMode


def _written(rig: Rig) -> list[object]:
    return [c.value for c in rig.commands(rig.cfg.io.oil_setpoint)]


def _topup(rig: Rig) -> Rig:
    rig.set(Signal.WOOD_MODULATION, 100).set(Signal.BUFFER_OUTLET, SP - 3).run(1200)
    assert rig.mode is M.WOOD_WITH_TOPUP
    return rig


def test_takeover_writes_the_buffer_setpoint_to_the_oil_boiler(config: PlantConfig) -> None:
    rig = Rig(config).run(5)
    assert _written(rig) == [], "not in control yet: nothing written"
    rig.healthy().run(60)
    assert _written(rig) == [SP]
    [command] = rig.commands(config.io.oil_setpoint)
    assert command.reason == "oil_setpoint"


def test_topup_lowers_the_oil_setpoint_by_the_offset_and_its_end_restores_it(config: PlantConfig) -> None:
    offset = config.cascade.topup_oil_setpoint_offset_k
    rig = _topup(Rig(config).healthy().run(1))
    assert _written(rig) == [SP, SP - offset]
    setpoint = rig.commands(config.io.oil_setpoint)[-1]
    enable = rig.commands(config.io.oil_enable)[-1]
    assert enable.value is True
    assert setpoint.time == enable.time, "written with the start, before the burner's start delay"
    rig.set(Signal.WOOD_MODULATION, 60).run(600)
    assert rig.mode is M.WOOD
    assert not rig.core.oil.on
    assert _written(rig) == [SP, SP - offset, SP]


def test_oil_keeps_the_lowered_setpoint_while_its_minimum_run_holds_it(config: PlantConfig) -> None:
    rig = _topup(Rig(with_cascade(config, topup_oil_setpoint_offset_k=4.0)).healthy().run(1))
    started_at = rig.t
    rig.set(Signal.WOOD_MODULATION, 60).set(Signal.BUFFER_OUTLET, SP).run(1)
    assert rig.mode is M.WOOD
    assert rig.core.oil.on
    rig.run_until(started_at + 599)
    assert _written(rig) == [SP, SP - 4.0]
    rig.run(1)
    assert _written(rig) == [SP, SP - 4.0, SP]


def test_topup_turning_into_replacement_gives_the_oil_boiler_the_full_setpoint(config: PlantConfig) -> None:
    rig = _topup(Rig(config).healthy().run(1)).clear()
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 4).run(120)
    assert rig.mode is M.OIL_REPLACEMENT
    assert _written(rig) == [SP]
    assert rig.commands(config.io.oil_enable) == [], "a handover, not a restart"


def test_oil_setpoint_follows_the_heating_curve_during_topup(config: PlantConfig) -> None:
    offset = config.cascade.topup_oil_setpoint_offset_k
    rig = _topup(Rig(config).healthy().run(1)).clear()
    rig.set(Signal.OUTDOOR, 4.55).run(10)  # 75.0 -> 74.5: exactly the step, no write
    assert _written(rig) == []
    rig.set(Signal.OUTDOOR, 4.7).run(10)  # -> 74.4
    assert _written(rig) == [round(74.4 - offset, 1)]
    assert [c.value for c in rig.commands(config.io.wood_setpoint)] == [74.4]


def test_refused_oil_setpoint_write_is_retried_after_the_retry_delay(config: PlantConfig) -> None:
    rig = _topup(Rig(config).healthy().run(1))
    command = rig.commands(config.io.oil_setpoint)[-1]
    rig.clear()
    refused = CommandResult(
        command_id=command.id,
        point=command.point,
        value=command.value,
        status=CommandStatus.REFUSED,
        time=command.time,
        message="rate limited",
    )
    rig.core.command_result(rig.t, refused)
    rig.run(config.cascade.command_retry_s - 1)
    assert _written(rig) == []
    rig.run(1)
    assert _written(rig) == [command.value]
