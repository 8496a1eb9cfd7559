"""A message's values are those of the reading that raised its alarm (or newer), never older."""

from __future__ import annotations

from chaufferie.alarms.service import AlarmService
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, TagValue
from tests.alarms.helpers import publish_tag, running, settle, with_providers
from tests.support.smtp_server import SmtpTestServer

MARTIN_MAIL = "julien.martin@example.org"


def _reading(bus: Bus, clock: VirtualClock, **values: float) -> None:
    """One PLC read: its points published one after the other, as the bridge does."""
    now = clock.now()
    bus.publish_many(TagValue(p.replace("__", "."), v, Quality.GOOD, now, now) for p, v in values.items())


async def test_fault_code_read_with_the_fault_state_is_the_one_in_the_email(
    config: PlantConfig, bus: Bus, clock: VirtualClock, smtp_server: SmtpTestServer
) -> None:
    cfg = with_providers(config, None, smtp_server.settings())
    async with running(AlarmService(cfg, bus, clock)) as service:
        _reading(bus, clock, wood__state=2, wood__fault_code=0, wood__outlet_temp=74.0)
        await settle(service, clock, 5)
        # the boiler's PLC block: state (register 0) turns to fault, fault code (register 1) to 6
        _reading(bus, clock, wood__state=6, wood__fault_code=6, wood__outlet_temp=73.5)
        await settle(service, clock, 5)
        [occ] = [o for o in service.engine.occurrences.values() if o.code == "CHB-DEF"]
        [mail] = smtp_server.texts_to(MARTIN_MAIL)
    assert occ.values["wood.fault_code"] == 6
    # the PLC's numbers in words: state 6 is "fault", fault code 6 "flue_high" (config/joucas.yaml)
    assert "Code défaut chaudière bois : fumées trop chaudes" in mail
    assert "Code défaut chaudière bois : aucun" not in mail
    assert "État chaudière bois : défaut" in mail  # the value that raised the alarm is in it too


async def test_a_reactivated_alarm_reports_its_new_values_not_the_last_ones(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        _reading(bus, clock, wood__fault_code=1, wood__state=6)
        await settle(service, clock, 5)
        publish_tag(bus, clock, "wood.state", 2)  # back to normal, not yet acknowledged
        await settle(service, clock, 5)
        _reading(bus, clock, wood__fault_code=4, wood__state=7)
        await settle(service, clock, 5)
        [occ] = [o for o in service.engine.occurrences.values() if o.code == "CHB-DEF"]
    assert occ.active
    assert occ.values["wood.fault_code"] == 4
    assert occ.values["wood.state"] == 7
