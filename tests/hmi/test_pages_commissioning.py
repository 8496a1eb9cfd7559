"""The commissioning page shows the simulator's speed in force, read back, never an assumed ×1."""

from __future__ import annotations

import pytest

from chaufferie.commands.demo import on_loopback
from chaufferie.config.settings import PlantConfig
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.simulator_control import SimulatorControl
from tests.hmi.conftest import Plc, login
from tests.support.plc import free_ports


@pytest.mark.parametrize("plc", [30.0], indirect=True)  # `chaufferie demo --speed 30`: not a usual choice
async def test_the_speed_shown_is_the_simulators(hmi_user, services: HmiServices, plc: Plc) -> None:
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see("Vitesse en vigueur : ×30", retries=50)
        [select] = user.find(marker="speed").elements
        assert select.value == 30.0  # type: ignore[attr-defined]
        select.set_value(600.0)  # type: ignore[attr-defined]
        await user.should_see("Vitesse en vigueur : ×600", retries=50)
    assert plc.sim.speed == 600.0  # the simulator runs at the speed chosen


async def test_an_unreachable_simulator_shows_an_unknown_speed(
    hmi_user, services: HmiServices, config: PlantConfig
) -> None:
    services.scenarios = SimulatorControl(on_loopback(config, free_ports()), timeout_s=2.0)
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see("Vitesse en vigueur : inconnue (simulateur injoignable)", retries=50)
