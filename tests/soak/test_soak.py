"""24 model hours of the whole system against the simulated plant: flat, quiet, nothing lost.

One process, one :class:`~chaufferie.config.clock.VirtualClock`: the production services
(historian on SQLite, alarms with the local outbox folder, supervisor, access services, the
bridge's command path) wired by :func:`chaufferie.wiring.build_runtime`, fed by the plant
through the replay's tap (see :mod:`tests.soak.harness`). Every scenario but ``season`` runs
in turn, 3 model hours each, switched as from the commissioning page (clear all, then the
scenario). Plant step 10 s = ``simulation.step_s``, the step at which the physics tests hold
(the plant integrates in sub-steps of at most that anyway); the services run on their own
configured periods (supervisor and alarms every second, historian flush every second).
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from chaufferie.config.loader import default_config_path, load_config
from tests.soak.harness import SoakResult, default_plan, run_soak
from tests.soak.probes import HOUR_S, Sample

MODEL_HOURS = 24.0
HEAP_GROWTH_MAX = 2 * 1024 * 1024
"""Allowed growth of the traced heap (max of the first quarter → max of the last, bytes).

Measured: −0.2 to +1.1 MiB on a 13–15 MiB heap, from bounded caches filling (SQLAlchemy's
compiled statements, the rota's holiday years) and the alarm occurrences nobody acknowledges
in the soak. A leak of 250 bytes per plant step, or 15 per bus message, would exceed it."""
QUEUE_MAX = 100
"""No subscriber's queue may hold more than this between two plant steps (once caught up)."""
PEAK_SHARE_MAX = 0.5
"""Within a step, no subscriber's backlog may reach half of its queue's capacity."""
LOG_LINES_PER_HOUR_MAX = 120
"""Logs say changes of state, never polls: a fault's story is a few dozen lines; one line per
poll would be 360 an hour for a single point."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> SoakResult:
    data = tmp_path_factory.mktemp("soak") / "data"
    cfg = load_config(default_config_path(), data_dir=str(data))
    result = run_soak(cfg, default_plan(MODEL_HOURS), step_s=cfg.simulation.step_s)
    _report(result)
    return result


def _report(r: SoakResult) -> None:
    first, last = _quarters(r.samples)
    print(
        f"\nsoak: {r.model_h:.0f} model h in {r.wall_s:.0f} s wall; heap (max, first/last quarter) "
        f"{_max(first, 'heap_bytes') / 1024:.0f}/{_max(last, 'heap_bytes') / 1024:.0f} KiB; "
        f"queues max {_max_queue(first)}/{_max_queue(last)}, peak within a step {dict(r.peaks)}; "
        f"log lines {r.logs.lines} "
        f"{dict(r.logs.by_level)}; records: {len(r.spy.plant_events)} plant events, "
        f"{sum(r.spy.transitions.values())} alarm transitions, {len(r.spy.actions)} operator actions, "
        f"{sum(r.spy.notifications.values())} notification records, {r.stored['samples']} samples; "
        f"alarms raised {dict(r.alarms_raised)}; supervisor steps by mode {dict(r.modes)}"
    )


def _quarters(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    n = max(1, len(samples) // 4)
    return samples[:n], samples[-n:]


def _max(samples: list[Sample], attr: str) -> Any:
    return max(getattr(s, attr) for s in samples)


def _median(samples: list[Sample], attr: str) -> float:
    return float(statistics.median(getattr(s, attr) for s in samples))


def _trend(samples: list[Sample], attr: str) -> str:
    return ", ".join(f"{s.model_h:.1f} h: {getattr(s, attr)}" for s in samples[:: max(1, len(samples) // 12)])


def _max_queue(samples: list[Sample]) -> int:
    return max(max(s.queues.values()) for s in samples)


def test_soak_covers_24_model_hours_and_every_fault_scenario(soak: SoakResult) -> None:
    assert soak.model_h == pytest.approx(MODEL_HOURS)
    assert {"CHB-ALL", "VIS-BLQ", "PMP-BAS", "PRS-BAS", "COM-API", "COM-HYD"} <= set(soak.alarms_raised)
    # the hydraulic link cut for 5 min: the life counter cannot reach the PLC, which takes over
    assert soak.alarms_raised["SUP-LOC"] == 1
    assert soak.modes["oil_replacement"] > 0, "the wood fault must hand over to the oil boiler"
    assert soak.spy.notifications, "the alarms must have notified someone through the outbox"


def test_soak_memory_stays_flat(soak: SoakResult) -> None:
    first, last = _quarters(soak.samples)
    # Retained memory, not a transient peak: a leak lifts the median of every later sample,
    # while one large in-flight batch (a historian write, say) only lifts a single maximum.
    growth = _median(last, "heap_bytes") - _median(first, "heap_bytes")
    assert growth <= HEAP_GROWTH_MAX, f"heap grew by {growth / 1024:.0f} KiB over {MODEL_HOURS:.0f} h"
    assert _max(last, "modules") == _max(first, "modules"), "a module loaded late distorts the comparison"
    # Tasks and timers likewise: a leak keeps every later sample above the first quarter's
    # highest, while one retry or debounce timer in flight at a sample is no accumulation (CI
    # once saw 7 timers in one late sample against 6 early on, the median unchanged).
    for attr, what in (("tasks", "tasks"), ("pending_timers", "timers")):
        assert _median(last, attr) <= _max(first, attr), f"{what} accumulate: {_trend(soak.samples, attr)}"


def test_soak_bus_queues_stay_flat_and_drop_nothing(soak: SoakResult) -> None:
    first, last = _quarters(soak.samples)
    assert _max_queue(soak.samples) <= QUEUE_MAX
    assert _max_queue(last) <= max(_max_queue(first), 1)
    assert not any(soak.dropped.values()), soak.dropped
    assert soak.stuck_steps == 0, "a consumer stopped: its backlog outlived a minute of wall time"
    near_full = {n: p for n, p in soak.peaks.items() if p > PEAK_SHARE_MAX * soak.capacity[n]}
    assert not near_full, near_full


def test_soak_logs_no_error_and_only_changes_of_state(soak: SoakResult) -> None:
    assert soak.logs.bad == []
    hours = [s.model_h for s in soak.samples]
    lines = [s.log_lines for s in soak.samples]
    worst = max(
        (b - a) / ((tb - ta) or 1.0) for a, b, ta, tb in zip(lines, lines[1:], hours, hours[1:], strict=False)
    )
    assert worst <= LOG_LINES_PER_HOUR_MAX, f"{worst:.0f} log lines in a model hour"


def test_soak_loses_no_record(soak: SoakResult) -> None:
    stored, spy = soak.stored, soak.spy
    assert spy.plant_events == stored["plant_events"]
    assert spy.actions == stored["actions"]
    assert spy.transitions == stored["transitions"]
    assert spy.notifications == stored["notifications"]
    assert stored["samples"] > MODEL_HOURS * HOUR_S / 60, "the historian must have kept samples"


def test_soak_leaves_no_stuck_notification(soak: SoakResult) -> None:
    assert soak.outbox_sent > 0, "the outbox read back is the one the system wrote to"
    assert soak.outbox_pending == 0
    assert soak.outbox_failed == 0


def test_soak_harness_plan_is_every_scenario_but_the_season() -> None:
    plan = default_plan(MODEL_HOURS)
    assert "season" not in dict(plan)
    assert sum(hours for _, hours in plan) == pytest.approx(MODEL_HOURS)
