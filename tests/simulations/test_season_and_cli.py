"""The season profile, the codec, and the ``chaufferie sim`` command."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import sys
from pathlib import Path

import pytest

from chaufferie.cli import main
from chaufferie.config.points import DataType, ModbusSource, ModbusTable, Order
from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.codec import decode, encode
from chaufferie.simulations.faults import FAULTS
from chaufferie.simulations.pointmap import point_map_markdown
from chaufferie.simulations.scenarios import SCENARIOS, get_scenario, season_days
from chaufferie.simulations.security import ensure_certificate
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


def _degree_days(cfg: PlantConfig) -> tuple[float, float]:
    profile = get_scenario("season").outdoor(cfg)
    total, coldest = 0.0, math.inf
    for day in range(season_days(cfg)):
        temps = [profile.at((day * 24 + h) * 3600.0) for h in range(24)]
        total += max(0.0, 18.0 - (min(temps) + max(temps)) / 2)
        coldest = min(coldest, *temps)
    return total, coldest


def test_typical_season_has_the_sites_degree_days_and_cold_spells(config: PlantConfig) -> None:
    assert season_days(config) == 243
    dju, coldest = _degree_days(config)
    assert 1800 <= dju <= 2300
    assert coldest <= config.plant.design_outdoor_c + 1.0
    assert _degree_days(config) == (dju, coldest)  # seeded: the same season every time


@pytest.mark.parametrize(
    "kind",
    [DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.FLOAT32, DataType.FLOAT64],
)
@pytest.mark.parametrize("words", [Order.BIG, Order.LITTLE])
@pytest.mark.parametrize("bytes_", [Order.BIG, Order.LITTLE])
def test_codec_round_trips_every_type_and_order(kind: DataType, words: Order, bytes_: Order) -> None:
    src = ModbusSource(
        table=ModbusTable.HOLDING_REGISTER,
        address=0,
        type=kind,
        word_order=words,
        byte_order=bytes_,
        scale=0.1,
    )
    regs = encode(src, 123.4)
    assert len(regs) == kind.registers
    assert all(0 <= r <= 0xFFFF for r in regs)
    assert decode(src, regs) == pytest.approx(123.4, abs=1e-3)


def test_codec_word_order_and_sentinels() -> None:
    big = ModbusSource(table=ModbusTable.INPUT_REGISTER, address=0, type=DataType.UINT32)
    little = big.model_copy(update={"word_order": Order.LITTLE})
    assert encode(big, 0x12345678) == [0x1234, 0x5678]
    assert encode(little, 0x12345678) == [0x5678, 0x1234]
    temp = ModbusSource(table=ModbusTable.INPUT_REGISTER, address=0, type=DataType.INT16, scale=0.1)
    assert encode(temp, math.nan) == [0x8000]
    assert encode(temp, 5000.0) == [0x7FFF]  # saturates as a PLC clamps


def test_headless_load_check_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--headless", "--load", "0.8", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip())
    for key in (
        "silo_autonomy_h",
        "silo_low_level_h",
        "ash_bin_autonomy_h",
        "chip_consumption_kg_h",
        "efficiency",
        "model_seconds",
        "wall_seconds",
    ):
        assert key in result
    assert result["efficiency"] == pytest.approx(0.9, abs=0.01)


def test_headless_refuses_a_load_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--headless", "--load", "1.5"]) == 2
    assert "load" in capsys.readouterr().err


def test_print_map_names_every_point_and_matches_the_docs(
    config: PlantConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", "--print-map"]) == 0
    out = capsys.readouterr().out
    plc = [p for p in config.points if p.source.protocol != "system"]  # chaufferie's own: not the PLCs'
    assert all(f"`{p.name}`" in out for p in plc)
    doc = (REPO / "docs" / "point-map.md").read_text()
    assert doc == point_map_markdown(config) + "\n", "docs/point-map.md is stale: run `make print-map`"


async def _sim_process(tmp_path: Path, env: dict[str, str], *extra: str) -> asyncio.subprocess.Process:
    """``chaufferie sim`` in a child process on free loopback ports."""
    ports = (
        "--modbus-port",
        str(free_port()),
        "--opcua-port",
        str(free_port()),
        "--mbus-port",
        str(free_port()),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chaufferie.cli",
        "sim",
        *ports,
        "--data-dir",
        str(tmp_path),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_sim_command_serves_until_sigterm_then_stops_cleanly(tmp_path: Path) -> None:
    env = dict(os.environ, CHAUFFERIE_OPCUA_USER="u", CHAUFFERIE_OPCUA_PASSWORD="p")
    proc = await _sim_process(tmp_path, env, "--scenario", "nominal", "--speed", "60")
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert b"Simulator 'nominal'" in line
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0
    assert b"Simulator stopped" in out
    assert (tmp_path / "pki" / "sim-server-cert.der").is_file()


async def test_sim_command_without_credentials_says_which_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAUFFERIE_OPCUA")}
    proc = await _sim_process(tmp_path, env)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert b"CHAUFFERIE_OPCUA_USER" in err


def test_headless_scenario_prints_the_replay_or_open_loop_counters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sim", "--headless", "--scenario", "wood-fault", "--days", "0.5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert isinstance(result, dict)
    if result.get("closed_loop") is False:  # no chaufferie.replay: the plant alone, open loop
        assert result["model_seconds"] == pytest.approx(12 * 3600)
        assert result["unmet_kwh"] > 0  # nobody started the oil boiler


def test_simulator_doc_lists_every_fault_and_scenario() -> None:
    doc = (REPO / "docs" / "simulator.md").read_text()
    assert all(f"| {code} |" in doc for code in FAULTS)
    assert all(f"| {name} |" in doc for name in SCENARIOS)


async def test_sim_trust_puts_a_commissioning_tools_certificate_in_the_trust_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, cert = await ensure_certificate(tmp_path / "tool", "k.pem", "uaexpert.der", "urn:tool", client=True)
    assert main(["sim", "--data-dir", str(tmp_path), "--trust", str(cert)]) == 0
    [trusted] = (tmp_path / "pki" / "trusted-clients").iterdir()
    assert trusted.read_bytes() == cert.read_bytes()
    assert str(trusted) in capsys.readouterr().out
    assert main(["sim", "--data-dir", str(tmp_path), "--trust", str(tmp_path / "missing.der")]) == 2
