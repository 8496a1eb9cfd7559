"""The simulated GSM modem's AT command set, without I/O: bytes in, effects out.

Owns :class:`AtEngine`, the modem behind :class:`.modem.ModemSimulator`: the part of 3GPP
TS 27.007 (identification, SIM, network) and TS 27.005 (SMS in PDU and text mode) that Gammu's
AT driver uses — found by running Gammu against it with a ``textall`` log (docs/modem.md) —
and the state behind it: the SIM (PIN, PUK, absent), the registration, the signal, the SIM's
message store and the "network", a log of every SMS the modem submitted
(:class:`SubmittedSms`; :func:`join_parts` puts concatenated parts back together).

PDUs are built and read by python-gammu (``EncodeSMS``, ``EncodePDU``, ``DecodePDU``); the
only octets read by hand are a PDU's header ones Gammu does not report (the first octet's
status-report request, the address of a status report, assembled from a DELIVER that Gammu
encoded). The text mode's character sets are IRA, GSM (the 23.038 default alphabet) and UCS2.
Unknown commands answer ``ERROR`` at once, so that Gammu's probes never wait.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import gammu

Registration = Literal["none", "home", "searching", "denied", "unknown", "roaming"]
SimState = Literal["ready", "pin", "puk", "absent"]

CREG_STAT: dict[Registration, int] = {
    "none": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}
STAT_NAMES = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")
CHARSETS = ("GSM", "IRA", "UCS2")

# 3GPP TS 23.038 default alphabet (0x1B escapes to the extension table)
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_GSM7_CODE = {ch: bytes([i]) for i, ch in enumerate(GSM7_BASIC) if i != 0x1B}
_GSM7_CODE |= {ch: bytes([0x1B, code]) for code, ch in GSM7_EXTENSION.items()}

CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    16: "incorrect password",
    21: "invalid index",
    30: "no network service",
}


class CmeError(Exception):
    """Ends a command with ``+CME ERROR: <code>`` (or ``ERROR`` when AT+CMEE=0)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class CmsError(Exception):
    """Ends an SMS command with ``+CMS ERROR: <code>``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class CommandError(Exception):
    """Ends a command with a plain ``ERROR`` (unknown command, bad syntax)."""


@dataclass(frozen=True)
class Echo:
    """Bytes written back at once (the echo of what was typed)."""

    data: bytes


@dataclass(frozen=True)
class Answer:
    """Bytes of an answer: written after the simulator's ``slow`` delay."""

    data: bytes


@dataclass(frozen=True)
class Hangup:
    """The modem dies now (the simulator unplugs it)."""


Effect = Echo | Answer | Hangup


@dataclass(frozen=True)
class Concat:
    """A part of a concatenated SMS (its user data header)."""

    reference: int
    part: int
    total: int


@dataclass(frozen=True)
class SubmittedSms:
    """One SMS the modem submitted to the network (one part of a long message)."""

    number: str
    text: str
    coding: str
    """Gammu's name of the data coding: ``Default_No_Compression`` (GSM 7-bit), ``Unicode_No_Compression``."""
    reference: int
    """TP-MR, the modem's message reference, answered in ``+CMGS: <mr>``."""
    report_requested: bool
    concat: Concat | None
    smsc: str
    mode: Literal["pdu", "text"]
    at: datetime
    pdu: str = ""
    """The SMS-SUBMIT as sent, hexadecimal, SMSC field first (PDU mode only)."""


@dataclass(frozen=True)
class NetworkMessage:
    """A whole message as the recipient's phone shows it (parts joined)."""

    number: str
    text: str
    parts: tuple[SubmittedSms, ...]

    @property
    def complete(self) -> bool:
        first = self.parts[0].concat
        return first is None or len(self.parts) == first.total

    @property
    def coding(self) -> str:
        return self.parts[0].coding


def join_parts(sent: Iterable[SubmittedSms]) -> list[NetworkMessage]:
    """Whole messages from the network log, in the order their first part was sent.

    Parts join by recipient, concatenation reference and part count; a part already in its
    message starts a new copy (the same message sent again).
    """
    groups: list[list[SubmittedSms]] = []
    current: dict[tuple[str, int, int], list[SubmittedSms]] = {}
    for sms in sent:
        if sms.concat is None:
            groups.append([sms])
            continue
        key = (sms.number, sms.concat.reference, sms.concat.total)
        group = current.get(key)
        if group is None or any(p.concat == sms.concat for p in group):
            group = current[key] = []
            groups.append(group)
        group.append(sms)
    messages = []
    for group in groups:
        parts = tuple(sorted(group, key=lambda p: p.concat.part if p.concat else 0))
        messages.append(NetworkMessage(parts[0].number, "".join(p.text for p in parts), parts))
    return messages


