"""Physics speed of the plant simulator: a whole heating season (243 days) of model time.

Runs the ``season`` scenario (physics only, no sockets) once at the configured step
(``simulation.step_s``, 10 s: the step at which tests/simulations/test_physics.py holds) and,
as the same-run baseline, a bare Python loop doing one float update per step (the floor any
pure-Python model pays). Prints figures, then one JSON object on the last line with
``model_s_per_wall_s``, ``season_physics_wall_s`` and ``step_s``.
"""

from __future__ import annotations

import json
import os
import platform
import time

from chaufferie.config.loader import load_config
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import get_scenario, season_days


def _baseline(steps: int) -> float:
    t0 = time.perf_counter()
    x = 0.0
    for _ in range(steps):
        x += 1e-9 * (75.0 - x)
    return time.perf_counter() - t0


def main() -> None:
    cfg = load_config()
    days = season_days(cfg)
    model_s = days * 86400.0
    step = cfg.simulation.step_s
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}"
    )
    plant = Plant(cfg)
    plant.apply_scenario(get_scenario("season"))
    t0 = time.perf_counter()
    plant.step(model_s)
    wall = time.perf_counter() - t0
    steps = int(model_s / step)
    base = _baseline(steps)
    c = plant.counters
    print(f"season: {days} days = {model_s:.0f} model s in {steps} steps of {step:g} s")
    print(
        f"physics: {wall:.2f} s wall ({wall / steps * 1e6:.1f} µs/step); "
        f"baseline bare loop: {base:.2f} s ({base / steps * 1e6:.2f} µs/step)"
    )
    print(
        f"season demand {c.demand_kwh / 1000:.0f} MWh, wood heat {c.heat_wood_kwh / 1000:.0f} MWh, "
        f"chips {c.chips_kg / 1000:.1f} t, energy balance error {c.balance_error():.2e}"
    )
    print(
        json.dumps(
            {
                "model_s_per_wall_s": round(model_s / wall, 1),
                "season_physics_wall_s": round(wall, 2),
                "step_s": step,
                "baseline_loop_wall_s": round(base, 3),
                "goal_season_wall_s": 60,
            }
        )
    )


if __name__ == "__main__":
    main()
