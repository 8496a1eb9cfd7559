"""M-Bus source: poll the meters of one M-Bus master (a TCP gateway or a serial converter).

The frames are the library's: pyMeterBus builds the requests (REQ_UD2 to a primary address;
for a secondary address, the SND_UD selection then REQ_UD2 to address 253) and decodes the
meters' RSP_UD answers (:func:`meterbus.load`); pyserial carries them (``socket://host:port``
for a gateway, a device path for a serial converter). pyserial blocks, so every exchange runs
on one worker thread of the link, one request at a time: the bus is half-duplex and the meters
run on batteries (docs/plc-bridge.md, « Compteurs M-Bus »).

Each meter is polled once every ``poll_s`` of the injected clock, ``pause_s`` apart. Its
points take the records' values (× ``scale``) with Good quality, stamped with the time of the
answer. A meter that does not answer is asked again ``retries`` times; after
``bad_after_polls`` polls in a row without an answer its points are Bad (last value kept,
stale) and the link *degraded*. A checksum error, a frame the library cannot decode, a
missing record or a record of another unit than the point expects make that meter's points
Bad at once (a wrong value is worse than none), never a crash. A lost connection to the
gateway makes every point Bad and the link *down*; the source reconnects with the core's
backoff.

Imports :mod:`chaufferie.config`, sibling modules, pyMeterBus and pyserial.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import serial

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.points import MbusLink, MbusSource, Point
from chaufferie.config.vocabulary import Scalar
from chaufferie.plc_bridge.base import LinkSource, SourceCore
from chaufferie.plc_bridge.errors import LinkError


def _import_meterbus() -> Any:
    """pyMeterBus calls ``logging.basicConfig(level=INFO)`` when imported: keep it from
    configuring the process's logging (a root handler, INFO everywhere) behind our back."""
    root = logging.getLogger()
    guard = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(guard)
    try:
        import meterbus

        return meterbus
    finally:
        if added:
            root.removeHandler(guard)


meterbus = _import_meterbus()
log = logging.getLogger(__name__)

SELECTED = 0xFD
"""The address a selected meter answers on (network layer, EN 13757-2)."""
ACK = 0xE5
STRAY_FRAMES = 2
"""Frames of other meters read past while waiting for the one asked (late answers)."""


class MeterSilent(Exception):
    """The meter did not answer."""


class MeterGarbled(Exception):
    """The meter answered with a frame that cannot be trusted (checksum, length, contents)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One data record of an answer: its value (the library's, in ``unit``) and unit."""

    value: float | None
    unit: str


@dataclass(frozen=True, slots=True)
class Answer:
    """A meter's RSP_UD: who sent it (primary address, identification number) and its records."""

    address: int
    ident: str
    records: list[Record]

    def is_from(self, meter: str) -> bool:
        """Whether this answer is ``meter``'s (``p<primary>`` or ``s<identification>``)."""
        return self.address == int(meter[1:]) if meter.startswith("p") else self.ident == meter[1:]


def decode(frame: bytes) -> Answer:
    """The sender and records of an RSP_UD frame (:class:`MeterGarbled` if the library refuses it)."""
    try:
        telegram = meterbus.load(frame)
        records = telegram.records
        address = int(telegram.header.aField.parts[0])
        ident = "".join(f"{b:02x}" for b in telegram.body.bodyHeader.id_nr)
    except Exception as exc:  # the library's errors have no common base: any refusal counts
        raise MeterGarbled(f"{type(exc).__name__}: {exc}") from None
    out: list[Record] = []
    for r in records:
        value = r.value
        number = float(value) if isinstance(value, int | float | Decimal) else None
        out.append(Record(number, str(r.unit)))
    return Answer(address, ident, out)


def readings(
    points: Sequence[Point], records: Sequence[Record]
) -> tuple[list[tuple[str, Scalar]], list[str]]:
    """The values of ``points`` from a meter's ``records``, and the problems (one per bad point)."""
    values: list[tuple[str, Scalar]] = []
    problems: list[str] = []
    for p in points:
        src = p.source
        assert isinstance(src, MbusSource)  # noqa: S101  (the source keeps only M-Bus points)
        if src.record >= len(records):
            problems.append(f"{p.name}: no record {src.record} (the meter sent {len(records)})")
            continue
        rec = records[src.record]
        if src.unit and rec.unit != src.unit:
            problems.append(f"{p.name}: record {src.record} is in {rec.unit}, not {src.unit}")
            continue
        if rec.value is None:
            problems.append(f"{p.name}: record {src.record} has no number")
            continue
        values.append((p.name, rec.value * src.scale))
    return values, problems


