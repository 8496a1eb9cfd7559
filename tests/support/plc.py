"""The simulator's PLCs on loopback and the real PLC bridge on them, for tests of any layer.

:func:`simulator` starts the simulator's real servers (Modbus TCP, secured OPC UA and the M-Bus
meters' gateway) on free ports and pairs the configuration's OPC UA client with them;
:func:`bridged` runs the real :class:`~chaufferie.plc_bridge.service.Bridge` on them until its
links are up. Both need ``CHAUFFERIE_OPCUA_USER`` / ``CHAUFFERIE_OPCUA_PASSWORD`` in the environment (the
:func:`opcua_credentials` helper of a fixture sets them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from chaufferie.commands.demo import Ports, on_loopback
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState
from chaufferie.pairing import pair_with_simulator
from chaufferie.plc_bridge.service import Bridge
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port

SIM_USER, SIM_PASSWORD = "bridge", "correct horse battery"


OPCUA_CREDENTIALS = {"CHAUFFERIE_OPCUA_USER": SIM_USER, "CHAUFFERIE_OPCUA_PASSWORD": SIM_PASSWORD}
"""The OPC UA user the simulator accepts and the bridge presents (from the environment)."""


def opcua_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """:data:`OPCUA_CREDENTIALS` in the environment for one test."""
    for name, value in OPCUA_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


async def eventually(predicate: Callable[[], bool], within: float = 3.0) -> None:
    """Wait (real time, short naps) until ``predicate()`` holds; fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


def free_ports() -> Ports:
    """Free loopback ports for a simulator's Modbus, OPC UA and M-Bus servers."""
    return Ports(free_port(), free_port(), free_port())


@contextlib.asynccontextmanager
async def simulator(
    config: PlantConfig, folder: Path, speed: float | None = None, *, paired: bool = True
) -> AsyncIterator[SimulatorServers]:
    """The simulator's servers on free loopback ports (``speed`` None: the plant is stepped by
    hand); ``.cfg`` is ``config`` pointed at them, its OPC UA client and the simulator trusting
    each other when ``paired`` (else see :func:`pair`)."""
    ports = free_ports()
    servers = SimulatorServers(
        on_loopback(config, ports),
        modbus_port=ports.modbus,
        opcua_port=ports.opcua,
        mbus_port=ports.mbus,
        data_dir=folder / "sim",
        speed=speed,
    )
    async with servers:
        if paired:
            await pair(servers)
        yield servers


async def pair(sim: SimulatorServers) -> None:
    """The OPC UA client of ``sim.cfg`` and the simulator trust each other (as the demo does)."""
    await pair_with_simulator(sim.cfg, sim.pki_dir)


@contextlib.asynccontextmanager
async def bridged(cfg: PlantConfig, bus: Bus, clock: Clock, within: float = 15.0) -> AsyncIterator[Bridge]:
    """The whole bridge (every link of ``cfg``) running, once all its links are up."""
    async with Bridge(cfg, bus, clock) as bridge:
        task = asyncio.create_task(bridge.run(), name="tests.bridge")
        try:
            await eventually(lambda: all(s is LinkState.UP for s in bridge.link_states().values()), within)
            yield bridge
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
