"""Plan Modbus reads: the configured map in as few requests as possible.

Points of one table whose addresses are contiguous (or shared, for bit fields of one
register) are grouped into a :class:`ReadBlock` of at most ``max_registers`` registers (125,
the protocol's limit) or ``max_bits`` bits (2000). A gap between two points starts a new
block: reading addresses nobody configured may earn an "illegal address" exception from a
real PLC. A point never straddles two blocks.

Imports only :mod:`chaufferie.config` and :mod:`.decoding`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chaufferie.config.points import ModbusSource, ModbusTable, Point
from chaufferie.config.vocabulary import Scalar
from chaufferie.plc_bridge.decoding import BitField, Field, compile_field, pack_block


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: ``count`` registers or bits of ``table`` from ``start``."""

    table: ModbusTable
    start: int
    count: int
    fields: tuple[Field, ...]

    @property
    def points(self) -> tuple[str, ...]:
        return tuple(f.point for f in self.fields)

    def decode(self, data: Sequence[int] | Sequence[bool]) -> list[tuple[str, Scalar]]:
        """(point, value) for every field of the block, from the server's reply ``data``."""
        if self.table.is_bit_table:
            bits: Sequence[bool] = data  # type: ignore[assignment]
            return [(f.point, f.decode_bits(bits)) for f in self.fields if isinstance(f, BitField)]
        regs: Sequence[int] = data
        image = pack_block(regs[: self.count], any(f.needs_swapped for f in self.fields))
        return [(f.point, f.decode(image)) for f in self.fields]


def plan_reads(points: Iterable[Point], max_registers: int = 125, max_bits: int = 2000) -> list[ReadBlock]:
    """Group the Modbus points into read blocks, ordered by table then address."""
    by_table: dict[ModbusTable, list[tuple[int, int, Point, ModbusSource]]] = {}
    for p in points:
        if isinstance(p.source, ModbusSource):
            src = p.source
            by_table.setdefault(src.table, []).append((src.address, src.count, p, src))
    blocks: list[ReadBlock] = []
    for table in ModbusTable:
        entries = sorted(by_table.get(table, []), key=lambda e: (e[0], e[2].name))
        limit = max_bits if table.is_bit_table else max_registers
        blocks.extend(_blocks_of(table, entries, limit))
    return blocks


def _blocks_of(
    table: ModbusTable, entries: list[tuple[int, int, Point, ModbusSource]], limit: int
) -> list[ReadBlock]:
    blocks: list[ReadBlock] = []
    group: list[tuple[int, int, Point, ModbusSource]] = []
    start = end = 0
    for address, count, point, src in entries:
        contiguous = group and address <= end
        if group and (not contiguous or max(end, address + count) - start > limit):
            blocks.append(_make_block(table, start, end, group))
            group = []
        if not group:
            start, end = address, address
        group.append((address, count, point, src))
        end = max(end, address + count)
    if group:
        blocks.append(_make_block(table, start, end, group))
    return blocks


def _make_block(
    table: ModbusTable, start: int, end: int, group: list[tuple[int, int, Point, ModbusSource]]
) -> ReadBlock:
    fields = tuple(compile_field(p.name, src, address - start) for address, _, p, src in group)
    return ReadBlock(table, start, end - start, fields)
