"""``chaufferie sim --headless --scenario S --json`` prints the closed-loop figures."""

from __future__ import annotations

import json

import pytest

from chaufferie.cli import main

KEYS = {
    "heat_demand_kwh",
    "heat_wood_kwh",
    "heat_oil_kwh",
    "wood_coverage",
    "oil_starts_replacement",
    "oil_starts_topup",
    "oil_run_hours",
    "buffer_within_band_ratio",
    "unmet_demand_kwh",
    "alarms_by_code",
    "mode_hours",
    "chips_tonnes",
    "model_seconds",
    "wall_seconds",
}


def test_headless_replay_prints_one_json_object_with_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--headless", "--scenario", "wood-fault", "--days", "0.25", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert KEYS <= figures.keys()
    assert figures["model_seconds"] == 6 * 3600
    assert figures["oil_starts_replacement"] == 1
    assert figures["mode_hours"]["oil_replacement"] > 0
