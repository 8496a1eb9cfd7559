"""The Modbus source against a real pymodbus server on loopback, with the real client."""

from __future__ import annotations

import math
import struct

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import ModbusLink, ModbusTable
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Quality
from chaufferie.plc_bridge.modbus_source import ModbusLinkSource
from tests.plc_bridge.conftest import advance_until, eventually, running
from tests.plc_bridge.modbus_server import PlainModbusServer
from tests.plc_bridge.points import modbus_point

IR, DI, HR, CO = (
    ModbusTable.INPUT_REGISTER,
    ModbusTable.DISCRETE_INPUT,
    ModbusTable.HOLDING_REGISTER,
    ModbusTable.COIL,
)


def words(fmt: str, value: float, swap_words: bool = False) -> list[int]:
    raw = struct.pack(">" + fmt, value)
    regs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return regs[::-1] if swap_words else regs


BOILER_RAW = {
    (IR, 0): [2],
    (IR, 2): [755],
    (IR, 3): words("h", 823),
    (IR, 4): words("h", 650),
    (IR, 5): words("h", 1502),
    (IR, 6): words("h", -53),
    (IR, 7): [42],
    (IR, 8): words("f", 87.5),
    (IR, 10): words("I", 1234567, swap_words=True),
    (IR, 12): words("f", 3210.25, swap_words=True),
    (IR, 14): [456],
    (IR, 15): [250],
    (IR, 16): [123],
    (IR, 17): [0b101],
    (IR, 18): words("I", 70000),
    (IR, 20): words("I", 12345678),
    (DI, 0): [True, False, True, False, False, True, False, True],
    (HR, 0): [750],
    (CO, 0): [True, False, False, False],
}
BOILER_EXPECTED = {
    "wood.state": 2, "wood.fault_code": 0, "wood.modulation": 75.5, "wood.outlet_temp": 82.3,
    "wood.return_temp": 65.0, "wood.flue_temp": 150.2, "outdoor.temp": -5.3, "wood.heartbeat": 42,
    "wood.power": 87.5, "wood.fuel_burnt": 123456.7, "silo.mass": 3210.25, "silo.level": 45.6,
    "screw.current": 2.5, "ash.bin_level": 12.3, "wood.stb_tripped": True, "wood.burnback_tripped": False,
    "wood.ignition_failed": True, "wood.ignitions": 70000, "wood.run_hours": 123456.78,
    "silo.low_level": True, "silo.empty": False, "screw.running": True, "screw.jammed": False,
    "screw.test_running": False, "screw.test_failed": True, "ash.bin_full": False, "wood.flue_high": True,
    "wood.setpoint": 75.0, "wood.enable": True, "wood.fault_reset": False, "screw.reverse_test": False,
    "screw.cutoff": False,
}  # fmt: skip


async def load(server: PlainModbusServer, raw: dict[tuple[ModbusTable, int], list[int] | list[bool]]) -> None:
    for (table, address), values in raw.items():
        await server.set(table, address, values)


def boiler_source(cfg: PlantConfig, bus: Bus, clock: VirtualClock) -> ModbusLinkSource:
    link = cfg.links["boiler"]
    assert isinstance(link, ModbusLink)
    return ModbusLinkSource("boiler", link, cfg.points_of("boiler"), bus, clock)


def good(bus: Bus, *points: str) -> bool:
    return all((tv := bus.latest(p)) is not None and tv.good for p in points)


async def test_every_point_of_the_boiler_map_is_decoded_right(
    boiler_config: PlantConfig, modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    await load(modbus_server, BOILER_RAW)
    source = boiler_source(boiler_config, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, *BOILER_EXPECTED))
    got = {name: bus.latest(name).value for name in BOILER_EXPECTED}  # type: ignore[union-attr]
    assert got == pytest.approx(BOILER_EXPECTED)
    assert source.state is LinkState.UP
    assert len(source.blocks) == 4