class MbusLinkSource(LinkSource):
    """One M-Bus master: polite polling, quality per meter, reconnects. Meters are only read."""

    def __init__(
        self,
        name: str,
        link: MbusLink,
        points: Iterable[Point],
        bus: Bus,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.link = link
        self.points = [p for p in points if isinstance(p.source, MbusSource)]
        self.meters: dict[str, list[Point]] = {}
        for p in self.points:
            assert isinstance(p.source, MbusSource)  # noqa: S101
            self.meters.setdefault(p.source.meter, []).append(p)
        self.core = SourceCore(
            name,
            self.points,
            bus,
            clock,
            heartbeat_point=None,
            heartbeat_timeout_s=link.heartbeat_timeout_s,
            backoff_initial_s=min(link.poll_s, 5.0),
            rng=rng,
        )
        self.silent_polls = dict.fromkeys(self.meters, 0)
        self.polls = 0
        self._port: Any = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"mbus-{name}")

    # ---------------------------------------------------------------- session
    async def _session(self) -> None:
        await self._open()
        await self._poll_every(self.link.poll_s)

    async def _open(self) -> None:
        url = self.link.url
        try:
            self._port = await self._call(
                serial.serial_for_url, url, baudrate=self.link.baudrate, timeout=self.link.timeout_s
            )
        except (OSError, serial.SerialException, ValueError) as exc:
            raise LinkError(f"cannot open the M-Bus master {url}: {exc}") from exc

    async def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            await self._call(port.close)

    async def write(self, point: Point, value: Scalar) -> Scalar:
        raise LinkError(f"{point.name}: an M-Bus meter is only read")

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, lambda: fn(*args, **kwargs))

    # ---------------------------------------------------------------- polling
    async def poll_once(self) -> None:
        """Ask every meter once and publish its records (LinkError if the master is lost)."""
        problems: list[str] = []
        for i, (meter, points) in enumerate(self.meters.items()):
            if i and self.link.pause_s:
                await asyncio.sleep(self.link.pause_s)  # the bus's rest between meters (real time)
            names = [p.name for p in points]
            try:
                answer = await self._ask(meter)
                values, bad = readings(points, answer.records)
            except MeterSilent:
                self.silent_polls[meter] += 1
                if self.silent_polls[meter] >= self.link.bad_after_polls:
                    self.core.fail(names)
                    problems.append(f"meter {meter} silent for {self.silent_polls[meter]} polls")
                continue
            except MeterGarbled as exc:
                log.warning("M-Bus %s meter %s: answer refused: %s", self.name, meter, exc)
                self.core.fail(names)
                problems.append(f"meter {meter}: {exc}")
                continue
            self.silent_polls[meter] = 0
            self.core.accept_many(values)
            if bad:
                log.warning("M-Bus %s meter %s: %s", self.name, meter, "; ".join(bad))
                read = {name for name, _ in values}
                self.core.fail(name for name in names if name not in read)
                problems.extend(bad)
        self.polls += 1
        self.core.settle_state(problems)

    async def _ask(self, meter: str) -> Answer:
        """One meter's answer, asked again ``retries`` times before it counts as silent."""
        for _ in range(self.link.retries + 1):
            try:
                answer: Answer | bool | None = await self._call(self._exchange, meter)
            except (OSError, serial.SerialException) as exc:
                raise LinkError(f"M-Bus master {self.link.url} lost: {exc}") from exc
            if answer is False:
                raise MeterGarbled("checksum error / erreur de somme de contrôle")
            if isinstance(answer, Answer):
                return answer
        raise MeterSilent(meter)

    def _exchange(self, meter: str) -> Answer | bool | None:
        """(worker) Request ``meter``'s data: its answer, False for a bad checksum, None for none.

        A late answer of the meter asked before (it missed its time-out) may still be on the
        line: an answer from another address or identification number is set aside and the
        next frame read, so that one meter's values never land on another's points.
        """
        port = self._port
        if port is None:
            raise OSError("not connected")
        port.reset_input_buffer()
        if meter.startswith("s"):
            meterbus.send_select_frame(port, meter[1:] + "FFFFFFFF")
            if not self._acknowledged(port):
                return None
            meterbus.send_request_frame(port, SELECTED)
        else:
            meterbus.send_request_frame(port, int(meter[1:]))
        for _ in range(STRAY_FRAMES + 1):
            frame: bytes | bool | None = meterbus.recv_frame(port, 1)
            if frame is None or frame is False:
                return frame
            answer = decode(bytes(frame))
            if answer.is_from(meter):
                return answer
            log.info(
                "M-Bus %s: a frame of %s/%s while asking %s, set aside",
                self.name,
                answer.address,
                answer.ident,
                meter,
            )
        return None

    @staticmethod
    def _acknowledged(port: Any) -> bool:
        """The single-character ACK of a selection (anything else: no acknowledgement)."""
        return bool(port.read(1) == bytes([ACK]))
