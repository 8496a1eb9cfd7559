"""``chaufferie tags``: a commissioning engineer's look at every live point, against the simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from chaufferie.commands.tags import plc_points, render
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, Quality, TagValue
from chaufferie.simulations.server import SimulatorServers


def test_table_shows_value_state_name_unit_quality_and_age(config: PlantConfig) -> None:
    now = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    values = {
        "wood.state": TagValue("wood.state", 2, Quality.GOOD, now - timedelta(seconds=1.5), now),
        "outdoor.temp": TagValue(
            "outdoor.temp", -5.3, Quality.BAD, now - timedelta(seconds=40), now, stale=True
        ),
    }
    table = render(config, values, {"boiler": LinkState.DOWN, "hydraulic": LinkState.UP}, now)
    lines = table.splitlines()
    assert len(lines) == 1 + 1 + len(plc_points(config)) + 2
    assert not any(line.startswith("modem.") for line in lines)  # chaufferie's own, not the PLCs'
    state_line = next(line for line in lines if line.startswith("wood.state "))
    assert "2 (running)" in state_line
    assert "1.5 s" in state_line
    outdoor = next(line for line in lines if line.startswith("outdoor.temp "))
    assert "-5.3" in outdoor
    assert "°C" in outdoor
    assert "bad stale" in outdoor
    assert "jamais lu / never read" in next(line for line in lines if line.startswith("silo.mass "))
    assert lines[-1] == "Liaisons / Links: boiler down, hydraulic up"


async def test_tags_command_prints_every_point_live_from_the_simulator(
    plant_config: PlantConfig, sim: SimulatorServers, tmp_path: Path
) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(
        yaml.safe_dump(plant_config.model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chaufferie.cli", "tags", "--config", str(path), "--seconds", "20",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 0, err.decode()[-2000:]
    for p in plc_points(plant_config):
        row = next(line for line in text.splitlines() if line.startswith(p.name + " "))
        assert " good " in row + " ", row
    assert "boiler up, hydraulic up" in text
