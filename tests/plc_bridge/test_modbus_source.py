"""The Modbus source against the simulator's Modbus server (and a plain pymodbus one for maps
the plant does not have), with the real pymodbus client on loopback."""

from __future__ import annotations

import asyncio
import math
import struct

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import ModbusLink, ModbusTable
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Quality, TagValue
from chaufferie.plc_bridge.modbus_source import ModbusLinkSource
from chaufferie.simulations.server import SimulatorServers
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
    "wood.state": [2], "wood.fault_code": [0], "wood.modulation": [755],
    "wood.outlet_temp": words("h", 823), "wood.return_temp": words("h", 650),
    "wood.flue_temp": words("h", 1502), "outdoor.temp": words("h", -53), "wood.heartbeat": [42],
    "wood.power": words("f", 87.5), "wood.fuel_burnt": words("I", 1234567, swap_words=True),
    "silo.mass": words("f", 3210.25, swap_words=True), "silo.level": [456], "screw.current": [250],
    "ash.bin_level": [123], "wood.stb_tripped": [1], "wood.burnback_tripped": [0],
    "wood.ignition_failed": [1],
    "wood.ignitions": words("I", 70000), "wood.run_hours": words("I", 12345678),
    "silo.low_level": [1], "silo.empty": [0], "screw.running": [1], "screw.jammed": [0],
    "screw.test_running": [0], "screw.test_failed": [1], "ash.bin_full": [0], "wood.flue_high": [1],
    "wood.setpoint": [750], "wood.enable": [1], "wood.fault_reset": [0], "screw.reverse_test": [0],
    "screw.cutoff": [0],
}  # fmt: skip
"""Raw registers (or bit) of every boiler point, built here independently of both codecs."""
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


async def load(sim: SimulatorServers, raw: dict[str, list[int]]) -> None:
    for point, registers in raw.items():
        sim.force_raw(point, registers)
    await sim.publish()


def boiler_source(cfg: PlantConfig, bus: Bus, clock: VirtualClock) -> ModbusLinkSource:
    link = cfg.links["boiler"]
    assert isinstance(link, ModbusLink)
    return ModbusLinkSource("boiler", link, cfg.points_of("boiler"), bus, clock)


def good(bus: Bus, *points: str) -> bool:
    return all((tv := bus.latest(p)) is not None and tv.good for p in points)


