"""Notifications through the real twilio client and aiosmtplib, against loopback stand-ins."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxStatus
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    NotificationRecord,
    NotificationStatus,
    OilRole,
    PlantEvent,
    PlantEventKind,
)
from tests.alarms.helpers import TECH, publish_tag, running, settle, with_providers
from tests.support.plc import eventually
from tests.support.smtp_server import SmtpTestServer
from tests.support.twilio_standin import TwilioStandIn

MARTIN, BERNARD, DUBOIS = "+33612345678", "+33623456789", "+33634567890"
MARTIN_MAIL = "julien.martin@example.org"


@pytest.fixture
def providers(config: PlantConfig, twilio_standin: TwilioStandIn, smtp_server: SmtpTestServer) -> PlantConfig:
    sms = TwilioSettings(from_number="+33700000000", api_base_url=twilio_standin.base_url)
    return with_providers(config, sms, smtp_server.settings())


def oil_start(clock: VirtualClock, role: OilRole, reason: str) -> PlantEvent:
    return PlantEvent(
        PlantEventKind.OIL_STARTED,
        clock.now(),
        reason=reason,
        oil_role=role,
        values={"buffer.temp_top": 71.0},
    )


async def test_oil_replacement_sends_one_sms_and_one_email_saying_releve(
    providers: PlantConfig,
    bus: Bus,
    clock: VirtualClock,
    twilio_standin: TwilioStandIn,
    smtp_server: SmtpTestServer,
) -> None:
    async with running(AlarmService(providers, bus, clock)) as service:
        bus.publish(oil_start(clock, OilRole.REPLACEMENT, "ignition_failure"))
        await settle(service, clock, 60)
    [sms] = twilio_standin.bodies_to(MARTIN)
    assert "relève" in sms
    assert "échec d'allumage" in sms
    assert len(sms) <= 160
    [mail] = smtp_server.texts_to(MARTIN_MAIL)
    assert "RELÈVE" in mail
    assert "ballon 71 °C" in mail
    assert smtp_server.messages[0].get_body(preferencelist=("html",)) is not None
    assert twilio_standin.bodies_to(BERNARD) == []


async def test_oil_top_up_in_working_hours_says_appoint(
    providers: PlantConfig, bus: Bus, twilio_standin: TwilioStandIn, smtp_server: SmtpTestServer
) -> None:
    clock = VirtualClock(datetime(2026, 1, 9, 9, 0, tzinfo=UTC))  # Friday 10:00 in Paris
    async with running(AlarmService(providers, bus, clock)) as service:
        bus.publish(oil_start(clock, OilRole.TOP_UP, "wood_insufficient"))
        await settle(service, clock, 5)
    [sms] = twilio_standin.bodies_to(MARTIN)
    assert "appoint" in sms
    [mail] = smtp_server.texts_to(MARTIN_MAIL)
    assert "APPOINT" in mail


async def test_escalation_reaches_second_at_15_and_manager_at_30_then_stops_on_ack(
    providers: PlantConfig, bus: Bus, clock: VirtualClock, twilio_standin: TwilioStandIn
) -> None:
    async with running(AlarmService(providers, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 1)
        assert [len(twilio_standin.bodies_to(n)) for n in (MARTIN, BERNARD, DUBOIS)] == [1, 0, 0]
        await settle(service, clock, 14 * 60 - 2, step=30)
        assert [len(twilio_standin.bodies_to(n)) for n in (MARTIN, BERNARD, DUBOIS)] == [1, 0, 0]
        await settle(service, clock, 62, step=1)
        assert [len(twilio_standin.bodies_to(n)) for n in (MARTIN, BERNARD, DUBOIS)] == [2, 1, 0]
        await settle(service, clock, 15 * 60, step=30)
        assert [len(twilio_standin.bodies_to(n)) for n in (MARTIN, BERNARD, DUBOIS)] == [2, 1, 1]
        [view] = service.operations.active()
        assert view.recipients == ("tech-martin", "tech-bernard", "mgr-dubois")
        await service.operations.acknowledge(view.occurrence_id, TECH)
        await settle(service, clock, 3600, step=60)
    assert [len(twilio_standin.bodies_to(n)) for n in (MARTIN, BERNARD, DUBOIS)] == [2, 1, 1]


async def test_twilio_500_then_201_delivers_one_sms_without_duplicate(
    providers: PlantConfig, bus: Bus, clock: VirtualClock, twilio_standin: TwilioStandIn
) -> None:
    records = bus.subscribe(NotificationRecord)
    twilio_standin.fail_next(1)
    async with running(AlarmService(providers, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 120)
    assert len(twilio_standin.bodies_to(MARTIN)) == 1
    sms = [m for m in records.drain() if isinstance(m, NotificationRecord) and m.channel == "sms"]
    assert [m.status for m in sms] == [
        NotificationStatus.QUEUED,
        NotificationStatus.RETRYING,
        NotificationStatus.SENT,
    ]
    assert "http" not in sms[-1].body  # the acknowledgement link is a credential: not in the history


async def test_twilio_down_for_good_falls_back_to_email_and_raises_notdef(
    providers: PlantConfig,
    bus: Bus,
    clock: VirtualClock,
    twilio_standin: TwilioStandIn,
    smtp_server: SmtpTestServer,
) -> None:
    transitions = bus.subscribe(AlarmTransition)
    twilio_standin.down = True
    async with running(AlarmService(providers, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 400, step=5)
    assert twilio_standin.messages == []
    assert twilio_standin.requests >= providers.notifiers.max_attempts
    subjects = [str(m["Subject"]) for m in smtp_server.messages if MARTIN_MAIL in str(m["To"])]
    assert any("SMS non délivré" in s for s in subjects)
    [notdef] = [
        t
        for t in transitions.drain()
        if isinstance(t, AlarmTransition) and t.code == "NOT-DEF" and t.state is AlarmState.UNACKED
    ]
    assert notdef.message.startswith("Échec d'envoi des notifications : SMS à Julien Martin non délivré (")


async def test_smtp_down_is_retried_and_delivered_once_when_back(
    providers: PlantConfig, bus: Bus, clock: VirtualClock, smtp_server: SmtpTestServer
) -> None:
    smtp_server.stop()
    async with running(AlarmService(providers, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 35)
        [item] = [i for i in service.outbox.pending() if i.channel == "email"]
        assert item.status is OutboxStatus.RETRYING
        assert item.attempts >= 2
        smtp_server.start()
        await settle(service, clock, 120)
    assert len(smtp_server.texts_to(MARTIN_MAIL)) == 1


async def test_killed_between_send_and_mark_sent_does_not_send_twice(
    providers: PlantConfig, bus: Bus, clock: VirtualClock, twilio_standin: TwilioStandIn, tmp_path: Path
) -> None:
    twilio_standin.hold_s = 0.3
    service = AlarmService(providers, bus, clock)
    async with service:
        task = asyncio.create_task(service.run())
        publish_tag(bus, clock, "wood.state", 7)
        await clock.advance(0)
        async with asyncio.timeout(5):
            await twilio_standin.received.wait()
        task.cancel()  # the process dies: the provider has the SMS, we never read the answer
        with contextlib.suppress(asyncio.CancelledError):
            await task
        [sending] = [i for i in service.store.outbox(OutboxStatus.SENDING) if i.channel == "sms"]
    twilio_standin.hold_s = 0
    restarted = AlarmService(providers, bus, clock)
    async with running(restarted):
        await settle(restarted, clock, 300, step=10)
        [item] = [i for i in restarted.store.outbox() if i.key == sending.key]
    assert item.status is OutboxStatus.SENT
    assert item.provider_id == twilio_standin.messages[0].sid
    assert len(twilio_standin.bodies_to(MARTIN)) == 1


async def test_flood_of_50_alarms_in_10_minutes_is_a_handful_of_messages(
    providers: PlantConfig,
    bus: Bus,
    clock: VirtualClock,
    twilio_standin: TwilioStandIn,
    smtp_server: SmtpTestServer,
) -> None:
    base = providers.alarm("CHB-DEF")
    flood = [
        base.model_copy(
            update={
                "code": f"TST-{i:03d}",
                "condition": base.condition.model_copy(
                    update={"point": "wood.fault_code", "op": "==", "value": float(i + 1)}
                ),
            }
        )
        for i in range(50)
    ]
    cfg = providers.model_copy(update={"alarms": (*providers.alarms, *flood)})
    async with running(AlarmService(cfg, bus, clock)) as service:
        for i in range(50):
            publish_tag(bus, clock, "wood.fault_code", i + 1)
            await settle(service, clock, 12, step=3)
        assert len(service.engine.occurrences) == 50
    assert 1 <= len(twilio_standin.bodies_to(MARTIN)) <= 5
    assert 1 <= len(smtp_server.texts_to(MARTIN_MAIL)) <= 5
    assert "alarmes" in twilio_standin.bodies_to(MARTIN)[-1]


async def test_without_providers_messages_land_in_the_outbox_folder(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        bus.publish(oil_start(clock, OilRole.REPLACEMENT, "wood_fault"))
        await settle(service, clock, 2)
    files = sorted(config.data_path(config.notifiers.outbox_dir).glob("*.txt"))
    assert [f.name.split("-")[0] for f in files] == ["email", "sms"]
    assert all("relève" in f.read_text(encoding="utf-8").lower() for f in files)


async def test_twilio_unreachable_is_known_down_until_its_probe_reaches_it(
    config: PlantConfig, bus: Bus, clock: VirtualClock, twilio_standin: TwilioStandIn
) -> None:
    offline = TwilioStandIn()  # not started: nothing listens on its port (the internet is down)
    sms = TwilioSettings(from_number="+33700000000", api_base_url=offline.base_url)
    cfg = with_providers(config, sms, None)
    notifiers = cfg.notifiers.model_copy(update={"probe_s": 30.0, "retry_base_s": 600.0})
    cfg = cfg.model_copy(update={"notifiers": notifiers})
    async with running(AlarmService(cfg, bus, clock)) as service:
        twilio = service.channels["twilio"]
        assert twilio.available()  # nothing known yet
        publish_tag(bus, clock, "wood.state", 7)  # CHB-DEF, P1
        await settle(service, clock, 1)
        assert not twilio.available()  # the attempt could not reach it
        await settle(service, clock, 30)
        await asyncio.sleep(0.2)  # the probe's connection attempt, refused
        assert not twilio.available()
        async with offline:  # the internet is back
            await settle(service, clock, 30)
            await eventually(twilio.available)  # the next probe reached it; nothing sent yet
            assert offline.messages == []
            await settle(service, clock, 600, step=30)  # the retry
            assert [b for b in offline.bodies_to(MARTIN) if "CHB-DEF" in b]
