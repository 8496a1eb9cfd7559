"""``speed X [MODEL_ISO WALL_UNIX]``: the simulator takes the caller's anchor, so both are one clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaufferie.config.clock import Anchor, ScaledClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.simulations import commands
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port


def _sim(tmp_path: Path, speed: float | None) -> SimulatorServers:
    cfg = load_config(default_config_path(), data_dir=str(tmp_path / "data"))
    return SimulatorServers(
        cfg,
        modbus_port=free_port(),
        opcua_port=free_port(),
        mbus_port=free_port(),
        data_dir=tmp_path / "sim",
        speed=speed,
    )


def test_speed_with_an_anchor_makes_the_simulator_the_callers_clock(
    tmp_path: Path, opcua_credentials: tuple[str, str]
) -> None:
    sim = _sim(tmp_path, 1.0)
    system = ScaledClock(Anchor(datetime.now(UTC), time.time(), 1.0))
    anchor = system.rescaled(60.0)
    assert commands.run(sim, f"speed {anchor.text()}") == "ok speed 60"
    system.adopt(anchor)
    assert sim.speed == 60.0
    assert sim.clock is not None
    assert sim.clock.anchor() == anchor
    assert abs((sim.clock.now() - system.now()).total_seconds()) < 0.5
    assert '"speed": 60.0' in commands.run(sim, "status")


@pytest.mark.parametrize("line", ["speed 0", "speed -2", "speed fast", "speed 60 yesterday 12"])
def test_a_bad_speed_is_refused_and_the_clock_unchanged(
    tmp_path: Path, opcua_credentials: tuple[str, str], line: str
) -> None:
    sim = _sim(tmp_path, 10.0)
    assert commands.run(sim, line).startswith("error")
    assert sim.speed == 10.0


def test_a_plant_stepped_by_hand_has_no_speed_to_change(
    tmp_path: Path, opcua_credentials: tuple[str, str]
) -> None:
    sim = _sim(tmp_path, None)
    assert commands.run(sim, "speed 60").startswith("error")
    assert sim.speed is None
