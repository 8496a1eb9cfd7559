"""The GSM modem channel: python-gammu against the simulated modem on a pty, no mocks.

Gammu takes about 5 s to connect to an AT device, so one simulator and one connected driver
serve most of this module (``shared``, module event loop); ``rig`` hands them to each test
with the modem plugged, registered, its SIM and network log empty. Tests that need a modem
of their own (no device, garbage, PIN refused, slow, text mode) start one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import re
import select
import threading
import time
import tty
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from chaufferie.alarms.errors import ChannelError
from chaufferie.alarms.modem import DeliveryReport, GsmModem, IncomingSms, ModemError
from chaufferie.simulations.modem import ModemSimulator
from tests.support.modem import (
    PIN,
    PIN_ENV,
    RECIPIENT,
    modem_environ,
    modem_settings,
    outbox_item,
    simulated_modem,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.modem]  # Gammu-paced (make test)

GSM_TEXT = "Température élevée à 95 : défaut è ù"
EXTENSION_TEXT = "Prix du fioul : 3 € [estimé]"
UNICODE_TEXT = "Chaudière arrêtée : brûleur en défaut, coût 3 € œ"
LONG_TEXT = "Alarme P1 chaufferie de Joucas : brûleur bois en défaut, relève fioul en cours. " * 2


@dataclass
class Rig:
    sim: ModemSimulator
    modem: GsmModem


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    """A simulated modem whose SIM asks for a PIN, and the driver connected to it."""
    link = tmp_path_factory.mktemp("modem") / "modem"
    with simulated_modem(link, pin=PIN) as sim:
        modem = GsmModem(modem_settings(sim), modem_environ())
        started = time.monotonic()
        await modem.connect()
        print(f"gammu init + PIN against the simulator: {time.monotonic() - started:.2f} s")
        yield Rig(sim, modem)
        await modem.aclose()


@pytest_asyncio.fixture(loop_scope="module")
async def rig(shared: Rig) -> Rig:
    sim = shared.sim
    if not sim.plugged:
        sim.plug()
    sim.no_network(False)
    sim.set_registration("home")
    sim.slow(0)
    sim.signal(20)
    sim.clear()
    return shared


async def _received(modem: GsmModem) -> tuple[int, list[IncomingSms], list[DeliveryReport]]:
    messages: list[IncomingSms] = []
    reports: list[DeliveryReport] = []

    async def on_sms(sms: IncomingSms) -> None:
        messages.append(sms)

    async def on_report(report: DeliveryReport) -> None:
        reports.append(report)

    count = await modem.receive(on_sms, on_report)
    return count, messages, reports


def _references(provider_id: str) -> list[int]:
    assert provider_id.startswith("modem:")
    return [int(r) for r in provider_id.removeprefix("modem:").split(",")]


# -- sending -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "coding"),
    [
        (GSM_TEXT, "Default_No_Compression"),
        (EXTENSION_TEXT, "Default_No_Compression"),
        (UNICODE_TEXT, "Unicode_No_Compression"),
    ],
)
async def test_text_arrives_as_sent_in_the_coding_it_needs(rig: Rig, text: str, coding: str) -> None:
    started = time.monotonic()
    provider_id = await rig.modem.send(outbox_item(text))
    print(f"one send: {time.monotonic() - started:.2f} s")
    [message] = rig.sim.messages()
    assert message.text == text
    assert message.number == RECIPIENT
    assert message.coding == coding  # UCS-2 only when a character is not in the GSM alphabet
    [part] = message.parts
    assert part.concat is None
    assert part.report_requested
    assert _references(provider_id) == [part.reference]


async def test_long_message_goes_in_three_parts_joined_by_the_phone(rig: Rig) -> None:
    provider_id = await rig.modem.send(outbox_item(LONG_TEXT))
    [message] = rig.sim.messages()
    assert message.text == LONG_TEXT
    assert message.complete
    assert message.coding == "Unicode_No_Compression"
    assert [(p.concat.part, p.concat.total) for p in message.parts if p.concat] == [(1, 3), (2, 3), (3, 3)]
    assert len({p.concat.reference for p in message.parts if p.concat}) == 1
    assert _references(provider_id) == [p.reference for p in message.parts]


async def test_retry_of_a_long_message_sends_only_the_missing_parts(rig: Rig) -> None:
    item = outbox_item(LONG_TEXT)
    rig.sim.cms_error(38, skip=1)  # part 1 accepted, part 2 refused
    with pytest.raises(ModemError, match="2/3") as refused:
        await rig.modem.send(item)
    assert not refused.value.permanent
    assert [p.concat.part for p in rig.sim.sent if p.concat] == [1]
    provider_id = await rig.modem.send(item)
    [message] = rig.sim.messages()
    assert message.complete
    assert message.text == LONG_TEXT
    assert len({p.concat.reference for p in message.parts if p.concat}) == 1
    assert _references(provider_id) == [p.reference for p in message.parts]


async def test_invalid_number_is_refused_for_good(rig: Rig) -> None:
    with pytest.raises(ChannelError) as refused:
        await rig.modem.send(outbox_item("Essai", address="06 12 xx"))
    assert refused.value.permanent
    assert rig.sim.sent == []


async def test_delivery_reports_come_back(rig: Rig) -> None:
    references = _references(await rig.modem.send(outbox_item(GSM_TEXT)))
    count, messages, reports = await _received(rig.modem)
    assert (count, messages) == (0, [])
    assert [(r.reference, r.recipient, r.delivered) for r in reports] == [(references[0], RECIPIENT, True)]
    assert rig.sim.stored() == {}


# -- receiving -----------------------------------------------------------------------------------
async def test_incoming_sms_is_handed_over_then_deleted(rig: Rig) -> None:
    sent_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    rig.sim.deliver("+33698765432", "OK 123456", when=sent_at)
    count, [sms], _ = await _received(rig.modem)
    assert count == 1
    assert (sms.sender, sms.text, sms.sent_at) == ("+33698765432", "OK 123456", sent_at)
    assert sms.sent_at.tzinfo is not None
    assert re.fullmatch(r"sms-[0-9a-f]{24}", sms.reference)
    assert rig.sim.stored() == {}
    assert (await _received(rig.modem))[0] == 0


async def test_a_failing_handler_leaves_the_message_for_next_time(rig: Rig) -> None:
    rig.sim.deliver("+33698765432", "OK 654321")
    seen: list[IncomingSms] = []

    async def crash(sms: IncomingSms) -> None:
        seen.append(sms)
        raise RuntimeError("acknowledgement store down")

    assert await rig.modem.receive(crash) == 0
    assert len(rig.sim.stored()) == 1
    count, [again], _ = await _received(rig.modem)
    assert count == 1
    assert again == seen[0]  # same reference: the caller's replay protection recognises it
    assert rig.sim.stored() == {}


async def test_long_accented_incoming_message_arrives_whole(rig: Rig) -> None:
    text = "Acquitté depuis l'astreinte : chaudière relancée, œuvre terminée, 3 € de fioul. " * 3
    assert len(rig.sim.deliver("+33698765432", text)) == 4
    rig.sim.deliver("+33611111111", "Prix 3 € [ok] @ß")
    count, messages, _ = await _received(rig.modem)
    assert count == 2
    assert sorted((m.sender, m.text) for m in messages) == [
        ("+33611111111", "Prix 3 € [ok] @ß"),
        ("+33698765432", text),
    ]
    assert rig.sim.stored() == {}


# -- faults --------------------------------------------------------------------------------------
async def test_health_when_all_is_well(rig: Rig) -> None:
    rig.sim.signal(25)
    health = await rig.modem.health()
    assert (health.connected, health.registration, health.sim, health.error) == (True, "home", "ready", "")
    assert (health.signal_percent, health.signal_dbm) == (75, -63)
    assert health.registered
    assert rig.modem.available()


async def test_no_network(rig: Rig) -> None:
    rig.sim.no_network()
    health = await rig.modem.health()
    assert health.connected
    assert not health.registered
    assert health.registration == "searching"
    assert "no network" in health.error
    assert not rig.modem.available()
    with pytest.raises(ModemError, match=r"no network \(searching\)") as refused:
        await rig.modem.send(outbox_item(GSM_TEXT))
    assert not refused.value.permanent
    rig.sim.no_network(False)
    assert (await rig.modem.health()).registered
    assert rig.modem.available()
    await rig.modem.send(outbox_item(GSM_TEXT))
    assert len(rig.sim.messages()) == 1


async def test_refused_then_sent(rig: Rig) -> None:
    item = outbox_item(GSM_TEXT)
    rig.sim.cms_error(500)
    with pytest.raises(ChannelError):
        await rig.modem.send(item)
    await rig.modem.send(item)
    assert [m.text for m in rig.sim.messages()] == [GSM_TEXT]


async def test_unplugged_before_submitting_then_retried_gives_one_message(rig: Rig) -> None:
    item = outbox_item(UNICODE_TEXT)
    rig.sim.unplug_during_send()
    started = time.monotonic()
    with pytest.raises(ModemError, match=str(rig.sim.link)):
        await rig.modem.send(item)
    assert time.monotonic() - started < 3
    assert not rig.modem.available()
    rig.sim.plug()
    await rig.modem.send(item)  # connects again, enters the PIN again
    assert [m.text for m in rig.sim.messages()] == [UNICODE_TEXT]


async def test_unplugged_after_submitting_is_ambiguous_and_a_retry_duplicates(rig: Rig) -> None:
    """The documented at-least-once case: sent, then the modem died before ``+CMGS``."""
    item = outbox_item(GSM_TEXT)
    rig.sim.unplug_during_send(after_submit=True)
    with pytest.raises(ModemError):
        await rig.modem.send(item)
    assert [m.text for m in rig.sim.messages()] == [GSM_TEXT]
    rig.sim.plug()
    await rig.modem.send(item)
    assert [m.text for m in rig.sim.messages()] == [GSM_TEXT, GSM_TEXT]


async def test_unplugged_for_good_then_plugged_back(rig: Rig) -> None:
    rig.sim.unplug()
    for _ in range(2):  # the port dies, then the device is gone
        health = await rig.modem.health()
        assert not health.connected
        assert str(rig.sim.link) in health.error
        assert not rig.modem.available()
    assert "no such device" in health.error
    with pytest.raises(ModemError, match="no such device"):
        await rig.modem.send(outbox_item(GSM_TEXT))
    rig.sim.plug()
    health = await rig.modem.health()
    assert (health.connected, health.registered, health.sim, health.error) == (True, True, "ready", "")
    assert rig.modem.available()
    await rig.modem.send(outbox_item(GSM_TEXT))
    assert len(rig.sim.messages()) == 1


async def test_replugged_between_two_calls_costs_no_failure(rig: Rig) -> None:
    rig.sim.unplug()
    rig.sim.plug()  # a new /dev/pts/N behind the same link, SIM locked again
    await rig.modem.send(outbox_item(GSM_TEXT))
    assert [m.text for m in rig.sim.messages()] == [GSM_TEXT]


# -- modems of their own ---------------------------------------------------------------------------
async def test_not_a_serial_port(tmp_path: Path) -> None:
    device = tmp_path / "notes.txt"
    device.write_text("pas un modem")
    modem = GsmModem(modem_settings(device), modem_environ())
    with pytest.raises(ModemError, match="not a serial port"):
        await modem.connect()
    await modem.aclose()


async def test_no_such_device(tmp_path: Path) -> None:
    device = tmp_path / "ttyUSB-absent"
    modem = GsmModem(modem_settings(device), modem_environ())
    with pytest.raises(ModemError, match=rf"{device} : .*no such device"):
        await modem.connect()
    health = await modem.health()
    assert not health.connected
    assert str(device) in health.error
    assert not modem.available()
    await modem.aclose()


@pytest.fixture
def garbage_port(tmp_path: Path) -> Iterator[Path]:
    """A pty that answers anything with random bytes, and chatters on its own."""
    master, slave = os.openpty()
    tty.setraw(slave)
    link = tmp_path / "garbage"
    link.symlink_to(os.ttyname(slave))
    stop = threading.Event()

    def chatter() -> None:
        rng = random.Random(17)
        while not stop.wait(0.01):
            os.write(master, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
            if select.select([master], [], [], 0)[0]:
                os.read(master, 4096)

    thread = threading.Thread(target=chatter, daemon=True)
    thread.start()
    yield link
    stop.set()
    thread.join()
    os.close(master)
    os.close(slave)


async def test_garbage_is_not_a_modem(garbage_port: Path) -> None:
    modem = GsmModem(modem_settings(garbage_port, timeout_s=6.0), modem_environ())
    started = time.monotonic()
    with pytest.raises(ModemError, match=rf"{garbage_port} : .*(no answer|not a modem)") as failed:
        await modem.connect()
    assert time.monotonic() - started < 7.5
    assert PIN not in str(failed.value)
    await modem.aclose()


async def test_a_slow_modem_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    with simulated_modem(tmp_path / "modem") as sim:
        modem = GsmModem(modem_settings(sim, timeout_s=7.0), modem_environ())
        await modem.connect()
        sim.slow(9)
        started = time.monotonic()
        with pytest.raises(ModemError, match="no answer"):
            await modem.send(outbox_item(GSM_TEXT))
        assert 6.5 < time.monotonic() - started < 8.5
        assert not modem.available()
        await modem.aclose()


async def test_pin_missing_from_the_environment(tmp_path: Path) -> None:
    with simulated_modem(tmp_path / "modem", pin=PIN) as sim:
        modem = GsmModem(modem_settings(sim), {})
        with pytest.raises(ModemError, match=PIN_ENV):
            await modem.connect()
        health = await modem.health()
        assert (health.connected, health.sim) == (True, "pin")
        assert PIN_ENV in health.error
        assert not modem.available()
        await modem.aclose()


async def test_wrong_pin_is_refused_once_and_not_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "8642"
    with simulated_modem(tmp_path / "modem", pin=PIN) as sim:
        modem = GsmModem(modem_settings(sim), modem_environ(wrong))
        with pytest.raises(ModemError, match="PIN refused") as refused:
            await modem.connect()
        assert wrong not in str(refused.value)
        with pytest.raises(ModemError, match="not tried again") as again:
            await modem.send(outbox_item(GSM_TEXT))
        assert wrong not in str(again.value)
        assert sum(c.startswith("AT+CPIN=") for c in sim.commands) == 1  # two tries left on the SIM
        assert sim.engine.pin_tries == 2
        assert (await modem.health()).sim == "pin"
        await modem.aclose()
    assert wrong not in caplog.text


async def test_a_text_mode_modem(tmp_path: Path) -> None:
    """Gammu falls back to SMS text mode when the modem refuses PDU mode (GSM alphabet only)."""
    with simulated_modem(tmp_path / "modem", pdu_mode=False) as sim:
        modem = GsmModem(modem_settings(sim, delivery_reports=False), modem_environ())
        await modem.send(outbox_item(GSM_TEXT))
        [sms] = sim.sent
        assert (sms.mode, sms.text, sms.coding) == ("text", GSM_TEXT, "Default_No_Compression")
        with pytest.raises(ModemError):
            await modem.send(outbox_item(UNICODE_TEXT))
        sim.deliver("+33698765432", "OK 123456")
        count, [incoming], _ = await _received(modem)
        assert (count, incoming.text) == (1, "OK 123456")
        await modem.aclose()


async def test_closing_releases_the_port(tmp_path: Path) -> None:
    with simulated_modem(tmp_path / "modem") as sim:
        modem = GsmModem(modem_settings(sim), modem_environ())
        await modem.connect()
        assert modem.available()  # connect() polls once
        port = os.open(sim.link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            with pytest.raises(BlockingIOError):  # Gammu holds an exclusive lock on the port
                fcntl.flock(port, fcntl.LOCK_EX | fcntl.LOCK_NB)
            await modem.aclose()
            fcntl.flock(port, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(port)
        with pytest.raises(ModemError, match="closed"):
            await modem.send(outbox_item(GSM_TEXT))
        assert not modem.available()