async def test_32_and_64_bit_signed_float_and_byte_swapped_points_decode_right(
    modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    points = [
        modbus_point("x.int32", "holding_register", 100, "int32"),
        modbus_point("x.int32_cdab", "holding_register", 102, "int32", word_order="little"),
        modbus_point("x.float64", "holding_register", 104, "float64"),
        modbus_point("x.uint16_ba", "holding_register", 108, "uint16", byte_order="little"),
        modbus_point(
            "x.float_dcba", "holding_register", 109, "float32", word_order="little", byte_order="little"
        ),
    ]
    await modbus_server.set(HR, 100, words("i", -2_000_000_000) + words("i", -123456, swap_words=True))
    await modbus_server.set(HR, 104, [*words("d", -1.5e-7), 0x3412])
    await modbus_server.set(HR, 109, list(struct.unpack(">2H", struct.pack(">f", 12.75)[::-1])))  # DCBA
    link = ModbusLink(port=modbus_server.port)
    source = ModbusLinkSource("boiler", link, points, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, *(p.name for p in points)))
    assert [bus.latest(p.name).value for p in points] == pytest.approx(  # type: ignore[union-attr]
        [-2_000_000_000, -123456, -1.5e-7, 0x1234, 12.75]
    )


async def test_a_value_changed_in_the_server_reaches_the_bus_at_the_next_poll(
    boiler_config: PlantConfig, modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    await load(modbus_server, BOILER_RAW)
    source = boiler_source(boiler_config, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp"))
        await modbus_server.set(IR, 3, words("h", 861))
        steps = await advance_until(clock, lambda: bus.latest("wood.outlet_temp").value == 86.1)  # type: ignore[union-attr]
    assert steps == 1


async def test_stopped_server_turns_every_point_bad_and_stale_within_three_polls_then_recovers(
    boiler_config: PlantConfig, modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    await load(modbus_server, BOILER_RAW)
    events = bus.subscribe(LinkEvent)
    source = boiler_source(boiler_config, bus, clock)
    names = list(BOILER_EXPECTED)
    async with running(source):
        await eventually(lambda: good(bus, *names))
        await modbus_server.stop()

        def all_bad() -> bool:
            return all(bus.latest(n).quality is Quality.BAD and bus.latest(n).stale for n in names)  # type: ignore[union-attr]

        assert await advance_until(clock, all_bad, max_steps=3) <= 3
        assert bus.latest("wood.outlet_temp").value == 82.3  # type: ignore[union-attr]  # last good value kept
        # a few failed reconnects: the backoff grows
        await advance_until(clock, lambda: len(source.core.backoff.delays) >= 4, step=2.0, max_steps=20)
        delays = list(source.core.backoff.delays)
        assert delays[3] > delays[0]
        await modbus_server.start()
        await advance_until(clock, lambda: good(bus, *names), step=2.0, max_steps=30)
    assert source.core.backoff.nominal_s == source.core.backoff.initial_s  # reset by the good poll
    states = [(e.previous, e.state) for e in events.drain() if isinstance(e, LinkEvent)]
    assert states == [
        (LinkState.CONNECTING, LinkState.UP),
        (LinkState.UP, LinkState.DOWN),
        (LinkState.DOWN, LinkState.UP),
    ]


async def test_sentinel_nan_and_infinity_make_their_points_bad(
    boiler_config: PlantConfig, modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    await load(modbus_server, BOILER_RAW)
    source = boiler_source(boiler_config, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp", "wood.power", "silo.mass"))
        await modbus_server.set(IR, 3, words("h", -32768))
        await modbus_server.set(IR, 8, words("f", math.nan))
        await modbus_server.set(IR, 12, words("f", math.inf, swap_words=True))
        bad = ("wood.outlet_temp", "wood.power", "silo.mass")
        await advance_until(clock, lambda: all(bus.latest(p).quality is Quality.BAD for p in bad))  # type: ignore[union-attr]
        assert all(bus.latest(p).value is None for p in bad)  # type: ignore[union-attr]
        assert good(bus, "wood.return_temp")
        assert source.state is LinkState.UP


async def test_frozen_plc_heartbeat_makes_the_link_uncertain_then_bad_until_it_moves(
    boiler_config: PlantConfig, modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    await load(modbus_server, BOILER_RAW)
    source = boiler_source(boiler_config, bus, clock)  # heartbeat_timeout_s: 10

    def quality() -> Quality:
        return bus.latest("wood.outlet_temp").quality  # type: ignore[union-attr]

    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp"))
        await advance_until(clock, lambda: quality() is Quality.UNCERTAIN, max_steps=11, settle=0.15)
        assert clock.monotonic() >= 10
        await eventually(lambda: source.state is LinkState.DEGRADED)
        await advance_until(clock, lambda: quality() is Quality.BAD, max_steps=11, settle=0.15)
        assert clock.monotonic() >= 20
        await modbus_server.set(IR, 7, [43])
        await advance_until(clock, lambda: quality() is Quality.GOOD)
        await eventually(lambda: source.state is LinkState.UP)
