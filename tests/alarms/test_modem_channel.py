"""The GSM modem as a transport of the outbox: the channel policy, handover, no duplicate.

Real parts: the alarm service with the real Gammu driver on the simulated modem (a pty), the
real twilio client against the stand-in on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaufferie.alarms.channels import FolderOutbox, TwilioSms
from chaufferie.alarms.modem import GsmModem
from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxItem, OutboxStatus, SqliteAlarmStore
from chaufferie.cli import main
from chaufferie.config.alarming import SmsRoute, TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState, AlarmTransition, NotificationRecord, NotificationStatus
from chaufferie.simulations.modem import ModemSimulator
from tests.alarms.helpers import publish_tag, running, settle
from tests.support.modem import modem_settings, simulated_modem
from tests.support.plc import eventually
from tests.support.twilio_standin import TwilioStandIn

MARTIN = "+33612345678"

pytestmark = pytest.mark.modem  # Gammu-paced: `make test` runs these beside the rest


def with_modem(
    config: PlantConfig, sim: ModemSimulator, twilio: TwilioStandIn | None, *routes: SmsRoute
) -> PlantConfig:
    sms = TwilioSettings(from_number="+33700000000", api_base_url=twilio.base_url) if twilio else None
    notifiers = config.notifiers.model_copy(
        update={"sms": sms, "modem": modem_settings(sim), "sms_routes": routes}
    )
    return config.model_copy(update={"notifiers": notifiers})


def chb_def(service: AlarmService) -> OutboxItem:
    [item] = [i for i in service.store.outbox() if i.code == "CHB-DEF" and i.address == MARTIN]
    return item


def test_the_channel_policy_by_contact_and_priority(
    config: PlantConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    routes = (
        SmsRoute(priorities=(1,), via=("twilio", "modem")),
        SmsRoute(contacts=("mgr-dubois",), via=("twilio",)),
        SmsRoute(via=("modem",)),
    )
    cfg = with_modem(config, ModemSimulator(tmp_path / "modem"), None, *routes)
    channels = {
        "twilio": TwilioSms(TwilioSettings(from_number="+33700000000")),
        "modem": GsmModem(modem_settings(tmp_path / "modem"), {}),
        "email": FolderOutbox(tmp_path, "email"),
    }
    store = SqliteAlarmStore(tmp_path / "alarms.db")
    outbox = Outbox(store, Bus(), VirtualClock(), channels, cfg.notifiers, cfg.contact, "joucas")  # type: ignore[arg-type]

    def route(contact: str, priority: int | None, channel: str = "sms") -> list[str]:
        item = OutboxItem("k", channel, contact, "+33600000000", "", "", priority=priority)
        return outbox.route_of(item)

    assert route("tech-martin", 1) == ["twilio", "modem"]
    assert route("mgr-dubois", 1) == ["twilio", "modem"]  # the first rule that matches decides
    assert route("mgr-dubois", 2) == ["twilio"]
    assert route("tech-martin", 3) == ["modem"]
    assert route("tech-martin", None) == ["modem"]  # a message of no alarm (daily test, answer)
    assert route("tech-martin", 1, "email") == ["email"]
    store.close()


async def test_modem_unplugged_mid_send_then_plugged_back_delivers_once(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    with simulated_modem(tmp_path / "modem") as sim:
        cfg = with_modem(config, sim, None)
        async with running(AlarmService(cfg, bus, clock)) as service:
            sim.unplug_during_send()  # dies at the send's Ctrl-Z, before the network has it
            publish_tag(bus, clock, "wood.state", 7)  # CHB-DEF, P1
            await settle(service, clock, 1)
            item = chb_def(service)
            assert (item.status, item.via) == (OutboxStatus.RETRYING, "modem")
            assert not sim.plugged
            sim.plug()
            await settle(service, clock, cfg.notifiers.retry_base_s + 1)
            item = chb_def(service)
            assert (item.status, item.attempts) == (OutboxStatus.SENT, 2)
        delivered = [m for m in sim.messages() if m.number == MARTIN and "CHB-DEF" in m.text]
        assert [m.text for m in delivered] == [item.text]


async def test_twilio_failing_hands_over_to_the_modem_after_its_budget_and_the_report_says_delivered(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path, twilio_standin: TwilioStandIn
) -> None:
    records = bus.subscribe(NotificationRecord)
    twilio_standin.down = True  # answers 500: reachable, refusing
    with simulated_modem(tmp_path / "modem") as sim:
        cfg = with_modem(config, sim, twilio_standin)
        budget = cfg.notifiers.handover_attempts
        async with running(AlarmService(cfg, bus, clock)) as service:
            publish_tag(bus, clock, "wood.state", 7)  # CHB-DEF, P1
            await settle(service, clock, 120, step=5)
            item = chb_def(service)
            await service.modem_watch.poll()  # type: ignore[union-attr]  (the network's report)
        assert (item.status, item.via, item.attempts) == (OutboxStatus.SENT, "modem", budget + 1)
        # two attempts, then Twilio was asked whether it had it (a list request), then the modem
        assert twilio_standin.requests == budget + 1
        assert [m.text for m in sim.messages() if m.number == MARTIN] == [item.text]
    mine = [r for r in records.drain() if isinstance(r, NotificationRecord) and r.key == item.key]
    assert [(r.status, r.via) for r in mine] == [
        (NotificationStatus.QUEUED, "twilio"),
        (NotificationStatus.RETRYING, "twilio"),
        (NotificationStatus.RETRYING, "modem"),
        (NotificationStatus.SENT, "modem"),
        (NotificationStatus.DELIVERED, "modem"),  # the delivery report the modem received
    ]


def test_notify_test_channel_modem_sends_through_the_modem_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "plant.yaml"
    shipped = Path(__file__).parents[2] / "config" / "joucas.yaml"
    with simulated_modem(tmp_path / "modem") as sim:
        modem = f'  outbox_dir: outbox\n  modem: {{device: "{sim.link}", pin_env: null}}'
        config.write_text(shipped.read_text(encoding="utf-8").replace("  outbox_dir: outbox", modem, 1))
        args = ["notify-test", "--config", str(config), "--data-dir", str(tmp_path / "data")]
        assert main([*args, "--to", "mgr-dubois", "--channel", "modem"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("modem  mgr-dubois +33634567890 via GsmModem: OK modem:")
        assert len(out.splitlines()) == 1  # the modem alone
        [test] = sim.messages()
        assert test.number == "+33634567890"
        assert "joucas" in test.text
        assert main([*args, "--channel", "twilio"]) == 1
        assert "no channel 'twilio' here (configured: modem, email)" in capsys.readouterr().err


async def test_daily_test_goes_by_every_transport_each_on_its_own(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path, twilio_standin: TwilioStandIn
) -> None:
    records = bus.subscribe(NotificationRecord)
    with simulated_modem(tmp_path / "modem") as sim:
        cfg = with_modem(config, sim, twilio_standin)
        async with running(AlarmService(cfg, bus, clock)) as service:
            sim.no_network()  # the modem fails its test: reported, not handed to Twilio
            await service.modem_watch.poll()  # type: ignore[union-attr]
            assert service.watchdog.send_daily_test(clock.now()) == 3
            await settle(service, clock, 600, step=30)
    tests = [r for r in records.drain() if isinstance(r, NotificationRecord) and "daily-test" in r.key]
    final = {r.via: r.status for r in tests}
    assert final == {
        "twilio": NotificationStatus.SENT,
        "modem": NotificationStatus.FAILED,
        "email": NotificationStatus.SENT,
    }
    assert len([m for m in twilio_standin.messages if "test quotidien" in m.body]) == 1
    assert sim.sent == []


async def test_a_modem_port_that_does_not_exist_is_said_at_start_and_raises_not_gsm(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    transitions = bus.subscribe(AlarmTransition)
    missing = tmp_path / "no-modem-here"
    notifiers = config.notifiers.model_copy(update={"modem": modem_settings(missing)})
    cfg = config.model_copy(update={"notifiers": notifiers})
    async with running(AlarmService(cfg, bus, clock)) as service:
        await settle(service, clock, 1)
        watch = service.modem_watch
        assert watch is not None
        await eventually(lambda: watch.polls > 0)
        await settle(service, clock, 5)
        publish_tag(bus, clock, "wood.state", 7)  # the service still works: CHB-DEF raised, told
        await settle(service, clock, 400, step=10)
        item = chb_def(service)
        emails = [i for i in service.store.outbox() if i.fallback_of == item.key]
    assert f"GSM modem {missing} unusable at start" in caplog.text
    assert "no such device" in caplog.text
    seen = [t for t in transitions.drain() if isinstance(t, AlarmTransition)]
    assert [t.state for t in seen if t.code == "NOT-GSM"][:1] == [AlarmState.UNACKED]
    assert item.status is OutboxStatus.FAILED  # the modem was the only SMS transport
    assert [(e.channel, e.status) for e in emails] == [("email", OutboxStatus.SENT)]
