"""The M-Bus link against the simulator's meters, with the real library on both sides of a socket.

The simulator's gateway (simulations/meters.py) serves the plant's meters on a free loopback
port, or on a pseudo-terminal for the serial path; the bridge's source (pyMeterBus over
pyserial) polls them on a virtual clock. A peer no one here wrote, pymbusparser (the Rust
m-bus-parser), reads the same frames and must agree with what the bridge published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import tty
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pymbusparser
import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import MbusLink, MbusSource, Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, Quality, TagValue
from chaufferie.plc_bridge.mbus_source import MbusLinkSource
from chaufferie.simulations.meters import MbusGateway, MbusGatewayServer
from chaufferie.simulations.plant import Plant
from tests.conftest import free_port
from tests.plc_bridge.conftest import advance_until, running
from tests.support.mbus import BUILDINGS, PRIMARY, with_meters
from tests.support.plc import eventually

HOUR = 3600.0


@pytest.fixture
async def meters(config: PlantConfig) -> AsyncIterator[tuple[PlantConfig, Plant, MbusGatewayServer]]:
    """The plant's meters behind a gateway on a free port, after two hours of a cold day."""
    port = free_port()
    cfg = with_meters(config, port)
    plant = Plant(cfg)
    plant.step(2 * HOUR)
    server = MbusGatewayServer("meters", plant.meters, port)
    await server.start()
    try:
        yield cfg, plant, server
    finally:
        await server.stop()


def source_of(cfg: PlantConfig, bus: Bus, clock: VirtualClock) -> MbusLinkSource:
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    return MbusLinkSource("meters", link, cfg.points_of("meters"), bus, clock)


def expected(plant: Plant) -> dict[str, float]:
    """What each point must read, from the simulator's true meters, in the point's unit."""
    out: dict[str, float] = {}
    for key, m in plant.meters.meters.items():
        if m.kind == "heat":
            out |= {
                f"heat.{key}.energy": m.index,
                f"heat.{key}.volume": m.volume_m3,
                f"heat.{key}.power": m.power_kw,
                f"heat.{key}.flow": m.flow_m3h,
                f"heat.{key}.supply_temp": m.supply_c,
                f"heat.{key}.return_temp": m.return_c,
                f"heat.{key}.error": m.errors,
            }
    out["elec.energy"] = plant.meters.meters["elec"].index
    out["elec.power"] = plant.meters.meters["elec"].power_kw
    out["water.makeup"] = plant.meters.meters["water"].index
    return out


# the records' resolution (simulations/meters.py): 0,1 kWh, 1 L, 1 W, 1 L/h, 0,1 °C
RESOLUTION = {"energy": 0.05, "volume": 5e-4, "power": 5e-4, "flow": 5e-4, "temp": 0.05, "makeup": 0.5}


def tolerance(point: str) -> float:
    return next((v for k, v in RESOLUTION.items() if k in point), 0.0) + 1e-9


