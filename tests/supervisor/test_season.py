"""A whole heating season in closed loop (slow): wood first, oil only when it must."""

from __future__ import annotations

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.replay import Replay

SEASON_STEP_S = 60.0
"""Supervisor and tap every model minute; the physics keeps its own 10 s sub-steps."""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_season_is_wood_first_with_no_replacement_and_protected_oil(config: PlantConfig) -> None:
    replay = Replay(config, "season", step_s=SEASON_STEP_S).run()
    summary = replay.summary()
    print(summary)
    assert summary["model_seconds"] == 243 * 86400
    assert summary["wood_coverage"] >= 0.90
    assert summary["oil_starts_replacement"] == 0
    days = summary["model_seconds"] / 86400
    # the oil boiler fills the gap under a lower setpoint; sharing the wood setpoint gave 545 starts
    assert summary["oil_starts_topup"] <= 0.4 * days
    assert summary["alarms_by_code"]["FIO-APP"] == summary["oil_starts_topup"]
    assert summary["oil_starts_max_per_hour"] <= config.cascade.oil_max_starts_per_hour
    assert summary["unmet_demand_kwh"] <= 0.001 * summary["heat_demand_kwh"]
    assert summary["heat_demand_kwh"] == pytest.approx(250_000, rel=0.2)
