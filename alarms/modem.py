"""The GSM modem channel: SMS sent and received through a USB/serial modem with python-gammu.

Owns :class:`GsmModem`, a :class:`~chaufferie.alarms.channels.Notifier` (``name = "modem"``)
that keeps working when the Internet does not: the alarm SMS goes over the telephone network
from the boiler room. Gammu's AT driver does the modem's work (PIN, PDU encoding, UCS-2 only
when a character is not in the GSM alphabet, concatenation, delivery reports); this module
runs it without blocking the event loop and turns its failures into :class:`ModemError`
(a :class:`~chaufferie.alarms.errors.ChannelError`) with the device's name and what went wrong.

Gammu's StateMachine blocks and is not thread-safe: every call runs on one worker thread,
bounded by ``settings.timeout_s``. A call past its time, or a device that vanished under it
(the port's node removed or re-pointed, as udev does when a USB modem is pulled), is
aborted with ``StateMachine.Abort`` — the one call made from another thread, it only raises
a flag — and the StateMachine is thrown away: the next call connects again. A PIN the SIM
refused is not entered again (three refusals block the SIM) until the environment gives
another. The PIN is never logged nor put in an error.

:meth:`GsmModem.receive` reads the SIM's messages (parts joined), hands each to the caller
and deletes it only after the handler returned; status reports go to ``reports``.

At-least-once: a modem that dies after submitting a message but before answering
``+CMGS`` leaves the send ambiguous; it counts as failed and the outbox's retry may send it
twice. :meth:`GsmModem.find_sent` cannot tell (a modem keeps no record) and returns None.
A retry of a long message resends only the parts not yet accepted, under the same
concatenation reference (derived from the outbox key), so the phone completes the message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import re
import select
import termios
import time
import tty
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import gammu

from chaufferie.alarms.errors import ChannelError
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.alarming import ModemSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

RegistrationState = Literal["home", "roaming", "searching", "denied", "none", "unknown"]
SimStatus = Literal["ready", "pin", "puk", "absent", "unknown"]

_REGISTRATION: dict[str, RegistrationState] = {
    "HomeNetwork": "home",
    "RoamingNetwork": "roaming",
    "RequestingNetwork": "searching",
    "RegistrationDenied": "denied",
    "NoNetwork": "none",
}
_E164ISH = re.compile(r"^\+?[0-9]{3,20}$")
INCOMPLETE_AFTER_S = 3600.0
"""A long message still missing parts this long after its first one is handed over as it is."""
WATCH_S = 0.25
PROBE_S = 3.0
"""How long a port may take to answer ``AT`` with ``OK`` before Gammu is let near it."""
_MAX_PROGRESS = 256

# Gammu's errors, as an operator reads them (French first)
_WHAT = {
    "ERR_DEVICENOTEXIST": "périphérique absent / no such device",
    "ERR_DEVICEOPENERROR": "ouverture impossible (occupé ?) / cannot open (busy?)",
    "ERR_DEVICELOCKED": "port verrouillé par un autre programme / port locked by another program",
    "ERR_DEVICENOPERMISSION": "accès refusé au port / permission denied",
    "ERR_DEVICEBUSY": "port occupé / port busy",
    "ERR_DEVICEREADERROR": "port fermé / port closed",
    "ERR_DEVICEWRITEERROR": "port fermé / port closed",
    "ERR_TIMEOUT": "pas de réponse / no answer",
    "ERR_UNKNOWNRESPONSE": "réponse incompréhensible, pas un modem ? / garbled answer, not a modem?",
    "ERR_UNKNOWNFRAME": "réponse incompréhensible, pas un modem ? / garbled answer, not a modem?",
    "ERR_FRAMENOTREQUESTED": "réponse incompréhensible, pas un modem ? / garbled answer, not a modem?",
    "ERR_NOSIM": "pas de carte SIM / no SIM card",
    "ERR_SECURITYERROR": "code PIN refusé / PIN refused",
    "ERR_NETWORK_ERROR": "refus du réseau / network refused",
    "ERR_FULL": "mémoire pleine / memory full",
    "ERR_ABORTED": "abandonné / aborted",
}
_CONNECTION_LOST = {
    "ERR_DEVICENOTEXIST",
    "ERR_DEVICEOPENERROR",
    "ERR_DEVICELOCKED",
    "ERR_DEVICENOPERMISSION",
    "ERR_DEVICEBUSY",
    "ERR_DEVICEREADERROR",
    "ERR_DEVICEWRITEERROR",
    "ERR_TIMEOUT",
    "ERR_ABORTED",
    "ERR_NOTCONNECTED",
    "ERR_UNKNOWNRESPONSE",
    "ERR_UNKNOWNFRAME",
    "ERR_FRAMENOTREQUESTED",
}


class ModemError(ChannelError):
    """The modem could not do it; the message names the device and the cause (never the PIN)."""


@dataclass(frozen=True)
class ModemHealth:
    """One poll of the modem: port, SIM, network, signal; ``error`` empty when all is well."""

    connected: bool = False
    registration: RegistrationState = "unknown"
    signal_percent: int | None = None
    signal_dbm: int | None = None
    sim: SimStatus = "unknown"
    last_sent: datetime | None = None
    error: str = ""

    @property
    def registered(self) -> bool:
        return self.registration in ("home", "roaming")


@dataclass(frozen=True)
class IncomingSms:
    """A received SMS, parts joined; ``reference`` identifies it for replay protection."""

    sender: str
    text: str
    sent_at: datetime
    """The SMS centre's time stamp, UTC."""
    reference: str


