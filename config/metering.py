"""The buildings of the heat network and their heat meters.

The network feeds several buildings (school, town hall, village hall…), each with its own heat
meter at its substation; the tender's metering plan has "un compteur par bâtiment". A
:class:`Building` names the building, the point of its meter's energy counter (kWh) and its
``share`` of the network's heat demand: the split the plant simulator applies, and the split a
season of readings is expected to show. Shares add up to 1 (checked by
:func:`chaufferie.config.settings.cross_references`).

Imports: the ground floor only (pydantic, the config's own base types).
"""

from __future__ import annotations

from pydantic import Field

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import Fraction

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
