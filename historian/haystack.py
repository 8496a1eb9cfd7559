"""Project Haystack-style tags for the plant's points (used in the points table and exports).

Tags are derived from the point's unit, access and name so that a city's energy database
can find "the heat meter's energy" or "outside air temperature" of any site without knowing
our point names. Marker tags are space-separated, as in Haystack's Zinc text encoding.
"""

from __future__ import annotations

from chaufferie.config.points import Point

UNIT_TAGS = {
    "°C": "temp",
    "K": "temp",
    "kW": "power",
    "kWh": "energy",
    "MWh": "energy",
    "m³/h": "flow",
    "m³": "volume",
    "bar": "pressure",
    "%": "percent",
    "A": "current",
    "h": "runtime",
    "kg": "mass",
    "L": "volume",
}

NAME_TAGS = {
    "outdoor": "outside air weather",
    "meter": "heat meter",
    "oil": "oil boiler",
    "wood": "biomass boiler",
    "buffer": "tank",
    "pump1": "pump",
    "pump2": "pump",
    "silo": "tank biomass",
    "screw": "conveyor",
    "network": "hot water",
    "ash": "ash",
}


def haystack_tags(point: Point) -> str:
    """Space-separated Haystack marker tags of ``point``."""
    tags = ["point", "his", "cmd" if point.writable else "sensor"]
    quantity = UNIT_TAGS.get(point.unit)
    if quantity:
        tags.append(quantity)
    elif point.is_bool:
        tags.append("bool")
    equip = point.name.split(".", 1)[0]
    tags.extend(NAME_TAGS.get(equip, "").split())
    if "supply" in point.name or "outlet" in point.name:
        tags.extend(["leaving"])
    if "return" in point.name:
        tags.extend(["entering"])
    if point.name.endswith("setpoint"):
        tags.append("sp")
    return " ".join(dict.fromkeys(tags))