@dataclass
class StoredSms:
    """One message in the SIM's store: a DELIVER or a STATUS-REPORT, PDU with its SMSC field."""

    pdu: bytes
    stat: int = 0

    def decoded(self) -> dict[str, Any]:
        result: dict[str, Any] = gammu.DecodePDU(self.pdu)
        return result

    @property
    def tpdu_length(self) -> int:
        return len(self.pdu) - 1 - self.pdu[0]


@dataclass(frozen=True)
class Identity:
    """What the modem says about itself (AT+CGMI, +CGMM, +CGMR, +CGSN, +CIMI)."""

    manufacturer: str = "Chaufferie"
    model: str = "SIM-GSM 2G"
    revision: str = "SIM-1.0"
    imei: str = "490154203237518"
    imsi: str = "208019876543210"


@dataclass
class _Edit:
    """The ``>`` prompt of AT+CMGS: PDU of ``length`` octets, or text to ``number``."""

    mode: Literal["pdu", "text"]
    length: int = 0
    number: str = ""
    body: bytearray = field(default_factory=bytearray)


def _split_args(text: str) -> list[str]:
    """Comma-separated parameters, quotes removed (commas inside quotes kept)."""
    args, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    args.append(current.strip())
    return args


def _int(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError from None
    if not low <= value <= high:
        raise CommandError
    return value


def gsm7_encode(text: str) -> bytes:
    """GSM default alphabet codes, one octet per septet (unpacked, as the text mode writes them)."""
    return b"".join(_GSM7_CODE.get(ch, b"?") for ch in text)


def gsm7_decode(data: bytes) -> str:
    out, escape = [], False
    for b in data:
        if escape:
            out.append(GSM7_EXTENSION.get(b, " "))
            escape = False
        elif b == 0x1B:
            escape = True
        elif b < 0x80:
            out.append(GSM7_BASIC[b])
    return "".join(out)


def _type_of(number: str) -> int:
    return 145 if number.startswith("+") else 129


def _scts(when: datetime | None) -> str:
    """A text-mode time stamp ``yy/MM/dd,hh:mm:ss±zz`` (zz in quarters of an hour)."""
    if when is None:
        return ""
    offset = when.utcoffset()
    quarters = int(offset.total_seconds() // 900) if offset else 0
    return when.strftime("%y/%m/%d,%H:%M:%S") + f"{quarters:+03d}"


def _deliver_base(sender: str, smsc: str, when: datetime) -> dict[str, Any]:
    utc = when.astimezone(UTC).replace(tzinfo=None)
    return {
        "Type": "Deliver",
        "Number": sender,
        "SMSC": {"Number": smsc},
        "DateTime": utc,
        "SMSCDateTime": utc,
        "Folder": 1,
        "Location": 0,
        "InboxFolder": True,
        "State": "UnRead",
        "Class": -1,
    }


def deliver_pdus(sender: str, text: str, smsc: str, when: datetime) -> list[bytes]:
    """SMS-DELIVER PDUs of ``text`` (UCS-2 only when needed, concatenated when long)."""
    parts = gammu.EncodeSMS({"Class": -1, "Entries": [{"ID": "ConcatenatedAutoTextLong", "Buffer": text}]})
    pdus = []
    for part in parts:
        part.update(_deliver_base(sender, smsc, when))
        pdus.append(bytes(gammu.EncodePDU(part, "Deliver")))
    return pdus


def status_report_pdu(recipient: str, reference: int, smsc: str, when: datetime) -> bytes:
    """An SMS-STATUS-REPORT "delivered" for message ``reference`` to ``recipient``.

    python-gammu cannot encode one, so its fields are taken from a DELIVER Gammu encoded:
    the SMSC field, the recipient's address field and the time stamp, in the 23.040 order.
    """
    base = _deliver_base(recipient, smsc, when) | {"Text": "", "Coding": "Default_No_Compression"}
    deliver = bytes(gammu.EncodePDU(base, "Deliver"))
    first = deliver[0] + 1
    address_end = first + 1 + 2 + (deliver[first + 1] + 1) // 2
    address = deliver[first + 1 : address_end]
    stamp = deliver[address_end + 2 : address_end + 9]
    return deliver[:first] + bytes([0x06, reference]) + address + stamp + stamp + b"\x00"


def pdu_text(decoded: dict[str, Any]) -> str:
    """The text of a PDU Gammu decoded (python-gammu pads it to the septet count: cut at the NUL)."""
    text = decoded.get("Text")
    return text.split("\x00", 1)[0] if isinstance(text, str) else ""


def _concat(decoded: dict[str, Any]) -> Concat | None:
    udh = decoded.get("UDH") or {}
    if udh.get("Type") not in ("ConcatenatedMessages", "ConcatenatedMessages16bit"):
        return None
    ref = udh["ID16bit"] if udh["ID16bit"] >= 0 else udh["ID8bit"]
    return Concat(int(ref), int(udh["PartNumber"]), int(udh["AllParts"]))


class AtEngine:
    """The modem's state and its AT interpreter (see the module docstring)."""

    def __init__(
        self,
        *,
        identity: Identity | None = None,
        pin: str | None = None,
        puk: str = "12345678",
        sim: SimState | None = None,
        registration: Registration = "home",
        rssi: int = 20,
        smsc: str = "+33609001390",
        operator: tuple[str, str] = ("20801", "Orange F"),
        capacity: int = 30,
        pdu_mode: bool = True,
        delivery_reports: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.identity = identity or Identity()
        self.pin, self.puk = pin, puk
        self.sim: SimState = sim or ("pin" if pin else "ready")
        self.pin_tries, self.puk_tries = 3, 10
        self.registration: Registration = registration
        self.rssi = rssi
        self.smsc = smsc
        self.operator = operator
        self.capacity = capacity
        self.pdu_mode = pdu_mode
        self.delivery_reports = delivery_reports
        self.clock = clock or (lambda: datetime.now(UTC))
        self.store: dict[int, StoredSms] = {}
        self.sent: list[SubmittedSms] = []
        self.commands: deque[str] = deque(maxlen=2000)
        self.cms_errors: deque[int | None] = deque()
        """The answers to the next sends: a ``+CMS ERROR`` code, or None for a normal send."""
        self.hangup_on_send: Literal["before", "after"] | None = None
        self._mr = 0
        self._line = bytearray()
        self._edit: _Edit | None = None
        self._table = self._handlers()
        self.reset()

    # -- settings -------------------------------------------------------------------------
    def reset(self) -> None:
        """The settings a power-on or ATZ gives (the SIM store and the network stay)."""
        self.echo = True
        self.cmee = 0
        self.cmgf = 0 if self.pdu_mode else 1
        self.csdh = 0
        self.cscs = "IRA"
        self.cnmi = [0, 0, 0, 0, 0]
        self.creg_n = {"+CREG": 0, "+CGREG": 0}
        self.cops_format = 0
        self.csmp = [17, 167, 0, 0]
        self._line.clear()
        self._edit = None

    def power_cycle(self) -> None:
        """Unplugged and plugged back: settings lost, a SIM with a PIN locked again."""
        self.reset()
        if self.pin and self.sim == "ready":
            self.sim = "pin"
            self.pin_tries = 3

    @property
    def registered(self) -> bool:
        return self.network_state in ("home", "roaming")

    @property
    def network_state(self) -> Registration:
        return self.registration if self.sim == "ready" else "none"

    # -- bytes in ---------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Effect]:
        effects: list[Effect] = []
        for byte in data:
            if self._edit is not None:
                effects.extend(self._edit_byte(byte))
            elif byte == 0x0D:
                if self.echo:
                    effects.append(Echo(b"\r"))
                line = bytes(self._line)
                self._line.clear()
                effects.extend(self._command_line(line))
            elif byte == 0x1B:
                self._line.clear()
            elif byte == 0x08:
                del self._line[-1:]
            elif byte != 0x0A:
                if len(self._line) < 1024:
                    self._line.append(byte)
                if self.echo:
                    effects.append(Echo(bytes([byte])))
        return _merge(effects)

    def _edit_byte(self, byte: int) -> list[Effect]:
        edit = self._edit
        if edit is None:
            return []
        if byte == 0x1A:
            self._edit = None
            return self._submit(edit)
        if byte == 0x1B:
            self._edit = None
            return [Answer(b"\r\nOK\r\n")]
        if byte == 0x0D and edit.mode == "text":
            edit.body.append(0x0A)
            return [Answer(b"\r\n> ")]
        if byte in (0x0D, 0x0A) or len(edit.body) > 2048:
            return []
        edit.body.append(byte)
        return [Echo(bytes([byte]))] if self.echo else []

    def _command_line(self, raw: bytes) -> list[Effect]:
        text = raw.decode("latin-1").strip()
        if not text[:2].upper() == "AT":
            return []
        self.commands.append(text)
        try:
            lines = self._execute(text[2:])
        except CmeError as e:
            return [Answer(self._cme(e.code))]
        except CmsError as e:
            return [Answer(f"\r\n+CMS ERROR: {e.code}\r\n".encode())]
        except CommandError:
            return [Answer(b"\r\nERROR\r\n")]
        if lines is None:
            return [Answer(b"\r\n> ")]
        return [Answer(self._encode_lines(lines) + b"\r\nOK\r\n")]

    def _cme(self, code: int) -> bytes:
        if self.cmee == 0:
            return b"\r\nERROR\r\n"
        if self.cmee == 2:
            return f"\r\n+CME ERROR: {CME_TEXT.get(code, 'unknown')}\r\n".encode()
        return f"\r\n+CME ERROR: {code}\r\n".encode()

    @staticmethod
    def _encode_lines(lines: list[str | bytes]) -> bytes:
        """Information lines as V.25ter frames them: ``<CR><LF>line<CR><LF>line…<CR><LF>``."""
        if not lines:
            return b""
        return (
            b"\r\n"
            + b"\r\n".join(ln if isinstance(ln, bytes) else ln.encode("latin-1") for ln in lines)
            + b"\r\n"
        )

    # -- commands ---------------------------------------------------------------------------
    _BASIC = re.compile(r"^(?:(E|Q|V|Z|H|&F|&W|I)(\d*))$", re.IGNORECASE)
    _EXTENDED = re.compile(r"^([+$^*#%][A-Z0-9]+)(=\?|\?|=.*)?$", re.IGNORECASE | re.DOTALL)

    def _execute(self, body: str) -> list[str | bytes] | None:
        """The info lines of a command ending in OK; None for the ``>`` prompt."""
        if body == "":
            return []
        basic = self._BASIC.match(body)
        if basic:
            return self._basic(basic.group(1).upper(), basic.group(2))
        extended = self._EXTENDED.match(body)
        if not extended:
            raise CommandError
        name, suffix = extended.group(1).upper(), extended.group(2) or ""
        handler = self._table.get(name)
        if handler is None:
            raise CommandError
        args: list[str] = []
        if suffix == "=?":
            kind = "test"
        elif suffix == "?":
            kind = "read"
        elif suffix.startswith("="):
            kind, args = "set", _split_args(suffix[1:])
        else:
            kind = "exec"
        return handler(kind, args)

    def _basic(self, name: str, value: str) -> list[str | bytes]:
        if name == "E":
            self.echo = value not in ("", "0")
        elif name in ("Z", "&F"):
            self.reset()
        elif name == "I":
            if value in ("", "0"):
                return [
                    self.identity.manufacturer,
                    self.identity.model,
                    f"Revision: {self.identity.revision}",
                ]
            if value == "3":
                return [self.identity.manufacturer]
            if value == "4":
                return [self.identity.model]
            if value == "5":
                return [self.identity.revision]
            raise CommandError
        return []

    Handler = Callable[[str, list[str]], "list[str | bytes] | None"]

    def _handlers(self) -> dict[str, AtEngine.Handler]:
        """Extended commands by name; each gets the kind (test, read, set, exec) and its arguments."""
        return {
            "+CMEE": self._cmee,
            "+CSCS": self._cscs,
            "+CGMI": self._info(lambda: self.identity.manufacturer),
            "+GMI": self._info(lambda: self.identity.manufacturer),
            "+CGMM": self._info(lambda: self.identity.model),
            "+GMM": self._info(lambda: self.identity.model),
            "+CGMR": self._info(lambda: self.identity.revision),
            "+GMR": self._info(lambda: self.identity.revision),
            "+CGSN": self._info(lambda: self.identity.imei),
            "+GSN": self._info(lambda: self.identity.imei),
            "+CIMI": self._cimi,
            "+CPIN": self._cpin,
            "+CFUN": self._cfun,
            "+CREG": self._registration("+CREG"),
            "+CGREG": self._registration("+CGREG"),
            "+CGATT": self._cgatt,
            "+CSQ": self._csq,
            "+COPS": self._cops,
            "+CCLK": self._cclk,
            "+CHUP": lambda kind, args: [],
            "+CMGF": self._cmgf,
            "+CSDH": self._csdh,
            "+CSCA": self._csca,
            "+CSMP": self._csmp,
            "+CPMS": self._cpms,
            "+CNMI": self._cnmi,
            "+CMMS": lambda kind, args: [],
            "+CMGS": self._cmgs,
            "+CMGL": self._cmgl,
            "+CMGR": self._cmgr,
            "+CMGD": self._cmgd,
        }

    def _info(self, value: Callable[[], str]) -> AtEngine.Handler:
        def handler(kind: str, args: list[str]) -> list[str | bytes]:
            if kind == "test":
                return []
            if kind != "exec":
                raise CommandError
            return [value()]

        return handler

    def _need_sim(self, sms: bool = False) -> None:
        if self.sim == "ready":
            return
        if sms:
            raise CmsError({"absent": 310, "pin": 311, "puk": 316}[self.sim])
        raise CmeError({"absent": 10, "pin": 11, "puk": 12}[self.sim])

    def _cmee(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "set":
            self.cmee = _int(args[0], 0, 2)
            return []
        if kind == "read":
            return [f"+CMEE: {self.cmee}"]
        if kind == "test":
            return ["+CMEE: (0-2)"]
        raise CommandError

    def _cscs(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "set":
            name = self._decode_string(args[0]).upper()
            if name not in CHARSETS:
                raise CmeError(4)
            self.cscs = name
            return []
        if kind == "read":
            return [f'+CSCS: "{self.cscs}"']
        if kind == "test":
            return ["+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")"]
        raise CommandError

    def _cimi(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return []
        self._need_sim()
        return [self.identity.imsi]

    def _cpin(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return []
        if self.sim == "absent":
            raise CmeError(10)
        if kind == "read":
            return ["+CPIN: " + {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}[self.sim]]
        if kind != "set":
            raise CommandError
        if self.sim == "ready":
            raise CmeError(3)
        if self.sim == "pin":
            if args[0] == self.pin:
                self.sim, self.pin_tries = "ready", 3
                return []
            self.pin_tries -= 1
            if self.pin_tries == 0:
                self.sim = "puk"
            raise CmeError(16)
        if len(args) == 2 and args[0] == self.puk and args[1]:
            self.pin, self.sim, self.pin_tries, self.puk_tries = args[1], "ready", 3, 10
            return []
        self.puk_tries -= 1
        raise CmeError(16)

    def _cfun(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "read":
            return ["+CFUN: 1"]
        if kind == "test":
            return ["+CFUN: (0,1,4),(0,1)"]
        return []

    def _registration(self, name: str) -> AtEngine.Handler:
        def handler(kind: str, args: list[str]) -> list[str | bytes]:
            if kind == "set":
                self.creg_n[name] = _int(args[0], 0, 2)
                return []
            if kind == "test":
                return [f"{name}: (0-2)"]
            if kind != "read":
                raise CommandError
            n, stat = self.creg_n[name], CREG_STAT[self.network_state]
            if n == 2 and self.registered:
                return [f'{name}: {n},{stat},"1A2B","00C3D4E5"']
            return [f"{name}: {n},{stat}"]

        return handler

    def _cgatt(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "read":
            return [f"+CGATT: {int(self.registered)}"]
        if kind == "test":
            return ["+CGATT: (0,1)"]
        return []

    def _csq(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return ["+CSQ: (0-31,99),(0-7,99)"]
        if kind != "exec":
            raise CommandError
        return [f"+CSQ: {self.rssi},99"]

    def _cops(self, kind: str, args: list[str]) -> list[str | bytes]:
        code, name = self.operator
        if kind == "set":
            mode = _int(args[0], 0, 4)
            if mode == 3 and len(args) > 1:
                self.cops_format = _int(args[1], 0, 2)
            return []
        if kind == "test":
            return [f'+COPS: (2,"{name}","{name[:8]}","{code}"),,(0-4),(0-2)']
        if kind != "read":
            raise CommandError
        if not self.registered:
            return ["+COPS: 0"]
        shown = code if self.cops_format == 2 else name if self.cops_format == 0 else name[:8]
        return [f'+COPS: 0,{self.cops_format},"{self._encode_string(shown)}",0']

    def _cclk(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "read":
            return [f'+CCLK: "{_scts(self.clock())}"']
        if kind == "set":
            return []
        raise CommandError

    # -- SMS settings -------------------------------------------------------------------------
    def _cmgf(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "set":
            mode = _int(args[0], 0, 1)
            if mode == 0 and not self.pdu_mode:
                raise CmeError(4)
            self.cmgf = mode
            return []
        if kind == "read":
            return [f"+CMGF: {self.cmgf}"]
        if kind == "test":
            return ["+CMGF: (0,1)" if self.pdu_mode else "+CMGF: (1)"]
        raise CommandError

    def _csdh(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "set":
            self.csdh = _int(args[0] or "0", 0, 1)
            return []
        if kind == "read":
            return [f"+CSDH: {self.csdh}"]
        if kind == "test":
            return ["+CSDH: (0,1)"]
        raise CommandError

    def _csca(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return []
        self._need_sim(sms=True)
        if kind == "set":
            number = self._decode_string(args[0])
            if not re.fullmatch(r"\+?[0-9]{3,20}", number):
                raise CmsError(304)
            self.smsc = number
            return []
        if kind == "read":
            return [f'+CSCA: "{self._encode_string(self.smsc)}",{_type_of(self.smsc)}']
        raise CommandError

    def _csmp(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "set":
            for i, value in enumerate(args[:4]):
                if value:
                    self.csmp[i] = _int(value, 0, 255)
            return []
        if kind == "read":
            return ["+CSMP: " + ",".join(str(v) for v in self.csmp)]
        if kind == "test":
            return []
        raise CommandError

    def _usage(self) -> str:
        used = len(self.store)
        return ",".join([f"{used},{self.capacity}"] * 3)

    def _cpms(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return ['+CPMS: ("SM"),("SM"),("SM")']
        self._need_sim(sms=True)
        if kind == "read":
            used = len(self.store)
            return ["+CPMS: " + ",".join([f'"SM",{used},{self.capacity}'] * 3)]
        if kind != "set":
            raise CommandError
        if not args or any(a.upper() not in ("SM", "") for a in args[:3]) or len(args) > 3:
            raise CmsError(302)
        return [f"+CPMS: {self._usage()}"]

    def _cnmi(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return ["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"]
        if kind == "read":
            return ["+CNMI: " + ",".join(str(v) for v in self.cnmi)]
        if kind != "set":
            raise CommandError
        limits = (2, 3, 3, 2, 1)
        for i, value in enumerate(args[:5]):
            if value:
                self.cnmi[i] = _int(value, 0, limits[i])
        return []

    # -- character sets -----------------------------------------------------------------------
    def _decode_string(self, text: str) -> str:
        """A quoted parameter in the TE character set (AT+CSCS) → text."""
        if self.cscs == "UCS2" and re.fullmatch(r"(?:[0-9A-Fa-f]{4})+", text):
            return bytes.fromhex(text).decode("utf-16-be")
        return text

    def _encode_string(self, text: str) -> str:
        if self.cscs == "UCS2":
            return text.encode("utf-16-be").hex().upper()
        if self.cscs == "GSM":
            return gsm7_encode(text).decode("latin-1")
        return text.encode("ascii", "replace").decode("ascii")

    def _decode_body(self, body: bytes, ucs2_data: bool) -> str:
        if ucs2_data or self.cscs == "UCS2":
            hex_text = re.sub(rb"[^0-9A-Fa-f]", b"", body)
            return bytes.fromhex(hex_text[: len(hex_text) // 4 * 4].decode()).decode("utf-16-be", "replace")
        if self.cscs == "GSM":
            return gsm7_decode(body)
        return body.decode("ascii", "replace")

    # -- sending ------------------------------------------------------------------------------
    def _cmgs(self, kind: str, args: list[str]) -> list[str | bytes] | None:
        if kind == "test":
            return []
        if kind != "set":
            raise CommandError
        self._need_sim(sms=True)
        if self.cmgf == 0:
            self._edit = _Edit("pdu", length=_int(args[0], 1, 164))
        else:
            number = self._decode_string(args[0])
            if not re.fullmatch(r"\+?[0-9*#]{1,20}", number):
                raise CmsError(304)
            self._edit = _Edit("text", number=number)
        return None

    def _submit(self, edit: _Edit) -> list[Effect]:
        try:
            fields = self._parse_pdu(edit) if edit.mode == "pdu" else self._parse_text(edit)
        except CmsError as e:
            return [Answer(f"\r\n+CMS ERROR: {e.code}\r\n".encode())]
        if self.hangup_on_send == "before":
            self.hangup_on_send = None
            return [Hangup()]
        code = self.cms_errors.popleft() if self.cms_errors else None
        if code is not None:
            return [Answer(f"\r\n+CMS ERROR: {code}\r\n".encode())]
        if not self.registered:
            return [Answer(b"\r\n+CMS ERROR: 331\r\n")]
        self._mr = (self._mr + 1) % 256
        sms = SubmittedSms(**fields, reference=self._mr, at=self.clock())
        self.sent.append(sms)
        if self.hangup_on_send == "after":
            self.hangup_on_send = None
            return [Hangup()]
        effects: list[Effect] = [Answer(f"\r\n+CMGS: {sms.reference}\r\n\r\nOK\r\n".encode())]
        if sms.report_requested and self.delivery_reports:
            pdu = status_report_pdu(sms.number, sms.reference, self.smsc, sms.at)
            effects.extend(self._incoming(pdu, report=True)[1])
        return effects

    def _parse_pdu(self, edit: _Edit) -> dict[str, Any]:
        hex_text = bytes(edit.body).decode("latin-1").strip()
        try:
            raw = bytes.fromhex(hex_text)
            if not raw or len(raw) - 1 - raw[0] != edit.length:
                raise CmsError(304)
            decoded = gammu.DecodePDU(raw)
        except (ValueError, IndexError, gammu.GSMError):
            raise CmsError(304) from None
        if decoded["Type"] != "Submit":
            raise CmsError(304)
        return {
            "number": decoded["Number"],
            "text": pdu_text(decoded),
            "coding": decoded["Coding"],
            "report_requested": bool(raw[1 + raw[0]] & 0x20),
            "concat": _concat(decoded),
            "smsc": decoded["SMSC"]["Number"] or self.smsc,
            "mode": "pdu",
            "pdu": raw.hex().upper(),
        }

    def _parse_text(self, edit: _Edit) -> dict[str, Any]:
        ucs2 = self.csmp[3] & 0x0C == 0x08
        text = self._decode_body(bytes(edit.body), ucs2)
        if not ucs2:
            text = "".join(ch if ch in _GSM7_CODE else "?" for ch in text)
        if len(text) > (70 if ucs2 else 160):
            raise CmsError(304)
        return {
            "number": edit.number,
            "text": text,
            "coding": "Unicode_No_Compression" if ucs2 else "Default_No_Compression",
            "report_requested": bool(self.csmp[0] & 0x20),
            "concat": None,
            "smsc": self.smsc,
            "mode": "text",
        }

    # -- receiving ----------------------------------------------------------------------------
    def deliver(self, sender: str, text: str, when: datetime | None = None) -> tuple[list[int], list[Effect]]:
        """Store ``text`` from ``sender`` as the network delivers it; its SIM indexes and notifications."""
        stamp = (when or self.clock()).astimezone(UTC)
        indexes: list[int] = []
        effects: list[Effect] = []
        for pdu in deliver_pdus(sender, text, self.smsc, stamp):
            index, more = self._incoming(pdu, report=False)
            if index is not None:
                indexes.append(index)
            effects.extend(more)
        return indexes, effects

    def _incoming(self, pdu: bytes, *, report: bool) -> tuple[int | None, list[Effect]]:
        """Store (or, for a report with AT+CNMI ds=1, forward) ``pdu``; where, and what to say."""
        mode, mt, _, ds, _ = self.cnmi
        if report and ds == 1:
            line = f"+CDS: {len(pdu) - 1 - pdu[0]}"
            return None, [Answer(self._encode_lines([line, pdu.hex().upper()]))] if mode else []
        free = [i for i in range(1, self.capacity + 1) if i not in self.store]
        if not free:
            return None, []
        index = free[0]
        self.store[index] = StoredSms(pdu)
        if mode and ((report and ds == 2) or (not report and mt in (1, 2, 3))):
            return index, [Answer(self._encode_lines([f'+{"CDSI" if report else "CMTI"}: "SM",{index}']))]
        return index, []

    def _index(self, text: str) -> int:
        try:
            index = int(text)
        except ValueError:
            raise CommandError from None
        if not 1 <= index <= self.capacity:
            raise CmsError(321)
        return index

    def _stat_filter(self, args: list[str]) -> int:
        if not args or args[0] == "":
            return 0
        if self.cmgf == 0:
            return _int(args[0], 0, 4)
        name = self._decode_string(args[0]).upper()
        if name not in STAT_NAMES:
            raise CommandError
        return STAT_NAMES.index(name)

    def _cmgl(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            if self.cmgf == 0:
                return ["+CMGL: (0-4)"]
            return ["+CMGL: (" + ",".join(f'"{n}"' for n in STAT_NAMES) + ")"]
        self._need_sim(sms=True)
        wanted = self._stat_filter(args)
        lines: list[str | bytes] = []
        for index in sorted(self.store):
            sms = self.store[index]
            if wanted != 4 and sms.stat != wanted:
                continue
            lines.extend(self._listing(index, sms, "+CMGL"))
            if sms.stat == 0:
                sms.stat = 1
        return lines

    def _cmgr(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return []
        if kind != "set":
            raise CommandError
        self._need_sim(sms=True)
        index = self._index(args[0])
        sms = self.store.get(index)
        if sms is None:
            return []
        lines = self._listing(index, sms, "+CMGR")
        if sms.stat == 0:
            sms.stat = 1
        return lines

    def _listing(self, index: int, sms: StoredSms, name: str) -> list[str | bytes]:
        prefix = f"{name}: {index}," if name == "+CMGL" else f"{name}: "
        if self.cmgf == 0:
            return [f"{prefix}{sms.stat},,{sms.tpdu_length}", sms.pdu.hex().upper()]
        d = sms.decoded()
        stat = f'"{STAT_NAMES[sms.stat]}"'
        number = self._encode_string(d["Number"])
        if d["Type"] == "Status_Report":
            stamps = f'"{_scts(d["DateTime"])}","{_scts(d["SMSCDateTime"])}"'
            return [
                f'{prefix}{stat},6,{d["MessageReference"]},"{number}",{_type_of(d["Number"])},{stamps},'
                f"{d['DeliveryStatus']}"
            ]
        ucs2 = d["Coding"] == "Unicode_No_Compression"
        text = pdu_text(d)
        data = text.encode("utf-16-be").hex().upper() if ucs2 else self._encode_string(text)
        head = f'{prefix}{stat},"{number}",,"{_scts(d["DateTime"])}"'
        if self.csdh:
            length = len(text) * 2 if ucs2 else len(gsm7_encode(text))
            if name == "+CMGL":
                head += f",{_type_of(d['Number'])},{length}"
            else:
                smsc = d["SMSC"]["Number"]
                head += f',{_type_of(d["Number"])},4,0,{8 if ucs2 else 0},"{smsc}",{_type_of(smsc)},{length}'
        return [head, data.encode("latin-1")]

    def _cmgd(self, kind: str, args: list[str]) -> list[str | bytes]:
        if kind == "test":
            return [f"+CMGD: (1-{self.capacity}),(0-4)"]
        if kind != "set":
            raise CommandError
        self._need_sim(sms=True)
        index = self._index(args[0])
        flag = _int(args[1], 0, 4) if len(args) > 1 and args[1] else 0
        if flag == 0:
            self.store.pop(index, None)
            return []
        doomed = {1: {1}, 2: {1, 3}, 3: {1, 2, 3}, 4: {0, 1, 2, 3}}[flag]
        for i in [i for i, sms in self.store.items() if sms.stat in doomed]:
            del self.store[i]
        return []


def _merge(effects: list[Effect]) -> list[Effect]:
    """Adjacent echoes as one write."""
    merged: list[Effect] = []
    for effect in effects:
        if isinstance(effect, Echo) and merged and isinstance(merged[-1], Echo):
            merged[-1] = Echo(merged[-1].data + effect.data)
        else:
            merged.append(effect)
    return merged
