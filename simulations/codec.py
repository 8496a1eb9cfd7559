"""Engineering values ↔ Modbus registers, exactly as ``config/points.py`` describes a source.

Owns: :func:`encode` (value → 16-bit words, applying ``(value − offset) / scale``, type, word
order and byte order) and :func:`decode` (the reverse, for writes received). Bits in a register
are handled by the register map, not here. Out-of-range integers saturate (a PLC clamps too);
NaN in an integer type becomes the type's minimum (the usual "sensor fault" sentinel).
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import math
import struct

from chaufferie.config.points import DataType, ModbusSource, Order

_FORMATS: dict[DataType, tuple[str, float, float]] = {
    DataType.INT16: ("h", -32768, 32767),
    DataType.UINT16: ("H", 0, 65535),
    DataType.INT32: ("i", -(2**31), 2**31 - 1),
    DataType.UINT32: ("I", 0, 2**32 - 1),
    DataType.FLOAT32: ("f", -math.inf, math.inf),
    DataType.FLOAT64: ("d", -math.inf, math.inf),
    DataType.BOOL: ("H", 0, 1),
}


def _raw(src: ModbusSource, value: float) -> int | float:
    fmt, lo, hi = _FORMATS[src.type]
    scaled = (float(value) - src.offset) / src.scale
    if fmt in ("f", "d"):
        return scaled
    if math.isnan(scaled):
        return int(lo)
    return int(min(hi, max(lo, round(scaled))))


def encode(src: ModbusSource, value: float | int | bool) -> list[int]:
    """The registers holding ``value`` for ``src`` (one per 16-bit word, in wire order)."""
    fmt = _FORMATS[src.type][0]
    data = struct.pack(">" + fmt, _raw(src, float(value)))
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if src.word_order is Order.LITTLE:
        words.reverse()
    if src.byte_order is Order.LITTLE:
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def decode(src: ModbusSource, registers: list[int]) -> float:
    """The engineering value of ``registers`` (as read on the wire) for ``src``."""
    words = [r.to_bytes(2, "big") for r in registers[: src.type.registers]]
    if src.byte_order is Order.LITTLE:
        words = [w[::-1] for w in words]
    if src.word_order is Order.LITTLE:
        words.reverse()
    (raw,) = struct.unpack(">" + _FORMATS[src.type][0], b"".join(words))
    return float(raw) * src.scale + src.offset
