"""Benchmark: a whole heating season, plant physics and supervisor in closed loop.

Prints the figures, then ONE JSON object on the last line with ``season_wall_s`` (wall time of
the 243-day closed-loop replay, goal < 300 s) and ``supervisor_eval_us`` (the supervisor
core's cost per evaluation, measured alone on a healthy plant), plus the baseline measured in
the same run: the physics alone, open loop, over the same season (``physics_only_wall_s``).

Usage: ``.venv/bin/python bench/season.py [--days N] [--step S]`` (defaults: the whole season,
the simulator's step).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime

from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, TagValue
from chaufferie.replay import Replay
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.scenarios import get_scenario, season_days
from chaufferie.supervisor.core import SupervisorCore
from chaufferie.supervisor.inputs import Inputs, Signal


def machine() -> str:
    model = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model
            )
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (
        f"{platform.node()} — {os.cpu_count()} cores ({model}), shared, load {load:.1f}; "
        f"Python {platform.python_version()}"
    )


def physics_only(cfg: PlantConfig, days: float) -> float:
    plant = Plant(cfg)
    plant.apply_scenario(get_scenario("season"))
    t0 = time.perf_counter()
    plant.step(days * 86400.0)
    return time.perf_counter() - t0


def supervisor_eval_us(cfg: PlantConfig, n: int = 200_000) -> float:
    core = SupervisorCore(cfg, datetime(2026, 1, 13, 10, tzinfo=UTC), 0.0)
    inputs = Inputs.for_config(cfg)
    now = datetime(2026, 1, 13, 10, tzinfo=UTC)
    for signal, value in (
        (Signal.WOOD_STATE, 2),
        (Signal.WOOD_MODULATION, 60.0),
        (Signal.BUFFER_OUTLET, 75.0),
        (Signal.OUTDOOR, 4.0),
        (Signal.PUMP_DUTY, 1),
        (Signal.NETWORK_FLOW, 3.0),
    ):
        inputs.apply(TagValue(inputs.points[signal], value, Quality.GOOD, now, now))
    core.evaluate(0.0, inputs)
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        core.evaluate(float(i), inputs)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float)
    parser.add_argument("--step", type=float)
    args = parser.parse_args()
    cfg = load_config(default_config_path(), data_dir=tempfile.mkdtemp(prefix="chaufferie-bench-"))
    days = args.days or float(season_days(cfg))
    print(f"machine: {machine()}")
    eval_us = supervisor_eval_us(cfg)
    print(f"supervisor core: {eval_us:.1f} µs per evaluation (healthy plant, no decision)")
    physics_s = physics_only(cfg, days)
    print(f"baseline, physics alone (open loop): {days:.0f} days in {physics_s:.1f} s")
    replay = Replay(cfg, "season", step_s=args.step).run(days)
    summary = replay.summary()
    print(
        f"closed loop (physics + tap + supervisor + alarm engine), step {replay.step_s:g} s: "
        f"{days:.0f} days in {summary['wall_seconds']:.1f} s"
    )
    for key in (
        "wood_coverage",
        "oil_starts_replacement",
        "oil_starts_topup",
        "oil_starts_max_per_hour",
        "unmet_demand_kwh",
        "buffer_within_band_ratio",
        "heat_demand_kwh",
        "heat_oil_kwh",
    ):
        print(f"  {key}: {summary[key]}")
    print(
        json.dumps(
            {
                "season_wall_s": summary["wall_seconds"],
                "supervisor_eval_us": round(eval_us, 2),
                "physics_only_wall_s": round(physics_s, 2),
                "days": days,
                "step_s": replay.step_s,
                "supervisor_evaluations": summary["supervisor_evaluations"],
                "wood_coverage": summary["wood_coverage"],
                "oil_starts_replacement": summary["oil_starts_replacement"],
                "oil_starts_max_per_hour": summary["oil_starts_max_per_hour"],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
