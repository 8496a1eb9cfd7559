"""The demo at ×60 shows the same plant, only faster: one clock for the simulator and the system.

Issue 13 §9: with ``--speed 60`` the supervisor's timers ran in wall seconds while the plant
ran 60× faster; during ``wood-fault`` the relève came two plant hours late and the buffer fell
from 74 °C to 30 °C. Here the demo's own wiring (the simulator as a separate process on the
demo's anchor and speed, the system in this process on the same :class:`ScaledClock`) runs
``wood-fault`` at ×60, and the buffer's drop between the fault and the oil burner's first heat
is compared with the closed-loop headless replay of the same scenario (plant time, ×1 physics,
the production supervisor): it must not be larger.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaufferie.commands.demo import (
    demo_runtime,
    demo_secrets,
    on_loopback,
    sampled_finely,
    start_simulator,
    wait_for_simulator,
)
from chaufferie.config.clock import Anchor, ScaledClock
from chaufferie.config.loader import load_config
from chaufferie.config.vocabulary import Context, OilRole, PlantEvent, PlantEventKind, TagValue
from chaufferie.hmi.simulator_control import SimulatorControl
from chaufferie.pairing import pair_with_simulator
from chaufferie.replay import Replay
from chaufferie.simulations.server import SimulatorServers
from tests.support.plc import free_ports

RUNNING = 2
FLAME_LOST = (1, 6, 7)  # ignition (retry), fault, lockout
SPEED = 60.0
TOLERANCE_K = 1.0
"""What the demo cannot avoid: the replay reads the plant every 10 plant s with no transport
delay; the demo samples every 6 plant s through real sockets, and every 0.1 s of wall-time
latency is 6 plant s at ×60 (the buffer falls about 0.9 K per plant minute). Measured on the
shared 2-core machine: +0.19 K idle, +0.55 K at load average 10; with the bug it guards against
the buffer fell 44 K (74 °C to 30 °C), no relève for two plant hours."""


@dataclass
class Sample:
    t: float  # plant seconds
    buffer_c: float | None = None
    wood_state: int | None = None
    oil_burner: bool | None = None


def drop_before_oil(samples: list[Sample]) -> tuple[float, float]:
    """Buffer top at the fault (the flame is lost: the wood boiler goes from ``running`` straight
    to ignition or fault, not through burn-out) minus its lowest value until the oil burner first
    fires; and the plant seconds that took."""
    buffer = state = None
    fault_t = fault_c = None
    lowest = float("inf")
    for s in sorted(samples, key=lambda s: s.t):
        buffer = s.buffer_c if s.buffer_c is not None else buffer
        was, state = state, s.wood_state if s.wood_state is not None else state
        if fault_t is None:
            if was == RUNNING and state in FLAME_LOST and buffer is not None:
                fault_t, fault_c = s.t, buffer
            continue
        if buffer is not None:
            lowest = min(lowest, buffer)
        if s.oil_burner:
            assert fault_c is not None
            return fault_c - lowest, s.t - fault_t
    raise AssertionError("no fault followed by an oil burner start in the samples")


def baseline_drop() -> tuple[float, float]:
    """The same scenario in the closed-loop headless replay (``chaufferie sim --headless``)."""
    replay = Replay(load_config(), "wood-fault", alarms=False)
    samples = []
    while replay.plant.t < 3 * 3600:
        replay.run(until_s=replay.plant.t + replay.step_s)
        p = replay.plant
        samples.append(
            Sample(
                p.t,
                float(p.read("buffer.temp_top")),
                int(p.read("wood.state")),
                bool(p.read("oil.burner_on")),
            )
        )
        if p.t > 3600 and p.read("oil.burner_on"):
            break
    return drop_before_oil(samples)


def to_sample(message: TagValue, epoch: datetime) -> Sample | None:
    if not message.good or message.value is None:
        return None
    t = (message.source_time - epoch).total_seconds()
    if message.point == "buffer.temp_top":
        return Sample(t, buffer_c=float(message.value))
    if message.point == "wood.state":
        return Sample(t, wood_state=int(message.value))
    if message.point == "oil.burner_on":
        return Sample(t, oil_burner=bool(message.value))
    return None


def _story(samples: list[Sample], sub: object) -> str:
    states = [(round(s.t), s.wood_state) for s in samples if s.wood_state is not None]
    buffer = [(round(s.t), s.buffer_c) for s in samples if s.buffer_c is not None][-5:]
    return f"wood states {states[-10:]}, buffer {buffer}"


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_wood_fault_at_x60_drops_the_buffer_no_more_than_at_x1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_drop, expected_s = baseline_drop()
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    secrets = demo_secrets(data_dir)
    for name, value in secrets.items():  # as `chaufferie demo` does: the bridge reads them there
        monkeypatch.setenv(name, value)
    env = {**os.environ, **secrets}
    ports = free_ports()
    cfg = sampled_finely(on_loopback(load_config(data_dir=str(data_dir)), ports))
    epoch = datetime.now(UTC)
    clock = ScaledClock(Anchor(epoch, time.time(), SPEED))
    args = argparse.Namespace(scenario="wood-fault", config=None)
    sim = start_simulator(args, data_dir, ports, env, clock.anchor())
    samples: list[Sample] = []
    oil_starts: list[PlantEvent] = []
    try:
        cert = await asyncio.to_thread(wait_for_simulator, sim, data_dir, ports.opcua)
        await pair_with_simulator(cfg, cert.parent)
        runtime = demo_runtime(cfg, clock, None, None, with_hmi=False, environ=env)
        sub = runtime.bus.subscribe(TagValue, PlantEvent, name="test")
        async with runtime.system:
            deadline = time.monotonic() + 150
            while not (oil_starts and any(s.oil_burner for s in samples)):
                assert time.monotonic() < deadline, f"no relève within 150 s: {_story(samples, sub)}"
                message = await asyncio.wait_for(sub.get(), 10)
                if isinstance(message, PlantEvent) and message.kind is PlantEventKind.OIL_STARTED:
                    oil_starts.append(message)
                elif isinstance(message, TagValue) and (sample := to_sample(message, epoch)):
                    samples.append(sample)
    finally:
        sim.terminate()
        await asyncio.to_thread(sim.wait, 15)
    drop, took_s = drop_before_oil(samples)
    assert [e.oil_role for e in oil_starts] == [OilRole.REPLACEMENT]
    figures = f"×60: {drop:.2f} K in {took_s:.0f} s; replay: {expected_drop:.2f} K in {expected_s:.0f} s"
    assert drop <= expected_drop + TOLERANCE_K, figures
    assert took_s <= expected_s + 60, figures  # the relève in plant time, as in the replay


@pytest.mark.timeout(60)
async def test_a_speed_change_from_commissioning_changes_plant_and_system_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in demo_secrets(tmp_path).items():
        monkeypatch.setenv(name, value)
    ports = free_ports()
    cfg = on_loopback(load_config(data_dir=str(tmp_path / "data")), ports)
    clock = ScaledClock(Anchor(datetime.now(UTC), time.time(), 60.0))
    sim = SimulatorServers(
        cfg,
        modbus_port=ports.modbus,
        opcua_port=ports.opcua,
        mbus_port=ports.mbus,
        data_dir=tmp_path / "sim",
        anchor=clock.anchor(),
    )
    async with sim:
        await pair_with_simulator(cfg, sim.server_certificate.parent)
        control = SimulatorControl(cfg, clock)
        assert await control.current_speed() == 60.0
        outcome = await control.set_speed(600.0, Context(origin="test", user="tech"))
        assert outcome.ok, outcome.message
        assert await control.current_speed() == 600.0  # read back from the simulator
        assert clock.speed == 600.0
        assert sim.clock is not None
        assert sim.clock.anchor() == clock.anchor()  # one clock, not two that agree on a number
