"""Decoding and encoding of Modbus registers: every type, both word and byte orders, bits."""

from __future__ import annotations

import math
import struct

import pytest
from pymodbus.client import AsyncModbusTcpClient

from chaufferie.config.points import DataType, ModbusSource, ModbusTable, Order
from chaufferie.plc_bridge.decoding import compile_field, pack_block
from chaufferie.plc_bridge.errors import DecodeError
from chaufferie.plc_bridge.planning import ReadBlock


def _field(type_: DataType, word: Order = Order.BIG, byte: Order = Order.BIG, **kw: object):  # type: ignore[no-untyped-def]
    src = ModbusSource(
        table=ModbusTable.HOLDING_REGISTER, address=0, type=type_, word_order=word, byte_order=byte, **kw
    )  # type: ignore[arg-type]
    return compile_field("x.y", src, 0)


def _words(fmt: str, value: float, word: Order, byte: Order) -> list[int]:
    """Registers as a PLC with this word/byte order would send them (built independently)."""
    data = struct.pack(">" + fmt, value)  # ABCD...
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if word is Order.LITTLE:
        words.reverse()
    if byte is Order.LITTLE:
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


CASES = [
    (DataType.INT16, "h", -1234),
    (DataType.UINT16, "H", 65000),
    (DataType.INT32, "i", -123456789),
    (DataType.UINT32, "I", 4_000_000_000),
    (DataType.FLOAT32, "f", -273.5),
    (DataType.FLOAT64, "d", 1.0e300 / 7),
]


@pytest.mark.parametrize(("type_", "fmt", "value"), CASES)
@pytest.mark.parametrize("word", list(Order))
@pytest.mark.parametrize("byte", list(Order))
def test_every_type_decodes_in_every_word_and_byte_order(
    type_: DataType, fmt: str, value: float, word: Order, byte: Order
) -> None:
    field = _field(type_, word, byte)
    regs = [0xAAAA, *_words(fmt, value, word, byte), 0x5555]
    image = pack_block(regs)
    shifted = compile_field(
        "x.y",
        ModbusSource(
            table=ModbusTable.HOLDING_REGISTER, address=1, type=type_, word_order=word, byte_order=byte
        ),
        1,
    )
    assert shifted.decode(image) == pytest.approx(value)
    assert field.encode(value) == _words(fmt, value, word, byte)  # type: ignore[union-attr]


@pytest.mark.parametrize(("type_", "fmt", "value"), CASES)
@pytest.mark.parametrize("word", list(Order))
def test_decoding_agrees_with_pymodbus_convert_from_registers(
    type_: DataType, fmt: str, value: float, word: Order
) -> None:
    regs = _words(fmt, value, word, Order.BIG)
    ours = _field(type_, word).decode(pack_block(regs))
    kind = getattr(AsyncModbusTcpClient.DATATYPE, type_.name)
    theirs = AsyncModbusTcpClient.convert_from_registers(regs, kind, word_order=word.value)
    assert ours == pytest.approx(theirs)


def test_scale_and_offset_give_engineering_units_rounded_to_the_scale() -> None:
    field = _field(DataType.INT16, scale=0.1)
    assert field.decode(pack_block([0x8000])) == -3276.8  # exactly the configured sentinel
    assert field.decode(pack_block([214])) == 21.4
    offset = _field(DataType.UINT16, scale=0.5, offset=-40.0)
    assert offset.decode(pack_block([100])) == 10.0
    assert offset.encode(10.0) == [100]  # type: ignore[union-attr]


def test_unscaled_integers_stay_integers() -> None:
    value = _field(DataType.UINT32).decode(pack_block([1, 2]))
    assert value == 65538
    assert isinstance(value, int)


def test_bits_of_a_register_and_of_a_bit_table() -> None:
    regs_block = ReadBlock(
        ModbusTable.INPUT_REGISTER,
        17,
        1,
        tuple(
            compile_field(
                f"b.bit{i}",
                ModbusSource(table=ModbusTable.INPUT_REGISTER, address=17, type=DataType.UINT16, bit=i),
                0,
            )
            for i in (0, 1, 2, 15)
        ),
    )
    assert dict(regs_block.decode([0b1000_0000_0000_0101])) == {
        "b.bit0": True,
        "b.bit1": False,
        "b.bit2": True,
        "b.bit15": True,
    }
    coils = ReadBlock(
        ModbusTable.COIL,
        0,
        3,
        tuple(
            compile_field(f"c.c{i}", ModbusSource(table=ModbusTable.COIL, address=i, type=DataType.BOOL), i)
            for i in range(3)
        ),
    )
    assert dict(coils.decode([False, True, True, False, False, False, False, False])) == {
        "c.c0": False,
        "c.c1": True,
        "c.c2": True,
    }


def test_float_nan_decodes_as_nan() -> None:
    value = _field(DataType.FLOAT32).decode(pack_block(_words("f", math.nan, Order.BIG, Order.BIG)))
    assert isinstance(value, float)
    assert math.isnan(value)


def test_encoding_a_value_that_does_not_fit_is_a_clear_error() -> None:
    with pytest.raises(DecodeError, match="does not fit a int16"):
        _field(DataType.INT16, scale=0.1).encode(5000.0)  # type: ignore[union-attr]
