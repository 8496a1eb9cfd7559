"""The OPC UA source against the simulator's secured server, with the real asyncua client."""

from __future__ import annotations

import asyncio
import math

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState, Quality, TagValue
from chaufferie.plc_bridge.base import BACKOFF_MAX_S
from chaufferie.plc_bridge.opcua_source import OpcUaLinkSource
from chaufferie.simulations.server import SimulatorServers
from tests.plc_bridge.conftest import advance_until, eventually, running
from tests.plc_bridge.proxy import FreezableRelay


def hydraulic(cfg: PlantConfig, bus: Bus, clock: VirtualClock, **changes: object) -> OpcUaLinkSource:
    link = cfg.links["hydraulic"]
    assert isinstance(link, OpcUaLink)
    return OpcUaLinkSource(
        "hydraulic", link.model_copy(update=changes), cfg.points_of("hydraulic"), bus, clock, cfg
    )


def all_good(bus: Bus, cfg: PlantConfig) -> bool:
    return all((tv := bus.latest(p.name)) is not None and tv.good for p in cfg.points_of("hydraulic"))


async def test_startup_read_puts_every_hydraulic_point_on_the_bus_with_server_timestamps(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    source = hydraulic(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        served = sim.values()
        for p in plant_config.points_of("hydraulic"):
            if p.name == "hydraulic.heartbeat":
                continue
            assert bus.latest(p.name).value == pytest.approx(served[p.name], rel=1e-6), p.name  # type: ignore[union-attr]
        await eventually(lambda: source.state is LinkState.UP)
        assert source.subscription is not None
    stamps = [bus.latest(p.name) for p in plant_config.points_of("hydraulic")]
    assert all(tv is not None and tv.source_time != tv.receive_time for tv in stamps)  # the server's time


async def test_a_value_changed_in_the_simulator_reaches_the_bus_by_subscription(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    source = hydraulic(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        before = source.notifications
        sim.force("buffer.temp_top", 71.25)
        await sim.publish()
        await eventually(lambda: bus.latest("buffer.temp_top").value == 71.25)  # type: ignore[union-attr]
        assert source.notifications > before


async def test_nan_and_bad_status_from_the_server_make_points_bad(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    source = hydraulic(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        sim.force("buffer.temp_middle", math.nan)
        sim.plant.inject("COM-CPT")  # heat meter served with a Bad status
        await sim.publish()
        await eventually(lambda: bus.latest("buffer.temp_middle").quality is Quality.BAD)  # type: ignore[union-attr]
        await eventually(lambda: bus.latest("meter.power").quality is Quality.BAD)  # type: ignore[union-attr]
        assert bus.latest("buffer.temp_top").good  # type: ignore[union-attr]


async def test_server_stopped_turns_points_bad_then_session_and_subscription_are_restored(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    events = bus.subscribe(LinkEvent)
    source = hydraulic(plant_config, bus, clock)
    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        # the startup read makes every point Good before the subscription exists: stopping the
        # server in between (a loaded machine) failed the first session, and "sessions >= 2"
        # below then waited for a second session that was the first (CI, twice)
        await eventually(lambda: source.sessions == 1, within=10)
        await sim.stop_server("hydraulic")
        await eventually(
            lambda: all(bus.latest(p.name).stale for p in plant_config.points_of("hydraulic")),  # type: ignore[union-attr]
            within=10,
        )
        assert bus.latest("buffer.temp_top").quality is Quality.BAD  # type: ignore[union-attr]
        await sim.start_server("hydraulic")
        # room for two or three refused attempts while the server comes up (backoff 1, 2, 4 … up
        # to BACKOFF_MAX_S model seconds): a loaded CI machine once ran out of 20 steps of 2 s
        steps = int(3 * BACKOFF_MAX_S / 2.0)
        await advance_until(clock, lambda: source.sessions >= 2, step=2.0, max_steps=steps, settle=1.0)
        sim.force("buffer.temp_bottom", 44.5)
        await sim.publish()
        await eventually(lambda: bus.latest("buffer.temp_bottom").value == 44.5, within=5)  # type: ignore[union-attr]
        assert bus.latest("buffer.temp_bottom").good  # type: ignore[union-attr]
    states = [(e.previous, e.state) for e in events.drain() if isinstance(e, LinkEvent)]
    assert states == [
        (LinkState.CONNECTING, LinkState.UP),
        (LinkState.UP, LinkState.DOWN),
        (LinkState.DOWN, LinkState.UP),
    ]


async def stall_loop(times: int, busy_s: float = 0.25, pause_s: float = 0.2) -> None:
    """A slow event loop: hog it ``busy_s`` at a time (CPU, not sleeping), ``times`` times."""
    loop = asyncio.get_running_loop()
    for _ in range(times):
        end = loop.time() + busy_s
        while loop.time() < end:
            pass
        await asyncio.sleep(pause_s)


async def test_session_watchdog_keeps_a_healthy_session_through_a_slow_loop(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    events = bus.subscribe(LinkEvent)
    source = hydraulic(plant_config, bus, clock, watchdog_interval_s=1.0, session_timeout_s=10)
    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        client = source._client
        assert client is not None
        assert client._watchdog_intervall == 1.0  # asyncua's default probe is 1 s; the plant's is 5 s
        assert client.session_timeout == 10_000
        started = asyncio.get_running_loop().time()
        await stall_loop(10)  # ≈ 4.5 s: several health probes while the loop stutters
        assert asyncio.get_running_loop().time() - started >= 3 * client._watchdog_intervall
        assert source.state is LinkState.UP
        assert source.sessions == 1
    assert [e.state for e in events.drain() if isinstance(e, LinkEvent)] == [LinkState.UP]


async def test_frozen_hydraulic_heartbeat_makes_its_points_uncertain_then_bad(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    sim.force("hydraulic.heartbeat", 7)
    await sim.publish()
    source = hydraulic(plant_config, bus, clock)  # heartbeat_timeout_s: 10

    def quality() -> Quality:
        return bus.latest("network.pressure").quality  # type: ignore[union-attr]

    async with running(source):
        await eventually(lambda: all_good(bus, plant_config), within=10)
        await advance_until(clock, lambda: quality() is Quality.UNCERTAIN, max_steps=11, settle=0.2)
        await eventually(lambda: source.state is LinkState.DEGRADED)
        await advance_until(clock, lambda: quality() is Quality.BAD, max_steps=11, settle=0.2)
        sim.force("hydraulic.heartbeat", 8)
        await sim.publish()
        await advance_until(clock, lambda: quality() is Quality.GOOD, settle=0.5)
        await eventually(lambda: source.state is LinkState.UP)


async def test_server_that_stops_answering_is_noticed_by_the_missing_keep_alives(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    upstream = int(plant_config.links["hydraulic"].endpoint.rsplit(":", 1)[1].split("/")[0])  # type: ignore[union-attr]
    async with FreezableRelay(upstream) as relay:
        events = bus.subscribe(LinkEvent)
        endpoint = f"opc.tcp://127.0.0.1:{relay.port}/chaufferie"
        source = hydraulic(plant_config, bus, clock, endpoint=endpoint, watchdog_interval_s=60)
        async with running(source):
            await advance_until(
                clock, lambda: source.state is LinkState.UP, step=2.0, max_steps=10, settle=2.0
            )
            sessions = source.sessions
            relay.frozen = True  # sockets stay open, nothing comes back
            await advance_until(clock, lambda: source.state is LinkState.DOWN, max_steps=15, settle=1.0)
            assert bus.latest("buffer.temp_top").stale  # type: ignore[union-attr]
            relay.frozen = False
            await advance_until(clock, lambda: source.sessions > sessions, step=2.0, max_steps=20, settle=1.0)
        down = [e for e in events.drain() if isinstance(e, LinkEvent) and e.state is LinkState.DOWN]
        assert "keep-alive" in down[0].reason


async def test_optional_server_deadband_filter_is_accepted_by_the_server(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    link = plant_config.links["hydraulic"]
    source = OpcUaLinkSource(
        "hydraulic",
        link,
        plant_config.points_of("hydraulic"),
        bus,
        clock,
        plant_config,
        server_deadband=True,  # type: ignore[arg-type]
    )
    async with running(source):
        await eventually(lambda: source.state is LinkState.UP, within=10)
        sim.force("network.pressure", 2.0)
        await sim.publish()
        await eventually(lambda: bus.latest("network.pressure").value == 2.0)  # type: ignore[union-attr]
        seen = bus.subscribe(TagValue)
        sim.force("network.pressure", 2.01)  # inside the 0.02 deadband
        await sim.publish()
        sim.force("network.pressure", 2.5)
        await sim.publish()
        await eventually(lambda: bus.latest("network.pressure").value == 2.5)  # type: ignore[union-attr]
        assert source.state is LinkState.UP  # every filtered item was created
    pressures = [m.value for m in seen.drain() if isinstance(m, TagValue) and m.point == "network.pressure"]
    assert pressures == [2.5]
