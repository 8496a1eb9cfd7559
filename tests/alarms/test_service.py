"""The alarm service over time: working-hours policy, restarts, NOT-DEF, daily test, dead-man."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from chaufferie.alarms.channels import FolderOutbox
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxItem, OutboxStatus
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    OilRole,
    PlantEvent,
    PlantEventKind,
)
from tests.alarms.helpers import QuietTransport, publish_tag, running, settle, with_providers
from tests.conftest import free_port
from tests.support.smtp_server import SmtpTestServer
from tests.support.twilio_standin import TwilioStandIn


def _codes(sub_messages: list[object], state: AlarmState) -> list[str]:
    return [m.code for m in sub_messages if isinstance(m, AlarmTransition) and m.state is state]


async def test_p3_at_night_is_one_email_at_once_and_nothing_else(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        publish_tag(bus, clock, "ash.bin_full", True)  # 03:00 Monday in Paris
        await settle(service, clock, 3600, step=60)
        items = service.store.outbox()
    assert [(i.channel, i.contact_id, i.code) for i in items] == [("email", "tech-martin", "CEN-PLN")]


async def test_p2_escalates_only_in_working_hours(config: PlantConfig, bus: Bus, clock: VirtualClock) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        publish_tag(bus, clock, "silo.low_level", True)  # 03:00 Monday in Paris, P2, +60 min
        await settle(service, clock, 4 * 3600, step=60)
        assert {i.contact_id for i in service.store.outbox()} == {"tech-martin"}
        await settle(service, clock, 3600 + 120, step=60)  # 08:02 in Paris
        reached = [(i.contact_id, i.channel) for i in service.store.outbox()]
    # 08:00 on Monday: Bernard's week begins, he is now on call, Martin the second
    assert sorted(reached[2:]) == [
        ("tech-bernard", "email"),
        ("tech-bernard", "sms"),
        ("tech-martin", "email"),
        ("tech-martin", "sms"),
    ]


async def test_queued_email_survives_a_restart_and_is_sent_once(
    config: PlantConfig, bus: Bus, clock: VirtualClock, smtp_server: SmtpTestServer
) -> None:
    cfg = with_providers(config, None, smtp_server.settings())
    smtp_server.stop()
    async with running(AlarmService(cfg, bus, clock)) as first:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(first, clock, 15)
        [item] = [i for i in first.outbox.pending() if i.channel == "email"]
    smtp_server.start()
    async with running(AlarmService(cfg, bus, clock)) as second:
        await settle(second, clock, 60)
        assert [i.status for i in second.store.outbox() if i.key == item.key] == [OutboxStatus.SENT]
    assert len(smtp_server.texts_to("julien.martin@example.org")) == 1


async def test_notdef_returns_to_normal_once_sms_works_again(
    config: PlantConfig, bus: Bus, clock: VirtualClock, twilio_standin: TwilioStandIn
) -> None:
    cfg = with_providers(
        config, TwilioSettings(from_number="+33700000000", api_base_url=twilio_standin.base_url), None
    )
    cfg = cfg.model_copy(update={"notifiers": cfg.notifiers.model_copy(update={"max_attempts": 2})})
    tap = bus.subscribe(AlarmTransition)
    twilio_standin.down = True
    async with running(AlarmService(cfg, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 30)
        assert "NOT-DEF" in _codes(tap.drain(), AlarmState.UNACKED)
        twilio_standin.down = False
        publish_tag(bus, clock, "oil.fault", True)
        await settle(service, clock, 200, step=5)
    assert "NOT-DEF" in _codes(tap.drain(), AlarmState.RTN_UNACKED)
    assert twilio_standin.bodies_to("+33612345678") != []


async def test_daily_test_message_goes_to_the_on_call_person_at_nine(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        await settle(service, clock, 6 * 3600 - 60, step=300)  # 07:59 UTC = 08:59 in Paris
        assert service.store.outbox() == []
        await settle(service, clock, 120, step=10)
        items = service.store.outbox()
    assert sorted((i.channel, i.contact_id) for i in items) == [
        ("email", "tech-bernard"),
        ("sms", "tech-bernard"),  # Monday 09:00: Bernard's week began at 08:00
    ]
    assert all(i.status is OutboxStatus.SENT for i in items)
    assert "test quotidien" in items[0].text


@pytest.fixture
async def ping_server() -> AsyncIterator[tuple[str, list[str], asyncio.Event]]:
    hits: list[str] = []
    pinged = asyncio.Event()

    async def ping(request: web.Request) -> web.Response:
        hits.append(request.path)
        pinged.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ping/chaufferie", ping)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/ping/chaufferie", hits, pinged
    finally:
        await runner.cleanup()


async def test_dead_man_raises_sup_hbt_when_the_engine_stops_and_pings_only_while_alive(
    config: PlantConfig, bus: Bus, clock: VirtualClock, ping_server: tuple[str, list[str], asyncio.Event]
) -> None:
    url, hits, pinged = ping_server
    cfg = config.model_copy(
        update={
            "notifiers": config.notifiers.model_copy(
                update={"watchdog_ping_url": url, "daily_test_time": None}
            )
        }
    )
    tap = bus.subscribe(AlarmTransition)
    service = AlarmService(cfg, bus, clock)
    async with service:
        watchdog = asyncio.create_task(service.watchdog.run())  # no ticker: the engine is "stuck"
        outbox = asyncio.create_task(service.outbox.run())
        for _ in range(4):
            pinged.clear()
            await clock.advance(30)
            await asyncio.wait_for(pinged.wait(), 5)  # the real HTTP ping
        assert _codes(tap.drain(), AlarmState.UNACKED) == []
        assert len(hits) == 4
        await clock.advance(60)
        assert _codes(tap.drain(), AlarmState.UNACKED) == ["SUP-HBT"]
        pings_while_silent = len(hits)
        service.tick()  # evaluation resumes
        pinged.clear()
        await clock.advance(30)
        await asyncio.wait_for(pinged.wait(), 5)
        assert _codes(tap.drain(), AlarmState.RTN_UNACKED) == ["SUP-HBT"]
        for task in (watchdog, outbox):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert pings_while_silent == 4
    assert len(hits) == 5
    assert clock.now() > datetime(2026, 1, 12, 2, 0, tzinfo=UTC)


class _BuggyOnce(QuietTransport):
    """A channel whose library fails in an unexpected way once, then works."""

    name = medium = "sms"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failed = False

    async def send(self, item: OutboxItem) -> str:
        if not self.failed:
            self.failed = True
            raise KeyError("sid")  # e.g. a provider answer the library cannot parse
        self.sent.append(item.text)
        return "SM1"


async def test_a_channel_bug_costs_one_attempt_not_the_alarm_service(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    sms = _BuggyOnce()
    channels = {"sms": sms, "email": FolderOutbox(tmp_path / "outbox", "email")}
    async with running(AlarmService(config, bus, clock, channels=channels)) as service:
        publish_tag(bus, clock, "wood.state", 7)
        await settle(service, clock, 30)
        publish_tag(bus, clock, "oil.fault", True)
        await settle(service, clock, 180, step=5)
    assert len(sms.sent) == 2
    assert "CHB-DEF" in sms.sent[0]


async def test_oil_start_right_after_a_summary_goes_at_once(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as service:
        publish_tag(bus, clock, "wood.state", 7)  # CHB-DEF, P1: at once
        publish_tag(bus, clock, "wood.ignition_failed", True)  # CHB-ALL, P2: held for the window
        await settle(service, clock, 1)
        assert [i.code for i in service.store.outbox() if i.channel == "sms"] == ["CHB-DEF"]
        await settle(service, clock, 120)
        bus.publish(
            PlantEvent(
                PlantEventKind.OIL_STARTED,
                clock.now(),
                reason="ignition_failure",
                oil_role=OilRole.REPLACEMENT,
            )
        )
        await settle(service, clock, 1)
        codes = [i.code for i in service.store.outbox() if i.channel == "sms"]
    assert codes == ["CHB-DEF", "CHB-ALL", "FIO-REL"]


async def test_escalation_resumes_after_a_restart_without_repeating_steps(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with running(AlarmService(config, bus, clock)) as first:
        publish_tag(bus, clock, "wood.state", 7)  # P1 at T: the on-call person
        await settle(first, clock, 60)
    await clock.advance(20 * 60)  # down for 20 minutes: step 1 (T+15) became due meanwhile
    async with running(AlarmService(config, bus, clock)) as second:
        await settle(second, clock, 5)
        sms = [(i.key.split("/")[1], i.contact_id) for i in second.store.outbox() if i.channel == "sms"]
    assert sms == [("0", "tech-martin"), ("1", "tech-martin"), ("1", "tech-bernard")]
