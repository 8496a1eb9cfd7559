"""Remote reset end to end: link page → PLC bridge → the simulator's PLC, read back on the bus.

The wood boiler is put in fault in the simulator (sensor fault), the cause goes away but
the PLC keeps the fault latched; the technician's remote reset over Modbus clears it, and
the bridge reads the boiler back out of fault (it restarts).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState, Command, CommandResult, CommandStatus
from chaufferie.plc_bridge.service import Bridge, build_sources
from chaufferie.simulations.server import SimulatorServers
from tests.access.conftest import PINS, Site, acknowledge, open_site, sign_in_with_pin
from tests.plc_bridge.conftest import advance_until, plant_config, sim

__all__ = ["plant_config", "sim"]  # fixtures: the simulator's servers on loopback

FAULT = 6


@contextlib.asynccontextmanager
async def bridged(cfg: PlantConfig, bus: Bus, clock: VirtualClock) -> AsyncIterator[Bridge]:
    """The PLC bridge on the simulator's boiler PLC only (Modbus; the reset point lives there),
    its timeout widened for a busy 2-core box."""
    boiler = cfg.links["boiler"].model_copy(update={"timeout_s": 5.0})
    sources = build_sources(cfg.model_copy(update={"links": {"boiler": boiler}}), bus, clock)
    async with Bridge(cfg, bus, clock, sources=sources) as running_bridge:
        task = asyncio.create_task(running_bridge.run())
        try:
            yield running_bridge
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def wood_state(bus: Bus) -> object:
    latest = bus.latest("wood.state")
    return None if latest is None else latest.value


class ToBridge:
    """The site's ``CommandSender``: the bridge, once it runs (the site starts first)."""

    bridge: Bridge | None = None

    async def execute(self, command: Command) -> CommandResult:
        assert self.bridge is not None
        return await self.bridge.execute(command)


async def test_technician_resets_the_wood_boiler_fault_in_the_simulator(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    await sim.command("inject CHB-DEF")
    await sim.step(10)
    sim.plant.wood.cause_sensor = False  # the cause is gone; the PLC keeps the fault until reset
    await sim.step(1)
    assert int(sim.plant.wood.state) == FAULT
    results = bus.subscribe(CommandResult, name="test.results")
    plc = ToBridge()
    async with (
        open_site(plant_config, clock, bus, tmp_path, plc) as site,
        bridged(plant_config, bus, clock) as bridge,
    ):
        plc.bridge = bridge
        await advance_until(clock, lambda: wood_state(bus) == FAULT, max_steps=5)
        occ = raise_from_bus(site)
        link = site.link(occ, "tech-martin")
        async with httpx.AsyncClient(base_url=site.base_url) as client:
            await sign_in_with_pin(client, link, PINS["martin"])
            answer = await acknowledge(client, link, occ, reset=True)
        assert "Réarmement envoyé et relu" in answer.text
        assert site.state(occ) is AlarmState.ACKED
        await sim.step(1)
        await advance_until(clock, lambda: wood_state(bus) not in (FAULT, None), max_steps=5)
    assert int(sim.plant.wood.state) != FAULT
    [result] = [m for m in results.drain() if isinstance(m, CommandResult)]
    assert (result.point, result.status) == ("wood.fault_reset", CommandStatus.CONFIRMED)
    assert result.context.user == "martin"


def raise_from_bus(site: Site) -> str:
    """Feed the bridge's latest wood.state to the alarm engine; the CHB-DEF occurrence."""
    latest = site.bus.latest("wood.state")
    assert latest is not None
    assert latest.good, latest
    site.engine.on_tag(latest)
    occ = next(o.id for o in site.engine.occurrences.values() if o.code == "CHB-DEF")
    site.recipients[occ] = ("tech-martin",)
    return occ
