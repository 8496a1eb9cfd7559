"""Manual mode: who may force a mode, what it forces, expiry, release and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    OilRole,
    OperatorAction,
    PlantEventKind,
    PlantMode,
    Role,
)
from chaufferie.supervisor.inputs import Signal
from tests.supervisor.rig import FAULT, SP, Rig

M = PlantMode


def _rig(config: PlantConfig) -> Rig:
    return Rig(config).healthy().run(1).clear()


def _force(rig: Rig, mode: PlantMode | None, role: Role | None = Role.TECHNICIAN, **kw: Any) -> Rig:
    return rig.manual(mode, role, **kw)


def _audits(rig: Rig) -> list[OperatorAction]:
    return [d for d in rig.decisions if isinstance(d, OperatorAction)]


def test_technician_forces_oil_replacement_and_it_is_audited_once_by_the_supervisor(
    config: PlantConfig,
) -> None:
    rig = _force(_rig(config), M.OIL_REPLACEMENT, duration_s=1800).run(1)
    [record] = _audits(rig)
    assert (record.kind, record.result, record.target) == (
        ActionKind.MANUAL_MODE,
        ActionResult.OK,
        "supervisor",
    )
    assert record.details == {"mode": "oil_replacement", "duration_s": 1800, "role": "technician"}
    assert (record.context.user, record.context.origin) == ("julien", "supervisor")
    [change] = rig.events(PlantEventKind.MODE_CHANGED)
    assert (change.mode, change.previous_mode, change.reason) == (M.MANUAL, M.WOOD, "manual")
    assert change.values == {"forced": "oil_replacement", "duration_s": 1800, "user": "julien"}
    assert change.context.user == "julien"
    assert change.context.parent_id is not None
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason, start.context.user) == (OilRole.REPLACEMENT, "manual", "julien")
    assert [c.value for c in rig.commands(config.io.oil_enable)] == [True]


@pytest.mark.parametrize(
    ("role", "mode", "duration_s", "reason"),
    [
        (Role.OPERATOR, M.OIL_REPLACEMENT, None, "not_authorised"),
        (Role.VIEWER, M.WOOD, None, "not_authorised"),
        (Role.TECHNICIAN, M.MANUAL, None, "invalid_request"),
        (Role.TECHNICIAN, M.DEGRADED, None, "invalid_request"),
        (Role.ADMIN, M.WOOD, -5.0, "invalid_request"),
        (Role.ADMIN, M.WOOD, float("nan"), "invalid_request"),
    ],
)
def test_refused_requests_change_nothing_and_are_audited(
    config: PlantConfig, role: Role, mode: PlantMode, duration_s: float | None, reason: str
) -> None:
    rig = _force(_rig(config), mode, role, duration_s=duration_s).run(10)
    assert rig.mode is M.WOOD
    assert rig.oil_starts() == []
    [refusal] = _audits(rig)
    assert refusal.result is ActionResult.REFUSED
    assert refusal.details["reason"] == reason
    assert refusal.context.origin == "supervisor"
    assert refusal.context.user == "julien"


def test_manual_mode_expires_after_its_duration(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.OIL_REPLACEMENT, duration_s=1200).run(1199)
    assert rig.mode is M.MANUAL
    rig.run(1)
    assert rig.modes()[-1] == (M.WOOD, "manual_expired")
    [stop] = rig.events(PlantEventKind.OIL_STOPPED)
    assert (stop.oil_role, stop.reason) == (OilRole.REPLACEMENT, "manual_expired")


def test_manual_duration_is_capped_by_the_setting(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.WOOD, duration_s=10 * 86400)
    rig.step_s = 60
    rig.run(config.cascade.manual_mode_max_s - 60)
    assert rig.mode is M.MANUAL
    rig.run(60)
    assert rig.modes()[-1] == (M.WOOD, "manual_expired")


def test_release_returns_to_automatic_and_the_cascade_resumes(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.WOOD).run(10)
    rig.set(Signal.WOOD_STATE, FAULT).set(Signal.BUFFER_OUTLET, SP - 5).run(600)
    assert rig.mode is M.MANUAL, "manual mode holds the operator's choice"
    assert rig.oil_starts() == []
    _force(rig, None).run(1)
    assert rig.modes()[-2:] == [(M.WOOD, "manual_released"), (M.OIL_REPLACEMENT, "wood_fault")]
    [start] = rig.oil_starts()
    assert (start.oil_role, start.reason) == (OilRole.REPLACEMENT, "wood_fault")


def test_forced_stop_disables_the_wood_boiler(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.STOPPED).run(5)
    assert [c.value for c in rig.commands(config.io.wood_enable)] == [False]
    _force(rig, None).run(1)
    assert [c.value for c in rig.commands(config.io.wood_enable)] == [False, True]


def test_release_without_manual_mode_changes_nothing_but_is_audited(config: PlantConfig) -> None:
    rig = _force(_rig(config), None).run(5)
    [record] = _audits(rig)
    assert (record.result, record.details["mode"]) == (ActionResult.OK, "auto")
    assert rig.decisions == [record]


def test_a_request_without_a_stated_role_is_obeyed_for_an_identified_user(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.OIL_REPLACEMENT, None).run(10)
    assert rig.modes() == [(M.MANUAL, "manual")]
    assert rig.core.oil.role is OilRole.REPLACEMENT
    _force(rig, None, None).run(1)
    assert rig.modes()[-1] == (M.WOOD, "manual_released")


def test_anonymous_action_without_role_is_refused(config: PlantConfig) -> None:
    rig = _force(_rig(config), M.OIL_REPLACEMENT, None, user=None).run(5)
    assert rig.mode is M.WOOD
    [refusal] = _audits(rig)
    assert refusal.details["reason"] == "not_authorised"
