"""The boiler PLC's Modbus TCP server: the config's register map, served from the plant.

Owns: :class:`RegisterMap` (the four tables, filled from engineering values with
:mod:`.codec`, bits OR-ed into shared registers, writes decoded back to command points) and
:class:`ModbusPlcServer` (a pymodbus TCP server on 127.0.0.1 answering from that map; it can
be stopped and started again, or *silenced*: connections stay open but no answer comes, as a
hung PLC does). Writes to holding registers or coils not mapped to a ``read_write`` point, or
out of the point's bounds, get an ILLEGAL ADDRESS / ILLEGAL VALUE exception.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import SimData, SimDevice

from chaufferie.config.points import ModbusSource, ModbusTable, Point
from chaufferie.simulations.codec import decode, encode

log = logging.getLogger(__name__)

# function code -> table
_READ_FC = {
    1: ModbusTable.COIL,
    2: ModbusTable.DISCRETE_INPUT,
    3: ModbusTable.HOLDING_REGISTER,
    4: ModbusTable.INPUT_REGISTER,
}
_WRITE_FC = {
    5: ModbusTable.COIL,
    15: ModbusTable.COIL,
    6: ModbusTable.HOLDING_REGISTER,
    16: ModbusTable.HOLDING_REGISTER,
    22: ModbusTable.HOLDING_REGISTER,
    23: ModbusTable.HOLDING_REGISTER,
}

Value = float | int | bool
WriteSink = Callable[[str, Value], bool]


class RegisterMap:
    """Raw tables of one Modbus link, built from its points."""

    def __init__(self, points: Sequence[Point]) -> None:
        self.points = [p for p in points if isinstance(p.source, ModbusSource)]
        self.tables: dict[ModbusTable, dict[int, int]] = {t: {} for t in ModbusTable}
        self.raw_overrides: dict[str, list[int]] = {}
        for p in self.points:
            src = self._src(p)
            for a in range(src.address, src.address + src.count):
                self.tables[src.table][a] = 0

    @staticmethod
    def _src(p: Point) -> ModbusSource:
        src = p.source
        if not isinstance(src, ModbusSource):
            raise TypeError(f"{p.name} is not a Modbus point")
        return src

    def load(self, values: dict[str, Value]) -> None:
        """Encode every point's engineering value (``values`` by point name) into the tables."""
        bit_words: dict[tuple[ModbusTable, int], int] = {}
        for p in self.points:
            src = self._src(p)
            raw = self.raw_overrides.get(p.name)
            value = values.get(p.name, 0)
            if src.table.is_bit_table:
                self.tables[src.table][src.address] = int(bool(raw[0] if raw else value))
            elif src.bit is not None:
                key = (src.table, src.address)
                bit = (1 << src.bit) if (raw[0] if raw else value) else 0
                bit_words[key] = bit_words.get(key, 0) | bit
            else:
                words = raw if raw else encode(src, value)
                for i, w in enumerate(words):
                    self.tables[src.table][src.address + i] = w & 0xFFFF
        for (table, address), word in bit_words.items():
            self.tables[table][address] = word

    def read(self, table: ModbusTable, address: int, count: int) -> list[int] | None:
        """Raw values, or None when any address is outside the map."""
        t = self.tables[table]
        try:
            return [t[a] for a in range(address, address + count)]
        except KeyError:
            return None

    def write(
        self, table: ModbusTable, address: int, values: Sequence[int], sink: WriteSink
    ) -> ExcCodes | None:
        """Apply a write to command points; an exception code when refused."""
        span = range(address, address + len(values))
        targets = [p for p in self.points if self._overlaps(p, table, span)]
        covered = {
            a for p in targets for a in range(self._src(p).address, self._src(p).address + self._src(p).count)
        }
        if not targets or any(not p.writable for p in targets) or not set(span) <= covered:
            return ExcCodes.ILLEGAL_ADDRESS
        staged = dict(self.tables[table])
        for a, v in zip(span, values, strict=True):
            staged[a] = int(v)
        for p in targets:
            src = self._src(p)
            if src.table.is_bit_table:
                value: Value = bool(staged[src.address])
            elif src.bit is not None:
                value = bool(staged[src.address] >> src.bit & 1)
            else:
                value = decode(src, [staged[a] for a in range(src.address, src.address + src.count)])
            if not sink(p.name, value):
                return ExcCodes.ILLEGAL_VALUE
        self.tables[table].update({a: staged[a] for a in span})
        return None

    def _overlaps(self, p: Point, table: ModbusTable, span: range) -> bool:
        src = self._src(p)
        return src.table is table and src.address < span.stop and span.start < src.address + src.count


class _Context:
    """What pymodbus calls to serve a request (duck-typed server context)."""

    def __init__(self, registers: RegisterMap, sink: WriteSink) -> None:
        self.registers = registers
        self.sink = sink
        self.answering = asyncio.Event()
        self.answering.set()

    def device_ids(self) -> list[int]:
        return [0]

    async def async_getValues(self, device_id: int, func_code: int, address: int, count: int = 1) -> Any:
        await self.answering.wait()
        table = _READ_FC.get(func_code) or _WRITE_FC.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        values = self.registers.read(table, address, count)
        if values is None:
            return ExcCodes.ILLEGAL_ADDRESS
        return [bool(v) for v in values] if table.is_bit_table else values

    async def async_setValues(self, device_id: int, func_code: int, address: int, values: Any) -> Any:
        await self.answering.wait()
        table = _WRITE_FC.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        return self.registers.write(table, address, [int(v) for v in values], self.sink)


class ModbusPlcServer:
    """A Modbus TCP server on ``127.0.0.1:port`` serving a :class:`RegisterMap`."""

    def __init__(
        self, name: str, registers: RegisterMap, sink: WriteSink, port: int, host: str = "127.0.0.1"
    ) -> None:
        self.name = name
        self.port = port
        self.host = host
        self.context = _Context(registers, sink)
        self._server: Any = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is not None:
            return
        placeholder = SimDevice(0, simdata=[SimData(0, values=0)])
        server = ModbusTcpServer(placeholder, address=(self.host, self.port))
        server.context = self.context  # type: ignore[assignment]  # answer from our register map
        await server.serve_forever(background=True)
        self._server = server
        log.info("modbus server '%s' listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        await server.shutdown()
        log.info("modbus server '%s' stopped", self.name)

    def silence(self, silent: bool) -> None:
        """Keep connections open but stop answering (True) or answer again (False)."""
        if silent:
            self.context.answering.clear()
        else:
            self.context.answering.set()
