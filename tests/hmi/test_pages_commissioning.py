"""The commissioning page shows the simulator's speed in force, read back, never an assumed ×1."""

from __future__ import annotations

from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login
from tests.hmi.fakes import FakeScenarios


def scenarios(services: HmiServices) -> FakeScenarios:
    assert isinstance(services.scenarios, FakeScenarios)
    return services.scenarios


async def test_the_speed_shown_is_the_simulators(hmi_user, services: HmiServices) -> None:
    scenarios(services).speed = 30.0  # `chaufferie demo --speed 30`: not one of the usual choices
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see("Vitesse en vigueur : ×30")
        [select] = user.find(marker="speed").elements
        assert select.value == 30.0  # type: ignore[attr-defined]
        select.set_value(600.0)  # type: ignore[attr-defined]
        await user.should_see("Vitesse en vigueur : ×600")
    assert scenarios(services).speed == 600.0


async def test_an_unreachable_simulator_shows_an_unknown_speed(hmi_user, services: HmiServices) -> None:
    scenarios(services).speed = 0.0
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see("Vitesse en vigueur : inconnue (simulateur injoignable)")
