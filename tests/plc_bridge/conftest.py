"""Fixtures of the PLC bridge tests: servers on loopback, a running source, waiting helpers.

Sources poll on the virtual clock but talk to real servers over real sockets, so a test
advances model time to trigger a poll and then waits (briefly, in real time) for the
network round trip to land on the bus: :func:`eventually` and :func:`advance_until`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import ModbusLink
from chaufferie.config.settings import PlantConfig
from chaufferie.pairing import pair_with_simulator
from chaufferie.plc_bridge.base import TagSource
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port
from tests.plc_bridge.modbus_server import PlainModbusServer


async def eventually(predicate: Callable[[], bool], within: float = 3.0) -> None:
    """Wait (real time, short naps) until ``predicate()`` holds; fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


async def advance_until(
    clock: VirtualClock,
    predicate: Callable[[], bool],
    step: float = 1.0,
    max_steps: int = 3,
    settle: float = 0.5,
) -> int:
    """Advance model time ``step`` at a time until ``predicate()``; returns the number of steps."""
    for n in range(1, max_steps + 1):
        await clock.advance(step)
        with contextlib.suppress(AssertionError):
            await eventually(predicate, settle)
            return n
    raise AssertionError(f"condition not met within {max_steps} steps of {step} s")


@contextlib.asynccontextmanager
async def running(source: TagSource) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``source`` in a task for the duration of the block."""
    task = asyncio.create_task(source.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await source.close()


@pytest.fixture
async def modbus_server() -> AsyncIterator[PlainModbusServer]:
    server = PlainModbusServer(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def boiler_config(config: PlantConfig, modbus_server: PlainModbusServer) -> PlantConfig:
    """The default plant with its Modbus link pointed at the test server."""
    link = config.links["boiler"].model_copy(update={"port": modbus_server.port})
    return config.model_copy(update={"links": {**config.links, "boiler": link}})


SIM_USER, SIM_PASSWORD = "bridge", "correct horse battery"


def with_ports(cfg: PlantConfig, modbus_port: int, opcua_port: int) -> PlantConfig:
    """``cfg`` with its Modbus link on ``modbus_port`` and its OPC UA link on ``opcua_port``."""
    links = {}
    for name, link in cfg.links.items():
        if isinstance(link, ModbusLink):
            links[name] = link.model_copy(update={"port": modbus_port})
        else:
            links[name] = link.model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{opcua_port}/chaufferie"})
    return cfg.model_copy(update={"links": links})


@pytest.fixture
async def sim(
    config: PlantConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SimulatorServers]:
    """The simulator's real servers on loopback (manual steps), with credentials in the environment."""
    monkeypatch.setenv("CHAUFFERIE_OPCUA_USER", SIM_USER)
    monkeypatch.setenv("CHAUFFERIE_OPCUA_PASSWORD", SIM_PASSWORD)
    modbus_port, opcua_port = free_port(), free_port()
    cfg = with_ports(config, modbus_port, opcua_port)
    servers = SimulatorServers(
        cfg, modbus_port=modbus_port, opcua_port=opcua_port, data_dir=tmp_path / "sim", speed=None
    )
    async with servers:
        yield servers


@pytest.fixture
async def plant_config(sim: SimulatorServers) -> PlantConfig:
    """The configuration pointing at the simulator; the bridge and the simulator trust each other."""
    await pair_with_simulator(sim.cfg, sim.pki_dir)
    return sim.cfg
