"""The plant's M-Bus meters and the gateway that serves them (EN 13757-2/-3).

:class:`MeterBank` follows the plant model at every step and keeps the meters' true counters:

* the heat meter of the wood boiler's circuit (``wood``: the model's own heat meter);
* one heat meter per building of ``config.buildings``: the heat the network delivers, split by
  each building's ``share``, with the network's supply and return temperatures;
* the electricity meter of the plant room (``elec``): controls 0,12 kW always, each running
  network pump 0,55 kW, the wood boiler's fan 0,18 kW and feed screw 0,37 kW × firing while it
  burns, its ignition element 1,6 kW while it lights, the oil burner 0,25 kW while it fires
  (the figures of a 100 kW wood-chip boiler room; docs/simulator.md);
* the make-up water meter (``water``): the litres put back when the network's pressure is
  restored, :data:`LITRES_PER_BAR` per bar lost.

:class:`MbusGateway` answers the master as the meters behind a TCP gateway or a serial level
converter would: SND_NKE and a secondary-address selection with the single-character ACK,
REQ_UD2 with an RSP_UD long frame (variable data structure, CI 0x72) built here — the
simulator stands in for the meters, so it encodes; the bridge decodes with the library.
Faults per meter: ``silent`` (no answer), ``garbled`` (a wrong checksum), :meth:`Meter.replace`
(a new meter: new identification number, index back to a low value).

May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chaufferie.config.points import MbusSource
from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.hydraulics import OilBoiler, Pumps
from chaufferie.simulations.wood import BURNING, WoodBoiler, WoodState

if TYPE_CHECKING:
    from chaufferie.simulations.plant import Plant

log = logging.getLogger(__name__)

LITRES_PER_BAR = 20.0
"""Water a filling loop puts back per bar of network pressure restored (expansion vessel of
the network: about 20 L per bar; docs/simulator.md)."""
ACK = 0xE5
SELECTED = 0xFD
MANUFACTURER = "CHF"
"""The simulator's manufacturer code (three letters, EN 13757-3 §6.3)."""

# electricity of the plant room (kW)
CONTROLS_KW = 0.12
PUMP_KW = 0.55
FAN_KW = 0.18
SCREW_KW = 0.37
IGNITER_KW = 1.6
OIL_BURNER_KW = 0.25

# the records' coding: DIF, VIF(s), then how the value is scaled into the record's integer
ENERGY = (0x04, b"\x05", 10.0)  # 32-bit, energy in 0,1 kWh (10^2 Wh)      : value kWh × 10
VOLUME = (0x04, b"\x13", 1000.0)  # 32-bit, volume in litres (10^-3 m³)    : value m³ × 1000
POWER = (0x04, b"\x2b", 1000.0)  # 32-bit, power in W                       : value kW × 1000
FLOW = (0x04, b"\x3b", 1000.0)  # 32-bit, flow in L/h (10^-3 m³/h)          : value m³/h × 1000
FLOW_TEMP = (0x02, b"\x5a", 10.0)  # 16-bit, flow temperature in 0,1 °C
RETURN_TEMP = (0x02, b"\x5e", 10.0)  # 16-bit, return temperature in 0,1 °C
ERRORS = (0x01, b"\xfd\x17", 1.0)  # 8-bit, error flags (VIFE 0x17)

MEDIUM_HEAT, MEDIUM_ELECTRICITY, MEDIUM_WATER = 0x04, 0x02, 0x07
BASE_UNIT = {ENERGY: 1000.0, POWER: 1000.0}
"""Record value → the unit the library decodes it in (kWh → Wh, kW → W; the others as kept)."""


