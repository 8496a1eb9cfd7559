"""Modbus values: decode registers and bits into engineering values, and encode them back.

Each point is compiled once into a :class:`RegisterField` or :class:`BitField`; a read block
packs its registers into bytes once (:func:`pack_block`) and every field of the block reads
its value with one precompiled :class:`struct.Struct` ``unpack_from``. The four word/byte
orders need only two byte images of the block:

=============  =============  =============  ==========
word order     byte order     byte image     struct
=============  =============  =============  ==========
big            big            big (ABCD)     ``>``
little         little         big            ``<``
little         big            swapped        ``<``
big            little         swapped        ``>``
=============  =============  =============  ==========

where the *big* image is the registers as sent on the wire and the *swapped* image has the two
bytes of every register exchanged. Scale and offset give engineering units:
``value = raw × scale + offset``, rounded to the decimals of scale and offset for integer
types so that ``-32768 × 0.1`` is exactly the configured sentinel ``-3276.8``.

Imports only :mod:`chaufferie.config` and the standard library.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from chaufferie.config.points import DataType, ModbusSource, Order
from chaufferie.config.vocabulary import Scalar
from chaufferie.plc_bridge.errors import DecodeError

_FORMATS = {
    DataType.INT16: "h",
    DataType.UINT16: "H",
    DataType.INT32: "i",
    DataType.UINT32: "I",
    DataType.FLOAT32: "f",
    DataType.FLOAT64: "d",
}
_INTEGER = frozenset({DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32})


def _layout(word_order: Order, byte_order: Order) -> tuple[bool, str]:
    """(use the swapped image?, struct endianness) for a word and byte order."""
    swapped = word_order is not byte_order
    endian = ">" if word_order is Order.BIG else "<"
    return swapped, endian


def _decimals(*numbers: float) -> int:
    """Decimals needed to show every number exactly (0.1 → 1, 0.25 → 2, 10 → 0)."""
    exponents = [Decimal(repr(n)).normalize().as_tuple().exponent for n in numbers]
    return max([0, *(-e for e in exponents if isinstance(e, int))])


@dataclass(frozen=True, slots=True)
class BlockImage:
    """The two byte images of a block of registers (see the module docstring)."""

    registers: Sequence[int]
    big: bytes
    swapped: bytes


def pack_block(registers: Sequence[int], with_swapped: bool = True) -> BlockImage:
    """Byte images of ``registers`` (the swapped one only when a field needs it)."""
    n = len(registers)
    big = struct.pack(f">{n}H", *registers)
    swapped = struct.pack(f"<{n}H", *registers) if with_swapped else b""
    return BlockImage(registers, big, swapped)


@dataclass(frozen=True, slots=True)
class BitField:
    """A point held by one bit: a coil, a discrete input, or bit ``bit`` of a register."""

    point: str
    index: int
    bit: int | None = None

    count = 1
    needs_swapped = False

    def decode_bits(self, bits: Sequence[bool]) -> Scalar:
        return bool(bits[self.index])

    def decode(self, image: BlockImage) -> Scalar:
        return bool((image.registers[self.index] >> (self.bit or 0)) & 1)


@dataclass(frozen=True, slots=True)
class RegisterField:
    """A numeric point over one to four registers, compiled for fast decoding."""

    point: str
    index: int
    type: DataType
    count: int
    swapped: bool
    codec: struct.Struct
    scale: float
    offset: float
    decimals: int | None
    identity: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "identity", self.scale == 1.0 and self.offset == 0.0)

    @property
    def needs_swapped(self) -> bool:
        return self.swapped

    def decode(self, image: BlockImage) -> Scalar:
        raw: float = self.codec.unpack_from(image.swapped if self.swapped else image.big, 2 * self.index)[0]
        if self.identity:
            return raw
        value = raw * self.scale + self.offset
        return value if self.decimals is None else round(value, self.decimals)

    def encode(self, value: float) -> list[int]:
        """Registers to write for ``value`` (engineering units), in wire order."""
        raw: float | int = (value - self.offset) / self.scale
        if self.type in _INTEGER:
            if not math.isfinite(raw):
                raise DecodeError(f"{self.point}: {value!r} is not a finite number")
            raw = round(raw)
        try:
            packed = self.codec.pack(raw)
        except struct.error as exc:
            raise DecodeError(f"{self.point}: {value!r} does not fit a {self.type.value}") from exc
        words = struct.unpack(f"{'<' if self.swapped else '>'}{self.count}H", packed)
        return list(words)


Field = BitField | RegisterField


def compile_field(point: str, source: ModbusSource, index: int) -> Field:
    """Compile ``source`` of ``point`` found at ``index`` (registers or bits) in its block."""
    if source.table.is_bit_table:
        return BitField(point, index)
    if source.bit is not None:
        return BitField(point, index, source.bit)
    swapped, endian = _layout(source.word_order, source.byte_order)
    integer = source.type in _INTEGER
    return RegisterField(
        point=point,
        index=index,
        type=source.type,
        count=source.type.registers,
        swapped=swapped,
        codec=struct.Struct(endian + _FORMATS[source.type]),
        scale=source.scale,
        offset=source.offset,
        decimals=_decimals(source.scale, source.offset) if integer else None,
    )