async def test_every_point_of_the_boiler_map_is_decoded_right(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await load(sim, BOILER_RAW)
    source = boiler_source(plant_config, bus, clock)
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
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await load(sim, BOILER_RAW)
    source = boiler_source(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp"))
        await load(sim, {"wood.outlet_temp": words("h", 861)})
        steps = await advance_until(clock, lambda: bus.latest("wood.outlet_temp").value == 86.1)  # type: ignore[union-attr]
    assert steps == 1


async def test_stopped_server_turns_every_point_bad_and_stale_within_three_polls_then_recovers(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await load(sim, BOILER_RAW)
    events = bus.subscribe(LinkEvent)
    source = boiler_source(plant_config, bus, clock)
    names = list(BOILER_EXPECTED)
    async with running(source):
        await eventually(lambda: good(bus, *names))
        await sim.stop_server("boiler")

        def all_bad() -> bool:
            return all(bus.latest(n).quality is Quality.BAD and bus.latest(n).stale for n in names)  # type: ignore[union-attr]

        assert await advance_until(clock, all_bad, max_steps=3) <= 3
        assert bus.latest("wood.outlet_temp").value == 82.3  # type: ignore[union-attr]  # last good value kept
        # a few failed reconnects: the backoff grows
        await advance_until(clock, lambda: len(source.core.backoff.delays) >= 4, step=2.0, max_steps=20)
        delays = list(source.core.backoff.delays)
        assert delays[3] > delays[0]
        await sim.start_server("boiler")
        await advance_until(clock, lambda: good(bus, *names), step=2.0, max_steps=30)
    assert source.core.backoff.nominal_s == source.core.backoff.initial_s  # reset by the good poll
    states = [(e.previous, e.state) for e in events.drain() if isinstance(e, LinkEvent)]
    assert states == [
        (LinkState.CONNECTING, LinkState.UP),
        (LinkState.UP, LinkState.DOWN),
        (LinkState.DOWN, LinkState.UP),
    ]


async def test_sentinel_nan_and_infinity_make_their_points_bad(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await load(sim, BOILER_RAW)
    source = boiler_source(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp", "wood.power", "silo.mass"))
        sim.force_raw("wood.outlet_temp", words("h", -32768))
        sim.force_raw("wood.power", words("f", math.nan))
        sim.force_raw("silo.mass", words("f", math.inf, swap_words=True))
        await sim.publish()
        bad = ("wood.outlet_temp", "wood.power", "silo.mass")
        await advance_until(clock, lambda: all(bus.latest(p).quality is Quality.BAD for p in bad))  # type: ignore[union-attr]
        assert all(bus.latest(p).value is None for p in bad)  # type: ignore[union-attr]
        assert good(bus, "wood.return_temp")
        assert source.state is LinkState.UP


async def test_frozen_plc_heartbeat_makes_the_link_uncertain_then_bad_until_it_moves(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await load(sim, BOILER_RAW)
    source = boiler_source(plant_config, bus, clock)  # heartbeat_timeout_s: 10

    def quality() -> Quality:
        return bus.latest("wood.outlet_temp").quality  # type: ignore[union-attr]

    async with running(source):
        await eventually(lambda: good(bus, "wood.outlet_temp"))
        await advance_until(clock, lambda: quality() is Quality.UNCERTAIN, max_steps=11, settle=0.15)
        assert clock.monotonic() >= 10
        await eventually(lambda: source.state is LinkState.DEGRADED)
        await advance_until(clock, lambda: quality() is Quality.BAD, max_steps=11, settle=0.15)
        assert clock.monotonic() >= 20
        await load(sim, {"wood.heartbeat": [43]})
        await advance_until(clock, lambda: quality() is Quality.GOOD)
        await eventually(lambda: source.state is LinkState.UP)


async def test_every_boiler_point_equals_what_the_simulator_encodes(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    forced = {"outdoor.temp": -7.3, "wood.power": 64.25, "silo.mass": 2500.5, "wood.fuel_burnt": 98765.4,
              "wood.run_hours": 4321.09, "wood.ignitions": 123456, "screw.current": 3.21}  # fmt: skip
    for point, value in forced.items():
        sim.force(point, value)
    await sim.publish()
    source = boiler_source(plant_config, bus, clock)
    names = [p.name for p in plant_config.points_of("boiler") if p.name != "wood.heartbeat"]
    async with running(source):
        await eventually(lambda: good(bus, *names))
    served = sim.values()
    for p in plant_config.points_of("boiler"):
        if p.name in names:
            resolution = getattr(p.source, "scale", 1.0) / 2 + 1e-6
            got = bus.latest(p.name).value  # type: ignore[union-attr]
            assert got == pytest.approx(served[p.name], abs=resolution, rel=1e-6), p.name
    assert bus.latest("outdoor.temp").value == -7.3  # type: ignore[union-attr]


async def test_plc_that_stops_answering_turns_points_bad_and_recovers(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    source = boiler_source(plant_config, bus, clock)  # timeout_s: 1 (real time: the network's)
    async with running(source):
        await eventually(lambda: good(bus, "wood.state"))
        sim.silence("boiler", True)
        await advance_until(clock, lambda: bus.latest("wood.state").quality is Quality.BAD, settle=2.0)  # type: ignore[union-attr]
        assert source.state is LinkState.DOWN
        sim.silence("boiler", False)
        await advance_until(clock, lambda: good(bus, "wood.state"), step=2.0, max_steps=10, settle=1.0)


async def test_unchanged_values_are_republished_at_their_heartbeat_only(
    modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    points = [modbus_point("x.steady", "holding_register", 0, heartbeat_s=5)]
    await modbus_server.set(HR, 0, [12])
    seen = bus.subscribe(TagValue)
    source = ModbusLinkSource("boiler", ModbusLink(port=modbus_server.port), points, bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1)
        for second in range(1, 12):
            await clock.advance(1.0)
            await eventually(lambda s=second: source.polls >= s + 1)  # type: ignore[misc]
    times = [m.receive_time for m in seen.drain() if isinstance(m, TagValue)]
    offsets = [(t - times[0]).total_seconds() for t in times]
    assert offsets == [0.0, 5.0, 10.0]


async def test_a_stop_that_comes_with_the_plcs_answer_stops_the_link(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    """The stop is given in the very callback where pymodbus hands over the PLC's answer: the
    request's ``wait_for`` (Python 3.11) loses the cancellation, and the link must still stop
    (it went on polling for good: ``chaufferie demo`` hung on Ctrl-C)."""
    await load(sim, BOILER_RAW)
    source = boiler_source(plant_config, bus, clock)
    task = asyncio.create_task(source.run())
    try:
        await eventually(lambda: good(bus, *BOILER_EXPECTED))
        ctx = source._client.ctx  # type: ignore[union-attr]  # the client's transaction manager
        handle = ctx.callback_data
        stops: list[int] = []

        def answer_then_stop(data: bytes, addr: tuple[str, int] | None = None) -> int:
            used: int = handle(data, addr)
            if not stops:
                stops.append(used)
                task.cancel()
            return used

        ctx.callback_data = answer_then_stop
        await clock.advance(source.link.poll_s)  # the next poll
        done, _ = await asyncio.wait([task], timeout=10)
        assert stops, "no answer came after the stop was armed"
        assert task in done, "the link went on after it was told to stop"
        assert task.cancelled()
    finally:
        while not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1)
        await source.close()