@dataclass(frozen=True)
class DeliveryReport:
    """A status report: what became of the message the modem answered ``+CMGS: reference`` to."""

    reference: int
    recipient: str
    delivered: bool
    status: int
    """TP-Status of 3GPP TS 23.040 (0: received by the phone)."""
    at: datetime | None


@dataclass
class _Progress:
    """The parts of a message the modem already accepted (for a retry to send only the rest)."""

    text: str
    references: dict[int, int] = field(default_factory=dict)


class _Gone(Exception):
    """The device vanished or was re-pointed during a call."""


_SIM_STATUS: dict[str | None, SimStatus] = {None: "ready", "PIN": "pin", "PUK": "puk"}


def _tolerate(call: Callable[[], T], default: T) -> T:
    """(worker) ``call()``, or ``default`` when the modem refuses it; a lost port still raises."""
    try:
        return call()
    except gammu.GSMError as exc:
        if _error_name(exc) in _CONNECTION_LOST:
            raise
        return default


def _sim_status(sm: Any) -> SimStatus:
    """(worker) What the SIM waits for."""
    try:
        return _SIM_STATUS.get(sm.GetSecurityStatus(), "unknown")
    except gammu.ERR_NOSIM:
        return "absent"
    except gammu.GSMError as exc:
        if _error_name(exc) in _CONNECTION_LOST:
            raise
        return "unknown"


def _error_name(exc: BaseException) -> str:
    return type(exc).__name__ if isinstance(exc, gammu.GSMError) else ""


def _why(exc: BaseException) -> str:
    name = _error_name(exc)
    if name:
        return _WHAT.get(name, name)
    if isinstance(exc, TimeoutError):
        return _WHAT["ERR_TIMEOUT"]
    if isinstance(exc, _Gone):
        return "modem débranché / modem unplugged"
    return type(exc).__name__


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _part_text(part: dict[str, Any]) -> str:
    """A part's text; python-gammu pads it to the septet count, so cut at the first NUL."""
    text = part.get("Text")
    return text.split("\x00", 1)[0] if isinstance(text, str) else ""


def _concat_ref(part: dict[str, Any]) -> int | None:
    udh = part.get("UDH") or {}
    if not str(udh.get("Type", "")).startswith("ConcatenatedMessages"):
        return None
    return int(udh["ID16bit"] if udh.get("ID16bit", -1) >= 0 else udh.get("ID8bit", -1))


