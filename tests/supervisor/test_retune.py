"""Cascade settings changed while running: read from the configuration in force, checked again."""

from __future__ import annotations

from datetime import time

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.live import ConfigRefused, LiveConfig
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, Channel, Context, OperatorAction, PlantEventKind
from chaufferie.supervisor.service import SupervisorService
from tests.supervisor.rig import Rig, with_cascade

TECH = Context(origin="hmi", user="julien", channel=Channel.HMI, address="127.0.0.1")


def test_a_new_pump_swap_time_is_aimed_at_from_now(config: PlantConfig) -> None:
    live = LiveConfig(config)
    rig = Rig(live, step_s=10).healthy().run(60)  # Tuesday 11:01 Paris; swap on Mondays 06:00
    live.replace("cascade", with_cascade(config, pump_swap_weekday=1, pump_swap_time=time(12, 0)).cascade)
    rig.run(3400)
    assert rig.events(PlantEventKind.PUMP_DUTY_SWAPPED) == []
    rig.run(300)  # past 12:00 local
    assert len(rig.events(PlantEventKind.PUMP_DUTY_SWAPPED)) == 1


def test_a_settings_record_on_the_bus_changes_nothing_only_the_configuration_in_force_does(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    live = LiveConfig(config, bus)
    service = SupervisorService(live, bus, clock)
    details = {"section": "cascade", "values": {"topup_drop_k": 4.0}}
    forged = OperatorAction(ActionKind.SETTING_CHANGED, clock.now(), TECH, "cascade", details=details)
    service.handle(forged)  # an audit record, whoever published it: not an order
    assert service.core.held.s.topup_drop_k == config.cascade.topup_drop_k
    with pytest.raises(ConfigRefused, match="setpoint_min_c"):
        live.replace("cascade", config.cascade.model_copy(update={"setpoint_min_c": 99.0}), TECH)
    assert service.cfg.cascade == config.cascade
    live.replace("cascade", config.cascade.model_copy(update={"topup_drop_k": 4.0}), TECH)
    service.evaluate_now()  # read at each evaluation
    assert service.core.held.s.topup_drop_k == 4.0
