"""``chaufferie sim --headless --scenario S --json`` prints the closed-loop figures."""

from __future__ import annotations

import json

import pytest

from chaufferie.cli import main
from chaufferie.config.settings import PlantConfig

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


def test_six_hours_without_the_supervisor_during_a_wood_fault_leave_no_demand_unmet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/domain.md §6 in closed loop: the PLC's local program keeps the plant warm while the
    supervisor is gone; on its return it takes control back without a new oil start."""
    from chaufferie.config.loader import default_config_path, load_config
    from chaufferie.simulations.scenarios import get_scenario

    assert main(["sim", "--headless", "--scenario", "supervisor-loss", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    fallback_after_s = load_config(default_config_path()).simulation.fallback_after_s
    absent = [
        at for at, action, _ in get_scenario("supervisor-loss").events if action.startswith("supervisor")
    ]
    absent_s = (absent[1] - absent[0]) * 3600
    assert figures["supervisor_absent_s"] == pytest.approx(absent_s, abs=60)
    assert figures["supervisor_restarts"] == 1
    assert figures["local_mode_s"] == pytest.approx(absent_s - fallback_after_s, abs=120)
    assert figures["oil_starts_local"] == 1  # the PLC enabled oil once and kept it
    assert figures["unmet_kwh"] <= 0.005 * figures["heat_demand_kwh"]
    assert figures["alarms_by_code"]["SUP-LOC"] == 1
    assert figures["oil_starts_replacement"] == 0  # taken over as relève, not started again
    assert figures["mode_hours"]["oil_replacement"] > 0


def test_the_local_episode_is_recorded_once_with_its_time_alone_and_its_oil_start(
    config: PlantConfig,
) -> None:
    from chaufferie.config.vocabulary import OilRole, PlantEventKind
    from chaufferie.replay import Replay

    replay = Replay(config, "supervisor-loss").run()
    [episode] = [e for e in replay.events if e.kind is PlantEventKind.PLC_LOCAL_MODE_ENDED]
    assert episode.values["link"] == "hydraulic"
    assert episode.values["oil_starts"] == 1
    assert episode.oil_role is OilRole.REPLACEMENT  # the local program starts oil only for want of wood
    assert isinstance(episode.values["local_s"], int)
    assert episode.values["local_s"] >= 5 * 3600
