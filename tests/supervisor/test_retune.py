"""Cascade settings changed while running (HMI settings page): applied live, checked again."""

from __future__ import annotations

from datetime import time

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, Channel, Context, OperatorAction, PlantEventKind
from chaufferie.supervisor.service import SupervisorService
from tests.supervisor.rig import Rig, with_cascade


def _change(clock: VirtualClock, user: str | None, **values: object) -> OperatorAction:
    context = Context(origin="hmi", user=user, channel=Channel.HMI, address="127.0.0.1")
    details = {"section": "cascade", "values": values}
    return OperatorAction(ActionKind.SETTING_CHANGED, clock.now(), context, "cascade", details=details)


def test_a_new_pump_swap_time_is_aimed_at_from_now(config: PlantConfig) -> None:
    rig = Rig(config, step_s=10).healthy().run(60)  # Tuesday 11:01 Paris; swap on Mondays 06:00
    moved = with_cascade(config, pump_swap_weekday=1, pump_swap_time=time(12, 0)).cascade
    rig.core.retune(rig.t, moved)
    rig.run(3400)
    assert rig.events(PlantEventKind.PUMP_DUTY_SWAPPED) == []
    rig.run(300)  # past 12:00 local
    assert len(rig.events(PlantEventKind.PUMP_DUTY_SWAPPED)) == 1


def test_an_unidentified_or_incoherent_cascade_change_is_ignored(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    service = SupervisorService(config, bus, clock)
    service.handle(_change(clock, None, topup_drop_k=4.0))
    service.handle(_change(clock, "julien", setpoint_min_c=99.0))
    assert service.cfg.cascade == config.cascade
    service.handle(_change(clock, "julien", topup_drop_k=4.0))
    assert service.core.cascade.s.topup_drop_k == 4.0
    assert service.cfg.cascade.topup_drop_k == 4.0
