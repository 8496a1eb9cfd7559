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
from chaufferie.config.settings import PlantConfig
from chaufferie.plc_bridge.base import TagSource
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port
from tests.plc_bridge.modbus_server import PlainModbusServer
from tests.support.plc import SIM_PASSWORD, SIM_USER, eventually, opcua_credentials, pair, simulator

__all__ = ["SIM_PASSWORD", "SIM_USER", "eventually"]  # for the bridge's test modules


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


@pytest.fixture
async def sim(
    config: PlantConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SimulatorServers]:
    """The simulator's real servers on loopback (manual steps), with credentials in the
    environment; no certificate trusted yet either way."""
    opcua_credentials(monkeypatch)
    async with simulator(config, tmp_path, paired=False) as servers:
        yield servers


@pytest.fixture
async def plant_config(sim: SimulatorServers) -> PlantConfig:
    """The configuration pointing at the simulator; the bridge and the simulator trust each other."""
    await pair(sim)
    return sim.cfg
