"""The view model folds the bus: alarms by occurrence, who acknowledged, mode, oil role, counts."""

from __future__ import annotations

from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    OilRole,
    PlantEvent,
    PlantEventKind,
    PlantMode,
)
from chaufferie.hmi.viewmodel import PlantView

S = AlarmState


def transition(
    clock: VirtualClock,
    previous: AlarmState,
    state: AlarmState,
    context: Context | None = None,
    code: str = "FIO-REL",
    priority: int = 1,
) -> AlarmTransition:
    return AlarmTransition(
        code,
        f"occ-{code}",
        priority,
        previous,
        state,
        "t",
        clock.now(),
        True,
        context=context or Context(origin="alarms"),
    )


def test_acknowledgement_by_sms_link_is_shown_with_who_and_channel(
    config: PlantConfig, clock: VirtualClock
) -> None:
    view = PlantView(config)
    view.apply(transition(clock, S.NORMAL, S.UNACKED))
    assert view.unacked_by_priority() == {1: 1, 2: 0, 3: 0}
    by_link = Context(origin="ack-link", user="tech-martin", channel=Channel.LINK, address="203.0.113.9")
    view.apply(transition(clock, S.UNACKED, S.ACKED, by_link))
    row = view.alarms["occ-FIO-REL"]
    assert (row.state, row.acked_by, row.acked_via) == (S.ACKED, "tech-martin", "link")
    assert view.unacked_by_priority() == {1: 0, 2: 0, 3: 0}
    view.apply(transition(clock, S.ACKED, S.NORMAL))
    assert view.alarms == {}


def test_list_puts_unacknowledged_first_then_priority(config: PlantConfig, clock: VirtualClock) -> None:
    view = PlantView(config)
    view.apply(transition(clock, S.NORMAL, S.UNACKED, code="CEN-PLN", priority=3))
    view.apply(transition(clock, S.NORMAL, S.ACKED, code="CHB-DEF", priority=1))
    view.apply(transition(clock, S.NORMAL, S.UNACKED, code="SIL-BAS", priority=2))
    assert [r.code for r in view.sorted_alarms()] == ["SIL-BAS", "CEN-PLN", "CHB-DEF"]


def test_mode_and_oil_role_follow_the_supervisor(config: PlantConfig, clock: VirtualClock) -> None:
    view = PlantView(config)
    view.apply(PlantEvent(PlantEventKind.MODE_CHANGED, clock.now(), mode=PlantMode.OIL_REPLACEMENT))
    view.apply(
        PlantEvent(PlantEventKind.OIL_STARTED, clock.now(), "wood_fault", oil_role=OilRole.REPLACEMENT)
    )
    assert (view.mode, view.oil.role, view.oil.reason) == (
        PlantMode.OIL_REPLACEMENT,
        OilRole.REPLACEMENT,
        "wood_fault",
    )
    view.apply(PlantEvent(PlantEventKind.OIL_STOPPED, clock.now()))
    assert view.oil.role is None
