"""A configuration with the plant's M-Bus meters on a gateway at a given port (for tests)."""

from __future__ import annotations

from chaufferie.config.metering import Building
from chaufferie.config.points import MbusLink, MbusSource, Point
from chaufferie.config.settings import PlantConfig

BUILDINGS = (
    Building(id="ecole", name="École", share=0.45),
    Building(id="mairie", name="Mairie", share=0.25),
    Building(id="salle", name="Salle des fêtes", share=0.30),
)
PRIMARY = {"wood": 1, "elec": 2, "water": 3, "ecole": 10, "mairie": 11, "salle": 12}
"""The simulator's primary addresses (simulations/meters.py)."""

HEAT_RECORDS = (
    ("energy", "Énergie", "Energy", "kWh", "Wh", 0.001),
    ("volume", "Volume", "Volume", "m³", "m^3", 1.0),
    ("power", "Puissance", "Power", "kW", "W", 0.001),
    ("flow", "Débit", "Flow", "m³/h", "m^3/h", 1.0),
    ("supply_temp", "Départ", "Supply", "°C", "C", 1.0),
    ("return_temp", "Retour", "Return", "°C", "C", 1.0),
    ("error", "Défauts", "Error flags", "", "none", 1.0),
)


def _point(
    name: str, fr: str, en: str, unit: str, meter: str, record: int, mbus_unit: str, scale: float
) -> Point:
    source = MbusSource(primary=PRIMARY[meter], record=record, unit=mbus_unit, scale=scale)
    return Point(name=name, link="meters", label_fr=fr, label_en=en, unit=unit, source=source)


def meter_points() -> list[Point]:
    points = []
    for meter, fr_where, en_where in (
        ("wood", "chaudière bois", "wood boiler"),
        *tuple((b.id, b.name, b.name) for b in BUILDINGS),
    ):
        for i, (key, fr, en, unit, mbus_unit, scale) in enumerate(HEAT_RECORDS):
            points.append(
                _point(
                    f"heat.{meter}.{key}",
                    f"{fr} {fr_where}",
                    f"{en} {en_where}",
                    unit,
                    meter,
                    i,
                    mbus_unit,
                    scale,
                )
            )
    points.append(
        _point("elec.energy", "Électricité chaufferie", "Plant electricity", "kWh", "elec", 0, "Wh", 0.001)
    )
    points.append(_point("elec.power", "Puissance électrique", "Electric power", "kW", "elec", 1, "W", 0.001))
    points.append(
        _point(
            "water.makeup", "Eau d'appoint (cumul)", "Make-up water (total)", "L", "water", 0, "m^3", 1000.0
        )
    )
    return points


def with_meters(cfg: PlantConfig, port: int, **link: object) -> PlantConfig:
    """``cfg`` with the meters' gateway at 127.0.0.1:``port`` (``link``: MbusLink overrides)."""
    settings = {"host": "127.0.0.1", "port": port, "poll_s": 60.0, "timeout_s": 0.5, "pause_s": 0.0, **link}
    links = {**cfg.links, "meters": MbusLink.model_validate(settings)}
    return cfg.model_copy(
        update={"links": links, "points": (*cfg.points, *meter_points()), "buildings": BUILDINGS}
    )