@dataclass
class Meter:
    """One meter: its addresses, its true counters and what it shows (after a replacement)."""

    key: str
    primary: int
    ident: int
    medium: int
    kind: str
    energy_kwh: float = 0.0
    volume_m3: float = 0.0
    power_kw: float = 0.0
    flow_m3h: float = 0.0
    supply_c: float = 0.0
    return_c: float = 0.0
    errors: int = 0
    silent: bool = False
    garbled: bool = False
    late_s: float = 0.0
    """Answer this many seconds late (real time; a slow meter or a busy gateway)."""
    offset: float = 0.0
    """What the meter in place does not count of the true counter (set by :meth:`replace`)."""
    replacements: list[tuple[float, float]] = field(default_factory=list)
    """(old meter's final index, new meter's initial index) of each replacement."""
    access: int = 0

    @property
    def index(self) -> float:
        """The counter the meter in place shows (kWh, or litres for the water meter)."""
        return (self.volume_m3 * 1000.0 if self.kind == "water" else self.energy_kwh) - self.offset

    def replace(self, initial: float = 3.0) -> None:
        """A new meter in place: a new identification number, its index ``initial``."""
        final = self.index
        true = self.index + self.offset
        self.offset = true - initial
        self.ident = (self.ident + 1) % 100_000_000
        self.replacements.append((final, initial))

    def records(self) -> list[tuple[tuple[int, bytes, float], float]]:
        if self.kind == "heat":
            return [
                (ENERGY, self.index),
                (VOLUME, self.volume_m3),
                (POWER, self.power_kw),
                (FLOW, self.flow_m3h),
                (FLOW_TEMP, self.supply_c),
                (RETURN_TEMP, self.return_c),
                (ERRORS, float(self.errors)),
            ]
        if self.kind == "electricity":
            return [(ENERGY, self.index), (POWER, self.power_kw)]
        return [(VOLUME, self.index / 1000.0)]

    def frame(self, address: int) -> bytes:
        """This meter's RSP_UD long frame, answered on ``address``."""
        self.access = (self.access + 1) % 256
        header = (
            _bcd(self.ident)
            + struct.pack("<H", manufacturer_code(MANUFACTURER))
            + bytes([0x01, self.medium, self.access, self.errors and 0x08, 0x00, 0x00])
        )
        data = b"".join(_record(coding, value) for coding, value in self.records())
        body = bytes([0x08, address, 0x72]) + header + data
        checksum = sum(body) & 0xFF
        if self.garbled:
            checksum = (checksum + 1) & 0xFF
        return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([checksum, 0x16])


def manufacturer_code(letters: str) -> int:
    """The two-byte manufacturer field of three letters (EN 13757-3 §6.3)."""
    a, b, c = (ord(ch) - 64 for ch in letters.upper())
    return a * 1024 + b * 32 + c


def _bcd(number: int) -> bytes:
    digits = f"{number:08d}"
    return bytes(int(digits[i : i + 2], 16) for i in range(6, -1, -2))


