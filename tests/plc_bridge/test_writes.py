"""Writes: only whitelisted points within bounds reach the PLC, confirmed by read-back, all audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import Access, Bounds
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    LinkState,
    OperatorAction,
)
from chaufferie.plc_bridge.errors import WriteRefused
from chaufferie.plc_bridge.service import Bridge
from chaufferie.plc_bridge.writes import WriteGuard
from chaufferie.simulations.server import SimulatorServers
from tests.plc_bridge.conftest import advance_until, eventually

TECH = Context(origin="hmi", user="jdupont", channel=Channel.HMI, address="192.0.2.10")


def command(clock: VirtualClock, point: str, value: object) -> Command:
    return Command(point, value, clock.now(), TECH, reason="test")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("point", "value", "code"),
    [
        ("no.such_point", 1, "unknown_point"),
        ("wood.state", 3, "read_only"),
        ("wood.setpoint", 95.0, "out_of_bounds"),
        ("wood.setpoint", 40, "out_of_bounds"),
        ("wood.setpoint", float("nan"), "not_number"),
        ("wood.setpoint", True, "not_number"),
        ("wood.setpoint", "70", "not_number"),
        ("wood.enable", 1, "not_bool"),
        ("wood.fault_reset", False, "pulse_true_only"),
        ("pumps.duty", 1.5, "not_integer"),
    ],
)
def test_guard_refuses_what_is_not_whitelisted(
    config: PlantConfig, clock: VirtualClock, point: str, value: object, code: str
) -> None:
    guard = WriteGuard(config.points, clock)
    with pytest.raises(WriteRefused) as refused:
        guard.check(command(clock, point, value))
    assert refused.value.code == code
    assert " / " in refused.value.message  # French / English


async def test_guard_rate_limits_each_point(config: PlantConfig, clock: VirtualClock) -> None:
    guard = WriteGuard(config.points, clock)
    guard.check(command(clock, "wood.setpoint", 70.0))
    guard.record("wood.setpoint")
    with pytest.raises(WriteRefused, match="wait 10 s"):
        guard.check(command(clock, "wood.setpoint", 71.0))
    guard.check(command(clock, "wood.enable", True))  # another point is not limited
    await clock.advance(10)
    guard.check(command(clock, "wood.setpoint", 71.0))


@pytest.fixture
async def bridge(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> AsyncIterator[Bridge]:
    """The whole bridge (every link, built from the config) against the simulator."""
    async with Bridge(plant_config, bus, clock) as b:
        task = asyncio.create_task(b.run())
        up = dict.fromkeys(("boiler", "hydraulic", "meters"), LinkState.UP)
        await eventually(lambda: b.link_states() == up, within=10)
        yield b
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def audit_of(published: list[object], command_id: str) -> OperatorAction:
    [entry] = [
        m for m in published if isinstance(m, OperatorAction) and m.details["command_id"] == command_id
    ]
    return entry


async def test_write_changes_the_simulator_and_is_confirmed_by_read_back_and_audited(
    bridge: Bridge, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    seen = bus.subscribe(CommandResult, OperatorAction)
    cmd = command(clock, "wood.setpoint", 72.5)
    result = await bridge.execute(cmd)
    assert result.status is CommandStatus.CONFIRMED, result.message
    assert result.readback == 72.5
    assert sim.values()["wood.setpoint"] == 72.5
    assert bus.latest("wood.setpoint").value == 72.5  # type: ignore[union-attr]
    published = seen.drain()
    assert result in published
    audit = audit_of(published, cmd.id)
    assert (audit.kind, audit.result, audit.target, audit.context) == (
        ActionKind.COMMAND,
        ActionResult.OK,
        "wood.setpoint",
        TECH,
    )


async def test_coil_and_opcua_writes_reach_the_simulator(
    bridge: Bridge, sim: SimulatorServers, clock: VirtualClock
) -> None:
    for point, value in [
        ("wood.enable", True),
        ("screw.cutoff", True),
        ("pumps.duty", 2.0),
        ("oil.enable", True),
    ]:
        result = await bridge.execute(command(clock, point, value))
        assert result.status is CommandStatus.CONFIRMED, result.message
        assert sim.values()[point] == value


async def test_pulse_is_written_true_and_left_to_the_plc(
    bridge: Bridge, sim: SimulatorServers, clock: VirtualClock
) -> None:
    result = await bridge.execute(command(clock, "wood.fault_reset", True))
    assert result.status is CommandStatus.CONFIRMED, result.message
    assert "Impulsion" in result.message


async def test_refused_writes_never_reach_the_plc_and_are_audited(
    bridge: Bridge, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    seen = bus.subscribe(OperatorAction)
    for point, value in [
        ("wood.setpoint", 99.0),
        ("wood.state", 1),
        ("silo.low_level", True),
        ("pumps.duty", 3),
    ]:
        before = sim.values()[point]
        cmd = command(clock, point, value)
        result = await bridge.execute(cmd)
        assert result.status is CommandStatus.REFUSED
        assert point in result.message
        assert sim.values()[point] == before
        audit = audit_of(seen.drain(), cmd.id)
        assert audit.result is ActionResult.REFUSED
        assert audit.context.user == "jdupont"


async def test_command_published_on_the_bus_is_executed_and_answered(
    bridge: Bridge, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    results = bus.subscribe(CommandResult)
    cmd = command(clock, "screw.cutoff", True)
    bus.publish(cmd)
    await eventually(lambda: results.queue.qsize() > 0)
    result = results.get_nowait()
    assert isinstance(result, CommandResult)
    assert (result.command_id, result.status) == (cmd.id, CommandStatus.CONFIRMED)
    assert sim.values()["screw.cutoff"] is True


async def test_write_on_a_lost_link_fails_and_is_audited(
    bridge: Bridge, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    await sim.stop_server("boiler")
    await advance_until(clock, lambda: bridge.link_states()["boiler"] is LinkState.DOWN)
    seen = bus.subscribe(OperatorAction)
    cmd = command(clock, "wood.setpoint", 70.0)
    result = await bridge.execute(cmd)
    assert result.status is CommandStatus.FAILED
    assert audit_of(seen.drain(), cmd.id).result is ActionResult.FAILED


def _looser(cfg: PlantConfig) -> PlantConfig:
    """The bridge's config believing more than the PLC allows (wider bounds, a writable meter)."""
    looser = {
        "wood.setpoint": {"bounds": Bounds(min=0, max=200)},
        "network.flow": {"access": Access.READ_WRITE, "bounds": Bounds(min=0, max=10)},
    }
    return cfg.model_copy(
        update={"points": tuple(p.model_copy(update=looser.get(p.name, {})) for p in cfg.points)}
    )


async def test_a_write_the_plc_refuses_is_reported_failed_and_audited(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    seen = bus.subscribe(OperatorAction)
    before = sim.values()
    async with Bridge(_looser(plant_config), bus, clock) as b:
        task = asyncio.create_task(b.run())
        await eventually(lambda: set(b.link_states().values()) == {LinkState.UP}, within=10)
        modbus = await b.execute(command(clock, "wood.setpoint", 150.0))  # Modbus exception reply
        opcua = await b.execute(command(clock, "network.flow", 2.0))  # BadNotWritable
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (modbus.status, opcua.status) == (CommandStatus.FAILED, CommandStatus.FAILED)
    assert "Modbus exception" in modbus.message
    assert "BadNotWritable" in opcua.message or "BadUserAccessDenied" in opcua.message
    assert sim.values()["wood.setpoint"] == before["wood.setpoint"]
    assert [a.result for a in seen.drain() if isinstance(a, OperatorAction)] == [ActionResult.FAILED] * 2
