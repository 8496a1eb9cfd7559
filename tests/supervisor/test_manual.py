"""Manual mode: who may force a mode, what it forces, expiry, release and the audit trail."""

from __future__ import annotations

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    OilRole,
    OperatorAction,
    PlantEventKind,
    PlantMode,
)
from chaufferie.supervisor.inputs import Signal
from tests.supervisor.rig import FAULT, SP, Rig

M = PlantMode


def _rig(config: PlantConfig) -> Rig:
    return Rig(config).healthy().run(1).clear()


def _force(rig: Rig, role: str | None = "technician", **details: object) -> Rig:
    return rig.operator(ActionKind.MANUAL_MODE, role, **details)


def test_technician_forces_oil_replacement_and_it_is_audited(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="oil_replacement", duration_s=1800).run(1)
    [change] = rig.events(PlantEventKind.MODE_CHANGED)
    assert (change.mode, change.previous_mode, change.reason) == (M.MANUAL, M.WOOD, "manual")
    assert change.values == {"forced": "oil_replacement", "duration_s": 1800, "user": "julien"}
    assert change.context.user == "julien"
    assert change.context.parent_id is not None
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason, start.context.user) == (OilRole.REPLACEMENT, "manual", "julien")
    assert [c.value for c in rig.commands(config.io.oil_enable)] == [True]


@pytest.mark.parametrize(
    ("role", "details", "reason"),
    [
        ("operator", {"mode": "oil_replacement"}, "not_authorised"),
        ("viewer", {"mode": "wood"}, "not_authorised"),
        ("", {"mode": "wood"}, "not_authorised"),
        ("technician", {"mode": "turbo"}, "invalid_request"),
        ("admin", {"mode": "wood", "duration_s": -5}, "invalid_request"),
        ("admin", {"mode": "wood", "duration_s": "soon"}, "invalid_request"),
    ],
)
def test_refused_requests_change_nothing_and_are_audited(
    config: PlantConfig, role: str, details: dict[str, object], reason: str
) -> None:
    rig = _force(_rig(config), role, **details).run(10)
    assert rig.mode is M.WOOD
    assert rig.oil_starts() == []
    [refusal] = [d for d in rig.decisions if isinstance(d, OperatorAction)]
    assert refusal.result is ActionResult.REFUSED
    assert refusal.details["reason"] == reason
    assert refusal.context.origin == "supervisor"
    assert refusal.context.user == "julien"


def test_manual_mode_expires_after_its_duration(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="oil_replacement", duration_s=1200).run(1199)
    assert rig.mode is M.MANUAL
    rig.run(1)
    assert rig.modes()[-1] == (M.WOOD, "manual_expired")
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert (stop.oil_role, stop.reason) == (OilRole.REPLACEMENT, "manual_expired")


def test_manual_duration_is_capped_by_the_setting(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="wood", duration_s=10 * 86400)
    rig.step_s = 60
    rig.run(config.cascade.manual_mode_max_s - 60)
    assert rig.mode is M.MANUAL
    rig.run(60)
    assert rig.modes()[-1] == (M.WOOD, "manual_expired")


def test_release_returns_to_automatic_and_the_cascade_resumes(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="wood").run(10)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(600)
    assert rig.mode is M.MANUAL, "manual mode holds the operator's choice"
    assert rig.oil_starts() == []
    _force(rig, mode="auto").run(1)
    assert rig.modes()[-2:] == [(M.WOOD, "manual_released"), (M.OIL_REPLACEMENT, "wood_fault")]
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason) == (OilRole.REPLACEMENT, "wood_fault")


def test_forced_stop_disables_the_wood_boiler(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="stopped").run(5)
    assert [c.value for c in rig.commands(config.io.wood_enable)] == [False]
    _force(rig, mode="auto").run(1)
    assert [c.value for c in rig.commands(config.io.wood_enable)] == [False, True]


def test_release_without_manual_mode_does_nothing(config: PlantConfig) -> None:
    rig = _force(_rig(config), mode="auto").run(5)
    assert rig.decisions == []


def test_hmi_words_without_a_stated_role_are_obeyed_for_an_identified_user(config: PlantConfig) -> None:
    rig = _force(_rig(config), None, mode="force_oil_replacement").run(10)
    assert rig.modes() == [(M.MANUAL, "manual")]
    assert rig.core.oil.role is OilRole.REPLACEMENT
    _force(rig, None, mode="release").run(1)
    assert rig.modes()[-1] == (M.WOOD, "manual_released")


def test_anonymous_action_without_role_is_refused(config: PlantConfig) -> None:
    rig = _rig(config).operator(ActionKind.MANUAL_MODE, None, user=None, mode="oil_replacement").run(5)
    assert rig.mode is M.WOOD
    [refusal] = [d for d in rig.decisions if isinstance(d, OperatorAction)]
    assert refusal.details["reason"] == "not_authorised"