def _record(coding: tuple[int, bytes, float], value: float) -> bytes:
    dif, vif, factor = coding
    size = {0x01: 1, 0x02: 2, 0x04: 4}[dif]
    raw = round(value * factor)
    low, high = -(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1
    raw = max(low, min(high, raw))
    return bytes([dif]) + vif + raw.to_bytes(size, "little", signed=True)


class MeterBank:
    """The plant's meters, following the model: ``step`` after each model step."""

    def __init__(self, cfg: PlantConfig) -> None:
        self.meters: dict[str, Meter] = {}
        self._add(Meter("wood", 1, 26_000_001, MEDIUM_HEAT, "heat"))
        for i, b in enumerate(cfg.buildings):
            self._add(Meter(b.id, 10 + i, 26_000_010 + i, MEDIUM_HEAT, "heat"))
        self._add(Meter("elec", 2, 26_000_002, MEDIUM_ELECTRICITY, "electricity"))
        self._add(Meter("water", 3, 26_000_003, MEDIUM_WATER, "water"))
        self.shares = {b.id: b.share for b in cfg.buildings}
        self._refilled_bar = 0.0

    def _add(self, meter: Meter) -> None:
        self.meters[meter.key] = meter

    def by_primary(self, address: int) -> Meter | None:
        return next((m for m in self.meters.values() if m.primary == address), None)

    def value(self, source: MbusSource) -> float:
        """What the bridge makes of ``source``'s record now (its value × the point's ``scale``),
        for the closed-loop replay, which reads the model without the bus; KeyError when no
        meter or record answers to it."""
        wanted = None if source.secondary is None else int(source.secondary)
        meter = next(
            (m for m in self.meters.values() if m.primary == source.primary or m.ident == wanted), None
        )
        records = [] if meter is None else meter.records()
        if source.record >= len(records):
            raise KeyError(f"no M-Bus meter record {source.meter}/{source.record} in the simulator")
        coding, value = records[source.record]
        return value * BASE_UNIT.get(coding, 1.0) * source.scale

    def step(self, h: float, plant: Plant) -> None:
        """Integrate ``h`` model seconds of the plant's flows into the meters."""
        hours = h / 3600.0
        net, hm, pumps, wood, oil = plant.network, plant.meter, plant.pumps, plant.wood, plant.oil
        w = self.meters["wood"]
        w.energy_kwh, w.volume_m3 = hm.energy_kwh, hm.volume_m3
        w.power_kw, w.flow_m3h = hm.power_kw, hm.flow_m3h
        w.supply_c, w.return_c = hm.supply_c, hm.return_c
        delivered: float = net.delivered_kw
        for key, share in self.shares.items():
            m = self.meters[key]
            m.power_kw = delivered * share
            m.energy_kwh += m.power_kw * hours
            m.flow_m3h = net.flow_m3h * share
            m.volume_m3 += m.flow_m3h * hours
            m.supply_c, m.return_c = net.supply_c, net.return_c
        e = self.meters["elec"]
        e.power_kw = self.electric_kw(pumps, wood, oil)
        e.energy_kwh += e.power_kw * hours
        refilled = net.refilled_bar
        if refilled > self._refilled_bar:
            self.meters["water"].volume_m3 += (refilled - self._refilled_bar) * LITRES_PER_BAR / 1000.0
            self._refilled_bar = refilled

    @staticmethod
    def electric_kw(pumps: Pumps, wood: WoodBoiler, oil: OilBoiler) -> float:
        kw = CONTROLS_KW
        kw += PUMP_KW * sum(1 for n in (1, 2) if pumps.running(n))
        state = wood.state
        if state in BURNING:
            kw += FAN_KW + SCREW_KW * wood.firing
        if state is WoodState.IGNITION:
            kw += IGNITER_KW
        if oil.burner_on:
            kw += OIL_BURNER_KW
        return kw


class MbusGateway:
    """The meters as a master sees them on the bus: bytes in, bytes out."""

    def __init__(self, bank: MeterBank) -> None:
        self.bank = bank
        self.selected: Meter | None = None
        self.answered: Meter | None = None
        """The meter of the last answer (the server delays it by its ``late_s``)."""
        self._buffer = b""
        self.requests = 0

    def feed(self, data: bytes) -> bytes:
        """Take what the master sent; return the meters' answers (possibly nothing)."""
        self._buffer += data
        out = b""
        while self._buffer:
            frame, rest = _split(self._buffer)
            if frame is None:
                break
            self._buffer = rest
            out += self._answer(frame)
        return out

    def _answer(self, frame: bytes) -> bytes:
        if frame[0] == 0x10:  # short frame: C, A
            control, address = frame[1], frame[2]
            meter = self.selected if address == SELECTED else self.bank.by_primary(address)
            if meter is None or meter.silent:
                return b""
            if control & 0x4F == 0x40:  # SND_NKE
                if address != SELECTED:
                    self.selected = None
                return bytes([ACK])
            if control & 0x4F == 0x4B:  # REQ_UD2
                self.requests += 1
                self.answered = meter
                return meter.frame(meter.primary)
            return b""
        control, address, ci = frame[4], frame[5], frame[6]
        if control & 0x4F == 0x43 and address == SELECTED and ci == 0x52:  # SND_UD: select
            wanted = _unbcd(frame[7:11])
            self.selected = next(
                (m for m in self.bank.meters.values() if wanted is None or m.ident == wanted), None
            )
            if self.selected is None or self.selected.silent:
                return b""
            return bytes([ACK])
        return b""


def _unbcd(raw: bytes) -> int | None:
    digits = "".join(f"{b:02X}" for b in reversed(raw))
    return None if "F" in digits else int(digits)


def _split(buffer: bytes) -> tuple[bytes | None, bytes]:
    """The first whole frame of ``buffer`` and the rest (None: wait for more; junk skipped)."""
    while buffer:
        start = buffer[0]
        if start == 0x10:
            if len(buffer) < 5:
                return None, buffer
            return buffer[:5], buffer[5:]
        if start == 0x68:
            if len(buffer) < 4:
                return None, buffer
            size = buffer[1] + 6
            if len(buffer) < size:
                return None, buffer
            return buffer[:size], buffer[size:]
        buffer = buffer[1:]  # noise on the line
    return None, buffer


class MbusGatewayServer:
    """The gateway on a TCP port of 127.0.0.1 (a transparent M-Bus/TCP converter)."""

    def __init__(self, name: str, bank: MeterBank, port: int) -> None:
        self.name = name
        self.gateway = MbusGateway(bank)
        self.port = port
        self._server: asyncio.Server | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        log.info("M-Bus gateway %s on 127.0.0.1:%d", self.name, self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(256)
                if not data:
                    return
                answer = self.gateway.feed(data)
                late = self.gateway.answered.late_s if self.gateway.answered else 0.0
                self.gateway.answered = None
                if late:
                    await asyncio.sleep(late)
                if answer:
                    writer.write(answer)
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            writer.close()
