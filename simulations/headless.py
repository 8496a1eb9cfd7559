"""The fast commissioning check: the physics alone at a fixed boiler load, no sockets.

Owns: :func:`fixed_load_check` — the plant runs at ``load`` × nominal power with the
buffer held at setpoint until the silo is empty (time to the low-level switch on the way) and,
refilled, until the ash bin is full; it returns the autonomies, chip consumption and
efficiency (issue 3, item 7) with model and wall seconds.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import time

from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.plant import Plant

CHUNK_S = 600.0
MAX_MODEL_S = 120 * 86400.0


def fixed_load_check(cfg: PlantConfig, load: float) -> dict[str, float]:
    """Autonomies at a fixed ``load`` (fraction of the boiler's nominal power)."""
    if not 0.0 < load <= 1.0:
        raise ValueError(f"load must be in (0, 1], got {load}")
    wall0 = time.perf_counter()
    plant = Plant(cfg)
    plant.auto_service = False
    plant.fixed_demand_kw = load * cfg.plant.wood_nominal_kw
    plant.resettle()
    low_at = empty_at = ash_at = None
    burnt_at_empty = 0.0
    while plant.t < MAX_MODEL_S and (empty_at is None or ash_at is None):
        plant.step(CHUNK_S)
        if low_at is None and plant.feed.low_level:
            low_at = plant.t
        if plant.feed.empty:
            if empty_at is None:
                empty_at, burnt_at_empty = plant.t, plant.feed.burnt_kg
            plant.clear("SIL-VID")  # a delivery, then the fault reset
        if ash_at is None and plant.feed.ash_full:
            ash_at = plant.t
    c = plant.counters
    hours = (empty_at or plant.t) / 3600.0
    return {
        "load": load,
        "silo_autonomy_h": round(hours, 2),
        "silo_low_level_h": round((low_at or plant.t) / 3600.0, 2),
        "ash_bin_autonomy_h": round((ash_at or plant.t) / 3600.0, 2),
        "chip_consumption_kg_h": round(burnt_at_empty / hours, 3),
        "efficiency": round(c.heat_wood_kwh / c.fuel_wood_kwh, 4) if c.fuel_wood_kwh else 0.0,
        "model_seconds": round(plant.t, 1),
        "wall_seconds": round(time.perf_counter() - wall0, 3),
    }