class GsmModem:
    """SMS through a GSM modem (see the module docstring)."""

    name = "modem"
    medium = "sms"

    def __init__(self, settings: ModemSettings, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.settings = settings
        self._pin = env.get(settings.pin_env) if settings.pin_env else None
        self._refused_pin: str | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gammu")
        self._lock = asyncio.Lock()
        self._sm: Any = None
        self._discarded: list[Any] = []
        self._target = ""
        self._sim_ready = False
        self._health = ModemHealth(error="pas encore connecté / not connected yet")
        self._last_sent: datetime | None = None
        self._progress: OrderedDict[str, _Progress] = OrderedDict()
        self._first_seen: dict[str, float] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"GsmModem({self.settings.device!r})"

    # -- the Notifier --------------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the port, check it is a modem, unlock the SIM, poll it; :class:`ModemError` if it cannot."""
        async with self._lock:
            self._health = await self._run(self._connect_and_poll, "connexion / connect")

    async def send(self, item: OutboxItem) -> str:
        """Send ``item.text`` to ``item.address``; ``modem:<mr>[,<mr>…]`` (each part's reference)."""
        if not _E164ISH.match(item.address.replace(" ", "")):
            raise ModemError(f"numéro invalide / invalid number: {item.address!r}", permanent=True)
        if not item.text:
            raise ModemError("message vide / empty message", permanent=True)
        async with self._lock:
            references = await self._run(lambda: self._send(item), "envoi / send")
        self._last_sent = datetime.now(UTC)
        self._health = replace(self._health, connected=True, last_sent=self._last_sent, error="")
        return "modem:" + ",".join(str(r) for r in references)

    async def find_sent(self, item: OutboxItem) -> str | None:
        return None

    async def probe(self) -> None:
        await self.health()

    async def aclose(self) -> None:
        """Hang up and stop the worker thread."""
        if self._closed:
            return
        self._closed = True
        sm = self._sm
        if sm is not None and self._lock.locked():
            sm.Abort()
        hang_up = asyncio.get_running_loop().run_in_executor(self._executor, self._disconnect)
        try:
            await asyncio.wait_for(hang_up, self.settings.timeout_s)
        except (TimeoutError, gammu.GSMError, OSError) as exc:
            log.warning("modem %s: not closed cleanly (%s)", self.settings.device, _why(exc))
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- health --------------------------------------------------------------------------------
    async def health(self) -> ModemHealth:
        """Poll the modem once (connecting again if needed); never raises for a modem fault."""
        async with self._lock:
            try:
                self._health = await self._run(self._poll, "état / status")
            except ModemError as exc:
                self._health = replace(self._health, connected=self._sm is not None, error=str(exc))
                if self._sm is None:
                    self._health = replace(
                        self._health,
                        registration="unknown",
                        signal_percent=None,
                        signal_dbm=None,
                        sim="unknown",
                    )
        return self._health

    @property
    def last_health(self) -> ModemHealth:
        return self._health

    def available(self) -> bool:
        """Connected, SIM ready and registered at the last poll (the outbox skips a channel known down)."""
        h = self._health
        return h.connected and h.registered and h.sim == "ready" and not self._closed

    # -- receiving -----------------------------------------------------------------------------
    async def receive(
        self,
        handler: Callable[[IncomingSms], Awaitable[None]],
        reports: Callable[[DeliveryReport], Awaitable[None]] | None = None,
    ) -> int:
        """Hand every stored incoming SMS to ``handler``, deleting each after it returned; how many."""
        async with self._lock:
            groups = await self._run(self._read_all, "lecture / read")
        handled = 0
        for kind, payload, locations in groups:
            try:
                if kind == "sms":
                    await handler(payload)
                elif reports is not None:
                    await reports(payload)
                else:
                    log.info("modem: status report for message %s: %s", payload.reference, payload.status)
            except Exception:
                log.exception(
                    "modem: handler failed for %s, message left on the SIM",
                    getattr(payload, "reference", "?"),
                )
                continue
            async with self._lock:
                await self._run(functools.partial(self._delete, locations), "effacement / delete")
            handled += kind == "sms"
        return handled

    # -- the worker thread ---------------------------------------------------------------------
    async def _run(self, fn: Callable[[], T], what: str) -> T:
        """``fn`` on the worker, bounded by the timeout and watched for the device vanishing."""
        if self._closed:
            raise ModemError(f"modem {self.settings.device} : fermé / closed")
        if self._target and self._device_changed():
            self._forget()  # replugged since the last call: connect again rather than fail once
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, fn)
        deadline = loop.time() + self.settings.timeout_s
        gone = False
        try:
            while True:
                done, _ = await asyncio.wait({future}, timeout=min(WATCH_S, max(0.0, deadline - loop.time())))
                if done:
                    return future.result()
                if loop.time() >= deadline:
                    self._abort()
                    raise TimeoutError
                if self._target and self._device_changed():
                    gone = True
                    self._abort()
                    raise _Gone
        except ChannelError:
            raise
        except (gammu.GSMError, OSError, TimeoutError, _Gone) as exc:
            if gone or isinstance(exc, TimeoutError | _Gone) or _error_name(exc) in _CONNECTION_LOST:
                self._forget()
            raise ModemError(f"modem {self.settings.device} : {what} : {_why(exc)}") from None
        except asyncio.CancelledError:
            self._abort()
            raise
        finally:
            if not future.done():  # abandoned (timeout, unplugged, cancelled): its end is logged, not lost
                future.add_done_callback(_settled_late)

    def _device_changed(self) -> bool:
        try:
            return os.path.realpath(self.settings.device, strict=True) != self._target
        except OSError:
            return True

    def _abort(self) -> None:
        """Make Gammu's blocked call return now; its StateMachine is not used again."""
        sm = self._sm
        if sm is not None:
            sm.Abort()
        self._forget()

    def _forget(self) -> None:
        if self._sm is not None:
            self._discarded.append(self._sm)
        self._sm, self._target, self._sim_ready = None, "", False
        self._health = replace(self._health, connected=False)

    def _connect_and_poll(self) -> ModemHealth:
        self._ensure_ready()
        return self._poll()

    def _ensure_ready(self) -> Any:
        """(worker) A connected StateMachine with the SIM unlocked."""
        sm = self._ensure_connected()
        if not self._sim_ready:
            self._unlock_sim(sm)
        return sm

    def _ensure_connected(self) -> Any:
        """(worker) The StateMachine, connected again when it was lost."""
        if self._sm is not None:
            return self._sm
        self._disconnect()
        device = self.settings.device
        if not os.path.exists(device):
            raise ModemError(f"modem {device} : {_WHAT['ERR_DEVICENOTEXIST']}")
        _probe(device, self.settings.connection, min(PROBE_S, self.settings.timeout_s / 2))
        sm = gammu.StateMachine()
        sm.SetConfig(
            0,
            {
                "Device": device,
                "Connection": self.settings.connection,
                "SyncTime": False,
                "LockDevice": False,
                "StartInfo": False,
                "UseGlobalDebugFile": False,
                "DebugFile": None,
                "DebugLevel": "",
            },
        )
        self._sm, self._target = sm, os.path.realpath(device)
        started = time.monotonic()
        try:
            sm.Init()
        except BaseException:
            if self._sm is sm:
                self._sm, self._target = None, ""
            with contextlib.suppress(gammu.GSMError):
                sm.Terminate()
            raise
        log.info("modem %s connected in %.1f s", device, time.monotonic() - started)
        return sm

    def _unlock_sim(self, sm: Any) -> None:
        device = self.settings.device
        try:
            status = sm.GetSecurityStatus()
        except gammu.ERR_NOSIM:
            raise ModemError(f"modem {device} : {_WHAT['ERR_NOSIM']}") from None
        if status == "PIN":
            pin = self._pin
            if not pin:
                raise ModemError(
                    f"modem {device} : la SIM demande son code PIN, variable {self.settings.pin_env} absente"
                    f" / the SIM asks for its PIN, {self.settings.pin_env} is not set"
                )
            if pin == self._refused_pin:
                raise ModemError(
                    f"modem {device} : code PIN déjà refusé, pas de nouvel essai (la SIM se bloquerait)"
                    f" / PIN refused before, not tried again (the SIM would block)"
                )
            try:
                sm.EnterSecurityCode("PIN", pin)
            except gammu.ERR_SECURITYERROR:
                self._refused_pin = pin
                raise ModemError(f"modem {device} : {_WHAT['ERR_SECURITYERROR']}") from None
            log.info("modem %s: PIN entered", device)
        elif status == "PUK":
            raise ModemError(f"modem {device} : SIM bloquée, code PUK nécessaire / SIM blocked, PUK needed")
        elif status is not None:
            raise ModemError(
                f"modem {device} : la SIM demande un code {status} / the SIM asks for a {status} code"
            )
        self._sim_ready = True

    def _disconnect(self) -> None:
        """(worker) Close the port of the current StateMachine and of those thrown away."""
        self._forget()
        while self._discarded:
            with contextlib.suppress(gammu.GSMError):
                self._discarded.pop().Terminate()

    def _send(self, item: OutboxItem) -> list[int]:
        sm = self._ensure_ready()
        parts = gammu.EncodeSMS(
            {"Class": -1, "Entries": [{"ID": "ConcatenatedAutoTextLong", "Buffer": item.text}]}
        )
        progress = self._progress.get(item.key)
        if progress is None or progress.text != item.text:
            progress = _Progress(item.text)
        self._progress[item.key] = progress
        self._progress.move_to_end(item.key)
        while len(self._progress) > _MAX_PROGRESS:
            self._progress.popitem(last=False)
        reference = int(hashlib.sha256(item.key.encode()).hexdigest()[:2], 16)
        for number, part in enumerate(parts, start=1):
            if number in progress.references:
                continue
            _set_concat_reference(part, reference)
            part["Number"] = item.address.replace(" ", "")
            part["SMSC"] = {"Number": self.settings.smsc} if self.settings.smsc else {"Location": 1}
            if self.settings.delivery_reports:
                part["Type"] = "Status_Report"
            try:
                progress.references[number] = int(sm.SendSMS(part))
            except gammu.GSMError as exc:
                raise ModemError(self._refusal(sm, exc, number, len(parts))) from None
        del self._progress[item.key]
        return [progress.references[n] for n in sorted(progress.references)]

    def _refusal(self, sm: Any, exc: gammu.GSMError, number: int, total: int) -> str:
        """(worker) Why a part was refused, with the network state when Gammu cannot say."""
        name = _error_name(exc)
        where = f"partie {number}/{total} / part {number}/{total}" if total > 1 else ""
        why = _WHAT.get(name, "refusé / refused")
        if name in _CONNECTION_LOST:
            self._forget()
        else:
            state = self._registration(sm)
            if state not in ("home", "roaming", "unknown"):
                why = f"pas de réseau ({state}) / no network ({state})"
        return " : ".join(x for x in (f"modem {self.settings.device}", "envoi / send", where, why) if x)

    @staticmethod
    def _registration(sm: Any) -> RegistrationState:
        """(worker) The network registration, 'unknown' when the modem does not say."""
        state: str = _tolerate(lambda: str(sm.GetNetworkInfo()["State"]), "")
        return _REGISTRATION.get(state, "unknown")

    def _poll(self) -> ModemHealth:
        sm = self._ensure_connected()
        error = ""
        try:
            self._ensure_ready()
            sim: SimStatus = "ready"
        except ModemError as exc:
            error = str(exc)
            sim = _sim_status(sm)
        registration = self._registration(sm)
        quality = _tolerate(sm.GetSignalQuality, {"SignalPercent": -1, "SignalStrength": 0})
        percent = int(quality["SignalPercent"]) if quality["SignalPercent"] >= 0 else None
        dbm = int(quality["SignalStrength"]) if quality["SignalStrength"] < 0 else None
        if not error and registration not in ("home", "roaming"):
            error = (
                f"modem {self.settings.device} : pas de réseau ({registration}) / no network ({registration})"
            )
        return ModemHealth(True, registration, percent, dbm, sim, self._last_sent, error)

    def _read_all(self) -> list[tuple[str, Any, list[int]]]:
        """(worker) Every stored message: ("sms", IncomingSms | "report", DeliveryReport, locations)."""
        sm = self._ensure_ready()
        entries: list[list[dict[str, Any]]] = []
        location: int | None = None
        while True:
            try:
                if location is None:
                    entry = sm.GetNextSMS(Folder=0, Start=True)
                else:
                    entry = sm.GetNextSMS(Folder=0, Location=location)
            except gammu.ERR_EMPTY:
                break
            location = entry[0]["Location"]
            entries.append(entry)
        found: list[tuple[str, Any, list[int]]] = []
        incoming: list[list[dict[str, Any]]] = []
        for entry in entries:
            part = entry[0]
            if part.get("Type") == "Status_Report":
                status = int(part.get("DeliveryStatus", -1))
                found.append(
                    (
                        "report",
                        DeliveryReport(
                            int(part.get("MessageReference", -1)),
                            str(part.get("Number", "")),
                            status == 0,
                            status,
                            _aware(part.get("SMSCDateTime")),
                        ),
                        [part["Location"]],
                    )
                )
            elif part.get("Type") == "Deliver":
                incoming.append(entry)
        for group in gammu.LinkSMS(incoming) if incoming else []:
            message = self._joined(group)
            if message is not None:
                found.append(("sms", message, [p["Location"] for p in group]))
        return found

    def _joined(self, group: list[dict[str, Any]]) -> IncomingSms | None:
        first = group[0]
        sender = str(first.get("Number", ""))
        sent_at = _aware(first.get("DateTime")) or datetime.now(UTC)
        ref = _concat_ref(first)
        total = int((first.get("UDH") or {}).get("AllParts", 1) or 1) if ref is not None else 1
        key = f"{sender}|{sent_at.isoformat()}|{ref}"
        if len(group) < total:
            first_seen = self._first_seen.setdefault(key, time.monotonic())
            if time.monotonic() - first_seen < INCOMPLETE_AFTER_S:
                return None
        self._first_seen.pop(key, None)
        decoded = gammu.DecodeSMS(group) if len(group) > 1 else None
        if decoded and decoded.get("Entries"):
            text = "".join(str(e.get("Buffer") or "") for e in decoded["Entries"])
        else:
            text = "".join(_part_text(p) for p in group)
        digest = hashlib.sha256(f"{key}|{text}".encode()).hexdigest()[:24]
        return IncomingSms(sender, text, sent_at, f"sms-{digest}")

    def _delete(self, locations: list[int]) -> None:
        sm = self._ensure_ready()
        for location in locations:
            with contextlib.suppress(gammu.ERR_EMPTY, gammu.ERR_INVALIDLOCATION):
                sm.DeleteSMS(Folder=0, Location=location)


