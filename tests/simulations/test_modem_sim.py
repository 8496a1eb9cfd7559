"""The simulated GSM modem at the AT level: typed commands, Gammu's own codecs, and the gammu tool.

The simulator is checked against parts we did not write: python-gammu builds and reads the
PDUs these tests type, and the Debian ``gammu`` command (test marked ``interop``) drives it
as it would a real modem.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gammu
import pytest

from chaufferie.simulations.modem import ModemSimulator, serve
from chaufferie.simulations.modem_at import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Concat,
    SubmittedSms,
    gsm7_decode,
    gsm7_encode,
    join_parts,
    status_report_pdu,
)
from tests.conftest import require_tool
from tests.support.modem import RECIPIENT, AtPort, gammurc, modem_sim, simulated_modem, wait_until

pytestmark = pytest.mark.modem  # Gammu-paced: `make test` runs these beside the rest


__all__ = ["modem_sim"]


def _submit_pdu(text: str, number: str = RECIPIENT, report: bool = False) -> tuple[str, int]:
    """What Gammu would type after AT+CMGS=<length>: hex PDU (SMSC field first) and the length."""
    [part] = gammu.EncodeSMS({"Class": -1, "Entries": [{"ID": "ConcatenatedAutoTextLong", "Buffer": text}]})
    part |= {"Number": number, "SMSC": {"Number": "+33609001390"}}
    if report:
        part["Type"] = "Status_Report"
    pdu = bytes(gammu.EncodePDU(part))
    return pdu.hex().upper(), len(pdu) - 1 - pdu[0]


def test_identity_and_unknown_commands(modem_sim: ModemSimulator) -> None:
    with AtPort(modem_sim.link) as port:
        assert "\r\nChaufferie\r\n\r\nOK\r\n" in port.command("AT+CGMI")
        assert "490154203237518" in port.command("AT+CGSN")
        assert port.command("ATE0").endswith("OK\r\n")
        assert port.command("AT+CGMM") == "\r\nSIM-GSM 2G\r\n\r\nOK\r\n"  # no echo any more
        started = time.monotonic()
        assert port.command("AT+MODE=2") == "\r\nERROR\r\n"
        assert port.command("AT$TSSPCSW=?") == "\r\nERROR\r\n"
        assert port.command("AT+NOPE?") == "\r\nERROR\r\n"
        assert time.monotonic() - started < 0.5
        assert port.command("AT+CSQ") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        modem_sim.signal(7)
        assert port.command("AT+CSQ") == "\r\n+CSQ: 7,99\r\n\r\nOK\r\n"
        assert port.command("ATZ").endswith("OK\r\n")
        assert port.command("AT").startswith("AT\r")  # echo back on after ATZ


def test_pin_and_registration(tmp_path: Path) -> None:
    link = tmp_path / "modem"
    with simulated_modem(link, pin="1234") as sim, AtPort(link) as port:
        port.command("ATE0")
        assert port.command("AT+CPIN?") == "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
        assert port.command("AT+CREG?") == "\r\n+CREG: 0,0\r\n\r\nOK\r\n"  # no SIM, no network
        assert port.command("AT+CMGL=4") == "\r\n+CMS ERROR: 311\r\n"
        assert port.command('AT+CPIN="0000"') == "\r\nERROR\r\n"
        port.command("AT+CMEE=1")
        assert port.command('AT+CPIN="0000"') == "\r\n+CME ERROR: 16\r\n"
        port.command("AT+CMEE=2")
        assert port.command('AT+CPIN="1234"') == "\r\nOK\r\n"
        assert port.command("AT+CPIN?") == "\r\n+CPIN: READY\r\n\r\nOK\r\n"
        assert port.command("AT+CREG?") == "\r\n+CREG: 0,1\r\n\r\nOK\r\n"
        port.command("AT+CREG=2")
        assert port.command("AT+CREG?") == '\r\n+CREG: 2,1,"1A2B","00C3D4E5"\r\n\r\nOK\r\n'
        for state, stat in [("roaming", 5), ("searching", 2), ("denied", 3), ("none", 0), ("home", 1)]:
            sim.set_registration(state)
            assert f"+CREG: 2,{stat}" in port.command("AT+CREG?")
        port.command("AT+COPS=3,2")
        assert '+COPS: 0,2,"20801"' in port.command("AT+COPS?")
        sim.set_sim("absent")
        assert port.command("AT+CPIN?") == "\r\n+CME ERROR: SIM not inserted\r\n"


def test_pin_tries_run_out_to_puk(tmp_path: Path) -> None:
    link = tmp_path / "modem"
    with simulated_modem(link, pin="1234", puk="87654321") as sim, AtPort(link) as port:
        port.command("ATE0")
        port.command("AT+CMEE=1")
        for _ in range(3):
            assert port.command('AT+CPIN="9999"') == "\r\n+CME ERROR: 16\r\n"
        assert "SIM PUK" in port.command("AT+CPIN?")
        assert port.command('AT+CPIN="1234"') == "\r\n+CME ERROR: 16\r\n"
        assert port.command('AT+CPIN="87654321","2468"') == "\r\nOK\r\n"
        assert sim.state()["sim"] == "ready"


def test_pdu_mode_send_prompt_ctrl_z_and_escape(modem_sim: ModemSimulator) -> None:
    text = "Chaudière en défaut : 3 € œ"
    pdu, length = _submit_pdu(text, report=True)
    with AtPort(modem_sim.link) as port:
        port.command("ATE0")
        assert port.command("AT+CMGF=0").endswith("OK\r\n")
        assert port.command(f"AT+CMGS={length}") == "\r\n> "
        port.write(pdu.encode() + b"\x1b")
        assert port.read_until() == b"\r\nOK\r\n"
        assert modem_sim.sent == []  # ESC cancelled it
        assert port.command(f"AT+CMGS={length}") == "\r\n> "
        port.write(pdu.encode() + b"\x1a")
        assert port.read_until() == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
        assert port.command(f"AT+CMGS={length + 1}") == "\r\n> "
        port.write(pdu.encode() + b"\x1a")
        assert port.read_until() == b"\r\n+CMS ERROR: 304\r\n"  # length does not match
    [sms] = modem_sim.sent
    assert (sms.number, sms.text, sms.mode, sms.reference) == (RECIPIENT, text, "pdu", 1)
    assert sms.coding == "Unicode_No_Compression"
    assert sms.report_requested
    assert sms.pdu == pdu


def test_text_mode_send_in_ira_gsm_and_ucs2(modem_sim: ModemSimulator) -> None:
    with AtPort(modem_sim.link) as port:
        port.command("ATE0")
        port.command("AT+CMGF=1")
        port.command('AT+CSCS="IRA"')
        assert port.command(f'AT+CMGS="{RECIPIENT}"') == "\r\n> "
        port.write(b"Chaudiere OK\x1a")
        assert re.fullmatch(r"\r\n\+CMGS: \d+\r\n\r\nOK\r\n", port.read_until().decode())

        port.command('AT+CSCS="GSM"')
        port.command(f'AT+CMGS="{RECIPIENT}"')
        port.write(gsm7_encode("Température élevée à 95 : débit nul") + b"\x1a")
        port.read_until()

        port.command('AT+CSCS="UCS2"')
        port.command("AT+CSMP=49,167,0,8")  # status report requested, UCS-2 data
        number = RECIPIENT.encode("utf-16-be").hex().upper()
        assert port.command(f'AT+CMGS="{number}"') == "\r\n> "
        port.write("Brûleur arrêté, œ".encode("utf-16-be").hex().upper().encode() + b"\x1a")
        port.read_until()
    ira, gsm, ucs2 = modem_sim.sent
    assert [s.mode for s in modem_sim.sent] == ["text"] * 3
    assert (ira.text, ira.coding, ira.report_requested) == ("Chaudiere OK", "Default_No_Compression", False)
    assert (gsm.text, gsm.coding) == ("Température élevée à 95 : débit nul", "Default_No_Compression")
    assert (ucs2.number, ucs2.text, ucs2.coding) == (RECIPIENT, "Brûleur arrêté, œ", "Unicode_No_Compression")
    assert ucs2.report_requested


def test_refusals_no_network_cms_error_and_unplug(modem_sim: ModemSimulator) -> None:
    pdu, length = _submit_pdu("Essai")
    with AtPort(modem_sim.link) as port:
        port.command("ATE0")

        def send() -> str:
            port.command(f"AT+CMGS={length}")
            port.write(pdu.encode() + b"\x1a")
            return port.read_until().decode()

        modem_sim.no_network()
        assert "+CREG: 0,2" in port.command("AT+CREG?")
        assert send() == "\r\n+CMS ERROR: 331\r\n"
        modem_sim.no_network(False)
        modem_sim.cms_error(38, times=2, skip=1)
        assert send().startswith("\r\n+CMGS:")
        assert send() == "\r\n+CMS ERROR: 38\r\n"
        assert send() == "\r\n+CMS ERROR: 38\r\n"
        assert send().startswith("\r\n+CMGS:")
        assert len(modem_sim.sent) == 2

        modem_sim.unplug_during_send()
        port.command(f"AT+CMGS={length}")
        port.write(pdu.encode() + b"\x1a")
        assert wait_until(lambda: not modem_sim.plugged)
        assert os.read(port.fd, 100) == b""  # hung up, as a pulled USB modem's port
        with pytest.raises(OSError, match="Input/output error"):
            port.write(b"AT\r")
    assert not modem_sim.link.exists()
    assert len(modem_sim.sent) == 2  # died before submitting
    modem_sim.plug()
    with AtPort(modem_sim.link) as port:
        assert port.command("AT").endswith("OK\r\n")


TIOCGEXCL = 0x80045440  # Linux: is the tty in exclusive mode?


def test_a_users_exclusive_mode_is_lifted(modem_sim: ModemSimulator) -> None:
    """Gammu opens the port with TIOCEXCL; held open by the simulator, the pty would stay
    exclusive after Gammu closed it, and a non-root reconnection would get EBUSY."""
    with AtPort(modem_sim.link) as port:
        fcntl.ioctl(port.fd, termios.TIOCEXCL)
        assert port.command("AT").endswith("OK\r\n")
        flag = fcntl.ioctl(port.fd, TIOCGEXCL, bytes(4))
        assert int.from_bytes(flag, sys.byteorder) == 0


def test_slow_answers(modem_sim: ModemSimulator) -> None:
    modem_sim.slow(0.3)
    with AtPort(modem_sim.link) as port:
        started = time.monotonic()
        assert port.command("AT").endswith("OK\r\n")
        assert time.monotonic() - started >= 0.3


def test_incoming_cmti_list_read_delete(modem_sim: ModemSimulator) -> None:
    sent_at = datetime(2026, 1, 12, 2, 30, 5, tzinfo=UTC)
    with AtPort(modem_sim.link) as port:
        port.command("ATE0")
        port.command("AT+CNMI=2,1,0,2,0")
        assert modem_sim.deliver("+33698765432", "OK 123456", when=sent_at) == [1]
        assert port.read_until(re.compile(rb'\+CMTI: "SM",1\r\n')) == b'\r\n+CMTI: "SM",1\r\n'
        assert "+CPMS: 1,30,1,30,1,30" in port.command('AT+CPMS="SM","SM","SM"')

        listing = port.command("AT+CMGL=4").split("\r\n")
        assert listing[1].startswith("+CMGL: 1,0,,")
        decoded = gammu.DecodePDU(bytes.fromhex(listing[2]))
        assert (decoded["Type"], decoded["Number"]) == ("Deliver", "+33698765432")
        assert (decoded["Text"], decoded["DateTime"]) == ("OK 123456", sent_at)
        assert port.command("AT+CMGL=0") == "\r\nOK\r\n"  # read now, no longer unread

        port.command("AT+CMGF=1")
        port.command("AT+CSDH=1")
        answer = port.command("AT+CMGR=1")
        assert answer == (
            '\r\n+CMGR: "REC READ","+33698765432",,"26/01/12,02:30:05+00",145,4,0,0,"+33609001390",145,9\r\n'
            "OK 123456\r\n\r\nOK\r\n"
        )
        assert port.command("AT+CMGD=1") == "\r\nOK\r\n"
        assert port.command("AT+CMGR=1") == "\r\nOK\r\n"
        assert port.command("AT+CMGR=31") == "\r\n+CMS ERROR: 321\r\n"
    assert modem_sim.stored() == {}


def test_incoming_long_accented_message_is_ucs2_parts(modem_sim: ModemSimulator) -> None:
    text = "Acquittement reçu : chaudière relancée, œuvre terminée. " * 4
    indexes = modem_sim.deliver("+33698765432", text)
    assert len(indexes) == 4
    parts = [gammu.DecodePDU(s.pdu) for s in modem_sim.stored().values()]
    assert {p["Coding"] for p in parts} == {"Unicode_No_Compression"}
    assert [p["UDH"]["PartNumber"] for p in parts] == [1, 2, 3, 4]
    assert "".join(p["Text"] for p in parts) == text
    [plain] = [gammu.DecodePDU(modem_sim.stored()[i].pdu) for i in modem_sim.deliver("+336", "Prix 3 €")]
    assert plain["Coding"] == "Default_No_Compression"


def test_status_report_is_read_by_gammu() -> None:
    when = datetime(2026, 1, 12, 2, 30, 5, tzinfo=UTC)
    decoded = gammu.DecodePDU(status_report_pdu("+33612345678", 42, "+33609001390", when))
    assert decoded["Type"] == "Status_Report"
    assert (decoded["Number"], decoded["MessageReference"], decoded["DeliveryStatus"]) == (
        "+33612345678",
        42,
        0,
    )
    assert decoded["DateTime"] == when
    assert decoded["SMSC"]["Number"] == "+33609001390"


def test_gsm7_table_matches_gammu() -> None:
    """Each character of our text-mode table is the code Gammu packs for it (one septet: one octet)."""
    base = {
        "Number": RECIPIENT,
        "SMSC": {"Number": "+33609001390"},
        "Coding": "Default_No_Compression",
        "Folder": 2,
        "Location": 0,
        "InboxFolder": False,
        "Class": -1,
    }
    for code, ch in [*enumerate(GSM7_BASIC), *GSM7_EXTENSION.items()]:
        if code == 0x1B:
            continue
        pdu = bytes(gammu.EncodePDU(base | {"Text": ch}))
        if len(gsm7_encode(ch)) == 1:
            assert (pdu[-2], pdu[-1] & 0x7F) == (1, code), ch
        else:
            low, high = pdu[-2], pdu[-1]
            assert (pdu[-3], low & 0x7F, ((high << 1) | (low >> 7)) & 0x7F) == (2, 0x1B, code), ch
        assert gsm7_decode(gsm7_encode(ch)) == ch


def test_join_parts_puts_parts_in_order() -> None:
    at = datetime(2026, 1, 12, tzinfo=UTC)

    def part(text: str, n: int, ref: int = 7, number: str = RECIPIENT) -> SubmittedSms:
        return SubmittedSms(
            number, text, "Default_No_Compression", n, False, Concat(ref, n, 3), "", "pdu", at
        )

    single = SubmittedSms("+33611111111", "seul", "Default_No_Compression", 9, False, None, "", "pdu", at)
    messages = join_parts([part("C", 3), single, part("A", 1), part("B", 2), part("x", 1, ref=8)])
    assert [(m.text, m.complete) for m in messages] == [("ABC", True), ("seul", True), ("x", False)]


async def test_serve_and_its_control_socket(tmp_path: Path) -> None:
    link, control = tmp_path / "modem", tmp_path / "modem.sock"
    started = asyncio.Event()
    task = asyncio.create_task(serve(link, control=control, started=lambda sim: started.set()))
    await asyncio.wait_for(started.wait(), 5)
    assert oct(control.stat().st_mode & 0o777) == "0o600"
    reader, writer = await asyncio.open_unix_connection(str(control))

    async def ask(**request: object) -> object:
        writer.write(json.dumps(request).encode() + b"\n")
        answer = json.loads(await reader.readline())
        assert answer["ok"], answer
        return answer["result"]

    assert await ask(op="deliver", sender="+33698765432", text="OK 4242") == [1]
    await ask(op="no_network")
    assert (await ask(op="state"))["registration"] == "searching"  # type: ignore[index]
    writer.write(b'{"op": "explode"}\n')
    assert json.loads(await reader.readline())["ok"] is False
    await asyncio.to_thread(_type_a_send, link)
    assert await ask(op="sent") == []
    await ask(op="no_network", on=False)
    await asyncio.to_thread(_type_a_send, link)
    [sent] = await ask(op="messages")  # type: ignore[misc]
    assert sent["text"] == "Essai"
    assert sent["complete"]
    writer.close()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not link.exists()
    assert not control.exists()


def _type_a_send(link: Path) -> str:
    pdu, length = _submit_pdu("Essai")
    with AtPort(link) as port:
        port.command(f"AT+CMGS={length}")
        port.write(pdu.encode() + b"\x1a")
        return port.read_until().decode()


def test_standalone_process(tmp_path: Path) -> None:
    link, control = tmp_path / "modem", tmp_path / "modem.sock"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chaufferie.cli",
            "sim-modem",  # the console command, as the admin guide gives it
            "--link",
            str(link),
            "--control",
            str(control),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "Modem simulé sur" in process.stdout.readline()
        with AtPort(link) as port:
            assert "Chaufferie" in port.command("AT+CGMI")
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        process.kill()
    assert not link.exists()


@pytest.mark.interop
def test_gammu_tool_agrees(modem_sim: ModemSimulator, tmp_path: Path) -> None:
    """The Debian ``gammu`` command against the simulator: identify, network, send, read.

    One ``gammu batch`` session: Gammu probes an AT device for 3–5 s at each connection.
    """
    tool = require_tool("gammu", "the SMS channel's peer test (apt install gammu)")
    text = "Alarme chaudière : température élevée, 95 °C, coût 3 € — œ"
    long_text = "Défaut brûleur : vérifier la vis d'alimentation. " * 6
    modem_sim.deliver("+33698765432", "OK 123456", when=datetime.now(UTC) - timedelta(minutes=1))
    modem_sim.deliver("+33698765432", "Acquitté, œuvre en cours. " * 8)
    batch = tmp_path / "batch"
    batch.write_text(
        "identify\nnetworkinfo\n"
        f'sendsms TEXT {RECIPIENT} -unicode -text "{text}"\n'
        f'sendsms TEXT {RECIPIENT} -unicode -autolen {len(long_text)} -text "{long_text}"\n'
        "getallsms\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [tool, "-c", str(gammurc(modem_sim, tmp_path)), "batch", str(batch)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    identify, network, first, second, listing = done.stdout.split("Executing batch")[1:]

    assert re.search(r"Manufacturer\s+: Chaufferie", identify)
    assert re.search(r"IMEI\s+: 490154203237518", identify)
    assert re.search(r"SIM IMSI\s+: 208019876543210", identify)
    assert re.search(r"Network state\s+: home network", network)
    assert "208 01" in network
    assert "Orange F" in network

    assert "OK, message reference=1" in first
    assert second.count("OK, message reference=") == 5
    messages = modem_sim.messages()
    assert [m.text for m in messages] == [text, long_text]
    assert all(m.complete and m.coding == "Unicode_No_Compression" for m in messages)

    assert "OK 123456" in listing
    assert listing.count('Remote number        : "+33698765432"') == 1 + 4
    assert "Acquitté, œuvre en cours." in listing
    assert "5 SMS parts in" in listing
