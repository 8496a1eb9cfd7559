"""The buildings of the heat network and their heat meters; the plant room's own meters and
the factors and prices the reports turn readings into (:class:`MeteringSettings`).

The network feeds several buildings (school, town hall, village hall…), each with its own heat
meter at its substation; the tender's metering plan has "un compteur par bâtiment". A
:class:`Building` names the building, the point of its meter's energy counter (kWh) and its
``share`` of the network's heat demand: the split the plant simulator applies, and the split a
season of readings is expected to show. Shares add up to 1 (checked by
:func:`chaufferie.config.settings.cross_references`).

Imports: the ground floor only (pydantic, the config's own base types).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import Fraction

Factor = Annotated[float, Field(ge=0, le=10)]
"""kg of CO₂ per kWh of fuel (PCI)."""
Price = Annotated[float, Field(ge=0, le=100_000)]

SHARE_TOLERANCE = 1e-3
"""How far the buildings' shares may add up from 1 (rounding in a hand-written file)."""


class Building(Frozen):
    """One building on the heat network and its heat meter."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=80)
    """Its name as the commune says it (« École », « Mairie »), shown in reports."""
    share: Fraction
    """Its part of the network's heat demand (0–1)."""
    heat_point: str = ""
    """The point of its meter's energy counter (kWh); empty: ``heat.<id>.energy``."""

    @property
    def energy_point(self) -> str:
        return self.heat_point or f"heat.{self.id}.energy"


class MeteringSettings(Frozen):
    """The plant room's own meters and what the reports make of the readings.

    A point named here that the configuration does not have makes its figures "non mesuré /
    not metered" in the reports, never 0. Emission factors are those of the French energy
    performance diagnosis (arrêté du 31 mars 2021, annexe : fioul domestique 0,324, bois
    plaquettes 0,024 kg CO₂/kWh PCI); the prices are orders of magnitude of 2025 to be replaced
    by the commune's own (its supply contracts): see docs/admin-guide.md.
    """

    electricity_energy: str = "elec.energy"
    """Counter of the plant room's electricity meter (kWh)."""
    electricity_power: str = "elec.power"
    """Its power reading (kW): the reports' peak."""
    makeup_water: str = "water.makeup"
    """Counter of the network's make-up water meter (L)."""
    co2_oil_kg_per_kwh: Factor = 0.324
    co2_wood_kg_per_kwh: Factor = 0.024
    oil_eur_per_litre: Price = 1.15
    chips_eur_per_t: Price = 120.0
    electricity_eur_per_kwh: Price = 0.20
    water_eur_per_m3: Price = 4.0