def _probe(device: str, connection: str, within_s: float) -> None:
    """(worker) ``AT`` on the port must get ``OK``: Gammu would loop for ever on a port that chatters.

    Raises :class:`ModemError` for a port locked by another program, silent, or answering garbage.
    """
    speed = int(connection[2:] or 115200)  # Gammu's speed for a bare "at"
    try:
        fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ModemError(f"modem {device} : {_WHAT['ERR_DEVICENOTEXIST']}") from None
    except OSError as exc:
        raise ModemError(f"modem {device} : {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ModemError(f"modem {device} : {_WHAT['ERR_DEVICELOCKED']}") from None
        try:
            _raw(fd, speed)
        except termios.error:
            raise ModemError(f"modem {device} : pas un port série / not a serial port") from None
        answer = b""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            os.write(fd, b"\x1b\rAT\r")
            until = min(deadline, time.monotonic() + 0.5)
            while (left := until - time.monotonic()) > 0:
                if select.select([fd], [], [], left)[0]:
                    answer = (answer + os.read(fd, 4096))[-4096:]
                    if re.search(rb"(^|[\r\n])OK\r", answer):
                        return
        why = "ERR_UNKNOWNRESPONSE" if answer.strip(b"\r\n\x00") else "ERR_TIMEOUT"
        raise ModemError(f"modem {device} : {_WHAT[why]}")
    except OSError as exc:
        raise ModemError(f"modem {device} : {_WHAT['ERR_DEVICEREADERROR']} ({exc.strerror})") from None
    finally:
        os.close(fd)


def _raw(fd: int, speed: int) -> None:
    tty.setraw(fd)
    attributes = termios.tcgetattr(fd)
    baud = getattr(termios, f"B{speed}", termios.B115200)
    attributes[2] |= termios.CLOCAL | termios.CREAD
    attributes[4] = attributes[5] = baud
    termios.tcsetattr(fd, termios.TCSANOW, attributes)
    termios.tcflush(fd, termios.TCIOFLUSH)


def _set_concat_reference(part: dict[str, Any], reference: int) -> None:
    """Give a part of a long message our concatenation reference (the same at every retry)."""
    udh = part.get("UDH") or {}
    data = udh.get("Text") or b""
    if udh.get("Type") == "ConcatenatedMessages" and data[:3] == b"\x05\x00\x03":
        udh["Text"] = data[:3] + bytes([reference]) + data[4:]
        udh["ID8bit"] = reference


def _settled_late(future: asyncio.Future[Any]) -> None:
    """An abandoned Gammu call ended: say how (its exception would else be "never retrieved")."""
    if not future.cancelled() and future.exception() is not None:
        log.info("modem: an abandoned call ended with %s", _why(future.exception()))  # type: ignore[arg-type]