async def test_every_record_of_every_meter_is_read_with_good_quality(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, plant, server = meters
    source = source_of(cfg, bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1, 10)
    truth = expected(plant)
    assert set(truth) == {p.name for p in cfg.points_of("meters")}
    for point, value in truth.items():
        tag = bus.latest(point)
        assert tag is not None, point
        assert tag.quality is Quality.GOOD, point
        assert tag.value == pytest.approx(value, abs=tolerance(point)), point
    assert source.state is LinkState.UP
    assert plant.meters.meters["ecole"].energy_kwh > 0  # two hours of a cold day: heat delivered
    buildings = sum(plant.meters.meters[b.id].energy_kwh for b in BUILDINGS)
    assert buildings == pytest.approx(plant.counters.delivered_kwh, rel=1e-9)
    assert server.gateway.requests == len(PRIMARY)  # one request per meter and poll: polite


async def test_a_silent_meter_goes_bad_after_the_configured_polls_and_the_others_stay_good(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, plant, _ = meters
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    assert link.bad_after_polls == 2
    source = source_of(cfg, bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1, 10)
        plant.meters.meters["mairie"].silent = True
        await advance_until(clock, lambda: source.polls >= 2, step=link.poll_s, settle=5)
        first = bus.latest("heat.mairie.energy")
        assert first is not None
        assert first.quality is Quality.GOOD
        await advance_until(clock, lambda: source.polls >= 3, step=link.poll_s, settle=5)
        silent = bus.latest("heat.mairie.energy")
        assert silent is not None
        assert silent.quality is Quality.BAD
        assert silent.value == first.value
        other = bus.latest("heat.ecole.energy")
        assert other is not None
        assert other.quality is Quality.GOOD
        assert source.state is LinkState.DEGRADED
        plant.meters.meters["mairie"].silent = False
        await advance_until(clock, lambda: source.polls >= 4, step=link.poll_s, settle=5)
        back = bus.latest("heat.mairie.energy")
        assert back is not None
        assert back.quality is Quality.GOOD
        assert source.state is LinkState.UP


async def test_a_checksum_error_gives_bad_quality_at_once_not_a_crash(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, plant, _ = meters
    source = source_of(cfg, bus, clock)
    plant.meters.meters["elec"].garbled = True
    async with running(source) as task:
        await eventually(lambda: source.polls >= 1, 10)
        garbled = bus.latest("elec.energy")
        assert garbled is None or garbled.quality is Quality.BAD
        good = bus.latest("water.makeup")
        assert good is not None
        assert good.quality is Quality.GOOD
        plant.meters.meters["elec"].garbled = False
        await advance_until(clock, lambda: source.polls >= 2, step=60.0, settle=5)
        assert not task.done()
    fixed = bus.latest("elec.energy")
    assert fixed is not None
    assert fixed.quality is Quality.GOOD


async def test_a_replaced_meter_shows_its_new_low_index(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, plant, _ = meters
    source = source_of(cfg, bus, clock)
    ecole = plant.meters.meters["ecole"]
    async with running(source):
        await eventually(lambda: source.polls >= 1, 10)
        before = bus.latest("heat.ecole.energy")
        assert before is not None
        assert before.value == pytest.approx(ecole.energy_kwh, abs=0.05)
        ecole.replace(initial=3.0)
        plant.step(HOUR)
        await advance_until(clock, lambda: source.polls >= 2, step=60.0, settle=5)
    after = bus.latest("heat.ecole.energy")
    assert after is not None
    assert after.quality is Quality.GOOD
    final, initial = ecole.replacements[-1]
    assert final == pytest.approx(float(before.value), abs=0.05)
    assert initial == 3.0
    assert isinstance(after.value, float)
    assert 3.0 < after.value < float(before.value)
    assert after.value == pytest.approx(3.0 + ecole.energy_kwh - final, abs=0.05)


async def test_secondary_addressing_reads_the_meter_of_that_identification_number(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, plant, _ = meters
    mairie = plant.meters.meters["mairie"]
    point = Point(
        name="heat.mairie.by_id",
        link="meters",
        label_fr="Énergie mairie",
        label_en="Town hall energy",
        unit="kWh",
        source=MbusSource(secondary=f"{mairie.ident:08d}", record=0, unit="Wh", scale=0.001),
    )
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    source = MbusLinkSource("meters", link, [point], bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1, 10)
    tag = bus.latest("heat.mairie.by_id")
    assert tag is not None
    assert tag.quality is Quality.GOOD
    assert tag.value == pytest.approx(mairie.index, abs=0.05)
    assert tag.value != pytest.approx(plant.meters.meters["ecole"].index, abs=0.05)


def _raw_frame(port: int, primary: int) -> bytes:
    """REQ_UD2 to ``primary`` by hand on a plain socket; the gateway's raw answer."""
    request = bytes([0x10, 0x5B, primary, (0x5B + primary) & 0xFF, 0x16])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(request)
        data = b""
        while len(data) < 6 or len(data) < data[1] + 6:
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
    return data


async def test_a_peer_no_one_here_wrote_reads_our_meters_and_agrees_with_the_bridge(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    cfg, _, server = meters
    source = source_of(cfg, bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1, 10)
    by_meter: dict[int, list[Point]] = {}
    for p in cfg.points_of("meters"):
        assert isinstance(p.source, MbusSource)
        assert p.source.primary is not None
        by_meter.setdefault(p.source.primary, []).append(p)
    compared = 0
    for primary, points in by_meter.items():
        frame = await asyncio.to_thread(_raw_frame, server.port, primary)
        parsed = json.loads(pymbusparser.m_bus_parse(frame.hex(), "json"))
        assert parsed["protocol"] == "wired"
        values = [float(r["value"]["value"]) for r in parsed["records"]]
        for p in points:
            assert isinstance(p.source, MbusSource)
            tag = bus.latest(p.name)
            assert tag is not None
            assert isinstance(tag.value, int | float)
            peer = values[p.source.record] * p.source.scale
            assert peer == pytest.approx(tag.value, abs=tolerance(p.name)), p.name
            compared += 1
    assert compared == len(cfg.points_of("meters"))


@contextlib.contextmanager
def serial_bus(gateway: MbusGateway) -> Iterator[str]:
    """A pseudo-terminal whose far end is the meters' bus: the path a serial master opens."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            try:
                data = os.read(master, 256)
            except OSError:
                return
            answer = gateway.feed(data)
            if answer:
                os.write(master, answer)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
        thread.join(2)


async def test_the_serial_path_reads_the_same_meters(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    cfg = with_meters(config, free_port())
    plant = Plant(cfg)
    plant.step(HOUR)
    with serial_bus(MbusGateway(plant.meters)) as device:
        link = MbusLink(device=device, baudrate=2400, poll_s=60.0, timeout_s=0.5, pause_s=0.0)
        source = MbusLinkSource("meters", link, cfg.points_of("meters"), bus, clock)
        async with running(source):
            await eventually(lambda: source.polls >= 1, 10)
    for point, value in expected(plant).items():
        tag = bus.latest(point)
        assert tag is not None, point
        assert tag.quality is Quality.GOOD, point
        assert tag.value == pytest.approx(value, abs=tolerance(point)), point


async def test_a_gateway_that_is_not_there_puts_every_meter_point_bad(
    config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    cfg = with_meters(config, free_port())  # nothing listens there
    source = source_of(cfg, bus, clock)
    tags = bus.subscribe(TagValue)
    async with running(source):
        await eventually(lambda: source.state is LinkState.DOWN, 10)
    assert source.polls == 0
    seen = [t for t in tags.drain() if isinstance(t, TagValue)]
    assert all(t.quality is Quality.BAD for t in seen)


def test_meter_points_are_read_only(config: PlantConfig, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="M-Bus meter is only read"):
        Point(
            name="heat.x.energy",
            link="meters",
            label_fr="x",
            label_en="x",
            source=MbusSource(primary=5, record=0),
            access="read_write",  # type: ignore[arg-type]
            bounds={"min": 0, "max": 1},  # type: ignore[arg-type]
        )


async def test_a_late_answer_never_lands_on_the_next_meters_points(
    meters: tuple[PlantConfig, Plant, MbusGatewayServer], bus: Bus, clock: VirtualClock
) -> None:
    """The town hall's meter answers after the master's time-out: its frame arrives while the
    master waits for the village hall's, and must be set aside (seen once through the runtime:
    the village hall showed the town hall's index)."""
    cfg, plant, _ = meters
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    plant.meters.meters["mairie"].late_s = link.timeout_s * 3  # past every retry of its poll
    source = source_of(cfg, bus, clock)
    async with running(source):
        await eventually(lambda: source.polls >= 1, 15)
    salle = bus.latest("heat.salle.energy")
    assert salle is not None
    assert salle.quality is Quality.GOOD
    assert salle.value == pytest.approx(plant.meters.meters["salle"].index, abs=0.05)
    assert salle.value != pytest.approx(plant.meters.meters["mairie"].index, abs=0.05)
    assert bus.latest("heat.mairie.energy") is None  # silent this poll: nothing yet, nothing wrong
