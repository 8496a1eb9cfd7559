"""The shipped plant's M-Bus meters (config/joucas.yaml), their gateway moved to a test's port."""

from __future__ import annotations

from chaufferie.config.loader import load_config
from chaufferie.config.points import MbusLink, MbusSource
from chaufferie.config.settings import PlantConfig

SHIPPED = load_config()
BUILDINGS = SHIPPED.buildings
PRIMARY = {
    p.name.split(".")[1] if p.name.startswith("heat.") else p.name.split(".")[0]: p.source.primary
    for p in SHIPPED.points
    if isinstance(p.source, MbusSource)
}
"""Meter (``wood``, a building's id, ``elec``, ``water``) → its primary address."""


def with_meters(cfg: PlantConfig, port: int, **link: object) -> PlantConfig:
    """``cfg`` with its meters' gateway at 127.0.0.1:``port``, polled every minute, quick to
    give up (``link``: other MbusLink settings)."""
    settings = {"host": "127.0.0.1", "port": port, "poll_s": 60.0, "timeout_s": 0.5, "pause_s": 0.0, **link}
    meters = MbusLink.model_validate({**cfg.links["meters"].model_dump(), **settings})
    return cfg.model_copy(update={"links": {**cfg.links, "meters": meters}})
