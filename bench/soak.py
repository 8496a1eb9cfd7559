"""Benchmark: 24 model hours of the whole system against the simulated plant (the soak).

Runs the soak of ``tests/soak`` (historian on SQLite, alarms with the local outbox, supervisor,
access services and the bridge's command path on one virtual clock, every scenario but
``season`` in turn, plant step ``simulation.step_s``) with the heap traced, and, as the
baseline measured in the same run, the plant physics and the tap alone over the same plan
(no services: what the system adds to the model's own cost).

Prints the figures, then ONE JSON object on the last line with ``soak_wall_s``,
``physics_only_wall_s``, ``heap_first_quarter_kib``, ``heap_last_quarter_kib``,
``max_queue``, ``dropped``, ``records_lost``, ``errors``, ``outbox_pending`` and ``machine``.

Usage: ``.venv/bin/python bench/soak.py [--hours H]`` (default 24).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the soak's harness lives in tests/

from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.replay_tap import PlantTap
from chaufferie.simulations.faults import run_action
from chaufferie.simulations.plant import Plant
from tests.soak.harness import SoakResult, default_plan, run_soak

HOUR_S = 3600.0


def machine() -> str:
    return (
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}"
    )


def physics_only(cfg: PlantConfig, plan: list[tuple[str, float]]) -> float:
    """Wall seconds of the plant and the tap alone over ``plan`` (the baseline)."""
    plant = Plant(cfg)
    sink: list[object] = []
    tap = PlantTap(cfg, plant, [p.name for p in cfg.points], [sink.append])
    step, t = cfg.simulation.step_s, 0.0
    started = time.perf_counter()
    for scenario, hours in plan:
        run_action(plant, "clear_all")
        plant.apply_scenario(scenario)
        end = t + hours * HOUR_S
        while t < end - 1e-6:
            tap.poll(plant.now)
            plant.step(step)
            t += step
            sink.clear()
    return time.perf_counter() - started


def lost(r: SoakResult) -> int:
    """Records published on the bus but missing from the historian's tables."""
    s, spy = r.stored, r.spy
    missing = len(spy.plant_events - s["plant_events"]) + len(spy.actions - s["actions"])
    missing += sum((spy.transitions - s["transitions"]).values())
    return int(missing + sum((spy.notifications - s["notifications"]).values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    plan = default_plan(args.hours)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as data:
        cfg = load_config(default_config_path(), data_dir=data)
        baseline = physics_only(cfg, plan)
        r = run_soak(cfg, plan, step_s=cfg.simulation.step_s)
    n = max(1, len(r.samples) // 4)
    first = max(s.heap_bytes for s in r.samples[:n]) // 1024
    last = max(s.heap_bytes for s in r.samples[-n:]) // 1024
    max_queue = max(max(s.queues.values()) for s in r.samples)
    figures = {
        "soak_wall_s": round(r.wall_s, 1),
        "physics_only_wall_s": round(baseline, 2),
        "model_hours": round(r.model_h, 1),
        "step_s": cfg.simulation.step_s,
        "heap_first_quarter_kib": first,
        "heap_last_quarter_kib": last,
        "max_queue": max_queue,
        "peak_backlog_within_a_step": max(r.peaks.values(), default=0),
        "slowest_catch_up_s": round(r.slowest_catch_up_s, 3),
        "dropped": sum(r.dropped.values()),
        "records": len(r.spy.plant_events) + len(r.spy.actions) + sum(r.spy.transitions.values()),
        "records_lost": lost(r),
        "samples_stored": r.stored["samples"],
        "log_lines": r.logs.lines,
        "errors": len(r.logs.bad),
        "outbox_pending": r.outbox_pending,
        "machine": machine(),
    }
    print(f"soak: {r.model_h:.0f} model h in {r.wall_s:.0f} s (physics and tap alone: {baseline:.2f} s)")
    print(f"heap (max of first/last quarter): {first}/{last} KiB; bus queues at most {max_queue}")
    print(f"alarms raised: {dict(r.alarms_raised)}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
