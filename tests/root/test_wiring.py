"""The composition root's helper turns a historian spool overflow into the HIS-PER alarm.

This checks the helper only. Whether ``build_runtime`` actually hands it the running alarms
is checked through the wiring in ``test_runtime.py`` (today it does not: a strict xfail there).
"""

from __future__ import annotations

from chaufferie.alarms.service import AlarmService
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmTransition
from chaufferie.wiring import _records_lost


async def test_lost_history_records_raise_his_per_once(config: PlantConfig, clock: VirtualClock) -> None:
    bus = Bus()
    transitions = bus.subscribe(AlarmTransition)
    config.data_path(".").mkdir(parents=True, exist_ok=True)
    alarms = AlarmService(config, bus, clock)
    _records_lost([alarms], 1200)
    raised = [t for t in transitions.drain() if isinstance(t, AlarmTransition) and t.code == "HIS-PER"]
    assert raised, "HIS-PER not raised"
    assert raised[0].priority == 2
    assert len({t.occurrence_id for t in raised}) == 1
    assert not raised[-1].active  # a pulse: it waits for acknowledgement, not for a clear
