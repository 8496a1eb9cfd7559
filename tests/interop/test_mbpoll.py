"""mbpoll (a Modbus master we did not write) reads and writes our boiler PLC server."""

from __future__ import annotations

import asyncio
import re

import pytest

from chaufferie.config.points import ModbusSource
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import require_tool

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]
LINE = re.compile(r"^\[(\d+)\]:\s+(\S+)", re.MULTILINE)


async def _mbpoll(sim: SimulatorServers, *args: str) -> tuple[int, str]:
    tool = require_tool("mbpoll", "Modbus interop test")
    proc = await asyncio.create_subprocess_exec(
        tool,
        "-m",
        "tcp",
        "-a",
        "1",
        "-p",
        str(sim.modbus_port("boiler")),
        "-0",
        "-o",
        "2",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    return proc.returncode or 0, out.decode()


def _values(output: str) -> dict[int, float]:
    return {int(ref): float(v) for ref, v in LINE.findall(output)}


async def test_mbpoll_reads_input_registers_as_the_simulator_serves_them(sim: SimulatorServers) -> None:
    await sim.step(600)
    code, out = await _mbpoll(sim, "-t", "3", "-r", "0", "-c", "8", "-1", "127.0.0.1")
    assert code == 0, out
    got = _values(out)
    values = sim.values()
    for p in sim.cfg.points_of("boiler"):
        src = p.source
        if isinstance(src, ModbusSource) and src.table.value == "input_register" and src.address < 8:
            if p.name.endswith("heartbeat"):
                continue
            assert got[src.address] * src.scale == pytest.approx(float(values[p.name]), abs=src.scale), p.name


async def test_mbpoll_decodes_our_float32_in_both_word_orders(sim: SimulatorServers) -> None:
    await sim.step(600)
    values = sim.values()
    code, out = await _mbpoll(sim, "-t", "3:float", "-B", "-r", "8", "-c", "1", "-1", "127.0.0.1")
    assert code == 0, out
    assert _values(out)[8] == pytest.approx(values["wood.power"], abs=0.01)  # big word order
    code, out = await _mbpoll(sim, "-t", "3:float", "-r", "12", "-c", "1", "-1", "127.0.0.1")
    assert code == 0, out
    assert _values(out)[12] == pytest.approx(values["silo.mass"], abs=0.1)  # little word order


async def test_mbpoll_writes_the_setpoint_and_a_coil_that_reach_the_plant(sim: SimulatorServers) -> None:
    code, out = await _mbpoll(sim, "-t", "4", "-r", "0", "127.0.0.1", "720")
    assert code == 0, out
    assert sim.plant.wood.setpoint_c == pytest.approx(72.0)
    code, out = await _mbpoll(sim, "-t", "0", "-r", "3", "127.0.0.1", "1")
    assert code == 0, out
    assert sim.plant.feed.cutoff is True


async def test_mbpoll_gets_illegal_address_outside_the_map(sim: SimulatorServers) -> None:
    code, out = await _mbpoll(sim, "-t", "3", "-r", "200", "-c", "1", "-1", "127.0.0.1")
    assert code != 0
    assert "Illegal data address" in out
