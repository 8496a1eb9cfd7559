"""The chain in virtual time: simulator physics → supervisor → alarms → Twilio and SMTP on loopback.

The plant model (``simulations.Plant``) runs a named scenario; a small stand-in of the PLC
bridge at the edge turns its values into :class:`TagValue` s and the supervisor's
:class:`Command` s into writes (the real bridge, over Modbus and OPC UA, has its own tests).
The real :class:`SupervisorService` decides the oil start, the real :class:`AlarmService`
sends it through the official twilio client to the stand-in and through aiosmtplib to aiosmtpd.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chaufferie.alarms.rota import OnCall
from chaufferie.alarms.service import AlarmService
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    Command,
    CommandResult,
    CommandStatus,
    Quality,
    TagValue,
)
from chaufferie.simulations.plant import Plant
from chaufferie.supervisor.service import SupervisorService
from tests.alarms.helpers import with_providers
from tests.support.smtp_server import SmtpTestServer
from tests.support.twilio_standin import TwilioStandIn

STEP_S = 10.0


class PlantEdge:
    """The PLC bridge's part at the edge: model values out, commands in (confirmed by read-back)."""

    def __init__(self, plant: Plant, bus: Bus, clock: VirtualClock) -> None:
        self.plant, self.bus, self.clock = plant, bus, clock
        self.commands = bus.subscribe(Command, name="plant-edge")

    def publish(self) -> None:
        now = self.clock.now()
        bad = self.plant.bad_points()
        for name, value in self.plant.snapshot().items():
            quality = Quality.BAD if name in bad else Quality.GOOD
            self.bus.publish(TagValue(name, value, quality, now, now))

    def execute(self) -> None:
        for cmd in self.commands.drain():
            assert isinstance(cmd, Command)
            ok = self.plant.write(cmd.point, cmd.value)
            self.bus.publish(
                CommandResult(
                    cmd.id,
                    cmd.point,
                    cmd.value,
                    CommandStatus.CONFIRMED if ok else CommandStatus.REFUSED,
                    self.clock.now(),
                    readback=self.plant.read(cmd.point) if ok else None,
                    context=cmd.context.child("plant-edge"),
                )
            )


async def run_until_oil(
    cfg: PlantConfig, scenario: str, code: str, clock: VirtualClock, max_hours: float
) -> tuple[AlarmTransition, list[AlarmTransition]]:
    """Run ``scenario`` until alarm ``code`` is raised, then 10 more minutes; its transition."""
    bus = Bus()
    plant = Plant(cfg)
    plant.apply_scenario(scenario)
    edge = PlantEdge(plant, bus, clock)
    tap = bus.subscribe(AlarmTransition, name="test-tap")
    edge.publish()
    seen: list[AlarmTransition] = []
    raised: AlarmTransition | None = None
    async with SupervisorService(cfg, bus, clock) as supervisor, AlarmService(cfg, bus, clock) as alarms:
        tasks = [asyncio.create_task(supervisor.run()), asyncio.create_task(alarms.run())]
        try:
            steps_after = 0
            for _ in range(int(max_hours * 3600 / STEP_S)):
                plant.step(STEP_S)
                edge.publish()
                await clock.advance(STEP_S)
                edge.execute()
                await alarms.outbox.settled()
                seen += [t for t in tap.drain() if isinstance(t, AlarmTransition)]
                raised = raised or next((t for t in seen if t.code == code), None)
                if raised is not None:
                    steps_after += 1
                    if steps_after * STEP_S >= 600:
                        break
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert raised is not None, f"{code} not raised within {max_hours} h of {scenario}"
    return raised, seen


def _oil_starts(seen: list[AlarmTransition]) -> list[str]:
    return [t.code for t in seen if t.code.startswith("FIO-") and t.previous is AlarmState.NORMAL]


@pytest.fixture
def providers(config: PlantConfig, twilio_standin: TwilioStandIn, smtp_server: SmtpTestServer) -> PlantConfig:
    sms = TwilioSettings(from_number="+33700000000", api_base_url=twilio_standin.base_url)
    return with_providers(config, sms, smtp_server.settings())


def _oil_messages(
    cfg: PlantConfig, raised: AlarmTransition, twilio: TwilioStandIn, smtp: SmtpTestServer, word: str
) -> tuple[list[str], list[str]]:
    """The SMS and emails containing ``word`` received by whoever was on call when it was raised."""
    assert cfg.rota is not None
    duty = OnCall(cfg.rota, cfg.contacts, ZoneInfo(cfg.site.timezone)).at(raised.time)
    contact = cfg.contact(duty.on_call)
    assert contact.phone is not None
    assert contact.email is not None
    sms = [b for b in twilio.bodies_to(contact.phone) if word in b.lower()]
    mails = [t for t in smtp.texts_to(contact.email) if word in t.lower()]
    others = [m.body for m in twilio.messages if m.to != contact.phone and word in m.body.lower()]
    assert others == []
    return sms, mails


@pytest.mark.slow
async def test_wood_fault_scenario_sends_exactly_one_releve_sms_and_email(
    providers: PlantConfig, twilio_standin: TwilioStandIn, smtp_server: SmtpTestServer
) -> None:
    clock = VirtualClock(datetime(2026, 1, 12, 1, 0, tzinfo=UTC))  # 02:00 in Paris, Monday
    raised, seen = await run_until_oil(providers, "wood-fault", "FIO-REL", clock, max_hours=4)
    assert raised.state is AlarmState.UNACKED
    assert "RELÈVE" in raised.message
    assert _oil_starts(seen) == ["FIO-REL"]
    sms, mails = _oil_messages(providers, raised, twilio_standin, smtp_server, "relève")
    assert len(sms) == 1
    assert len(mails) == 1


@pytest.mark.slow
async def test_cold_snap_scenario_sends_exactly_one_appoint_sms_and_email(
    providers: PlantConfig, twilio_standin: TwilioStandIn, smtp_server: SmtpTestServer
) -> None:
    clock = VirtualClock(datetime(2026, 1, 12, 1, 0, tzinfo=UTC))
    raised, seen = await run_until_oil(providers, "cold-snap", "FIO-APP", clock, max_hours=30)
    assert "APPOINT" in raised.message
    assert _oil_starts(seen) == ["FIO-APP"]
    sms, mails = _oil_messages(providers, raised, twilio_standin, smtp_server, "appoint")
    assert len(sms) == 1
    assert len(mails) == 1
