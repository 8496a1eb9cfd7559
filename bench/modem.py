"""Benchmark of the GSM modem channel: SMS per minute and latency from alarm to modem send.

* ``modem_sms_per_min`` — single-part SMS queued at once in the outbox of a running
  :class:`AlarmService` whose only SMS transport is the real Gammu driver on the simulated
  modem (a pty); counted when the simulator has submitted them to its "network". Baseline in
  the same run: python-gammu's own ``SendSMS`` in a loop on the same simulator
  (``baseline_gammu_sms_per_min``): what the modem link allows, with nothing of ours around it.
* ``modem_latency_ms_p50/p95`` — from a point change published on the bus (a P1 alarm, grouping
  off) to the SMS submitted by the simulated modem (real clock).

Gammu paces an AT modem itself (about 0.7 s a part here, 5 s to connect): the figures are
Gammu's pace plus ours, and the ratio to the baseline is what this project adds.
Run from the repository root: ``.venv/bin/python bench/modem.py``. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gammu

from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.alarming import AlarmDefinition, ModemSettings, PointCondition
from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, TagValue
from chaufferie.simulations.modem import ModemSimulator
from tests.support.plc import eventually

N_THROUGHPUT = 20
N_LATENCY = 20
NUMBER = "+33612345678"
TEXT = "joucas P1 CHB-DEF 02:14 Défaut chaudière bois"


def baseline(link: Path) -> float:
    """SMS per minute by python-gammu alone (connected once, one SendSMS per message)."""
    sm = gammu.StateMachine()
    sm.SetConfig(0, {"Device": str(link), "Connection": "at", "SyncTime": False, "StartInfo": False})
    sm.Init()
    try:
        t0 = time.perf_counter()
        for _ in range(N_THROUGHPUT):
            sm.SendSMS({"Number": NUMBER, "SMSC": {"Location": 1}, "Text": TEXT})
        return N_THROUGHPUT / (time.perf_counter() - t0) * 60
    finally:
        sm.Terminate()


def bench_config(tmp: str, link: Path) -> PlantConfig:
    cfg = load_config(default_config_path(), data_dir=tmp)
    modem = ModemSettings(device=str(link), pin_env=None, poll_s=3600)
    notifiers = cfg.notifiers.model_copy(
        update={"modem": modem, "group_window_s": 0.001, "flood_count": 1_000_000, "daily_test_time": None}
    )
    alarms = tuple(
        AlarmDefinition(
            code=f"BEN-{i:04d}",
            priority=1,
            label_fr=f"Banc modem {i}",
            label_en=f"Modem bench {i}",
            condition=PointCondition(point=f"bench.p{i}", op=">", value=50.0),
        )
        for i in range(N_LATENCY)
    )
    return cfg.model_copy(update={"notifiers": notifiers, "alarms": alarms})


async def ours(cfg: PlantConfig, sim: ModemSimulator) -> tuple[float, list[float]]:
    bus, clock = Bus(), RealClock()
    async with AlarmService(cfg, bus, clock) as service:
        task = asyncio.create_task(service.run())
        await eventually(service.channels["modem"].available, within=60)  # connected (Gammu: seconds)
        before = len(sim.sent)
        t0 = time.perf_counter()
        for i in range(N_THROUGHPUT):
            service.outbox.enqueue(OutboxItem(f"bench/{i}", "sms", "tech-martin", NUMBER, "", f"{TEXT} #{i}"))
        await eventually(lambda: len(sim.sent) >= before + N_THROUGHPUT, within=600)
        rate = N_THROUGHPUT / (time.perf_counter() - t0) * 60
        latencies = []
        for i in range(N_LATENCY):
            count = len(sim.sent)
            now = clock.now()
            t0 = time.perf_counter()
            bus.publish(TagValue(f"bench.p{i}", 60.0, Quality.GOOD, now, now))
            await eventually(lambda: len(sim.sent) > count, within=60)  # noqa: B023 (awaited here)
            latencies.append((time.perf_counter() - t0) * 1000)
            await service.outbox.settled(30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return rate, latencies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, ModemSimulator(Path(tmp) / "modem") as sim:
        raw = baseline(sim.link)
        rate, latencies = asyncio.run(ours(bench_config(tmp, sim.link), sim))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores (2-core, shared)")
    print(
        f"python {platform.python_version()}, gammu {gammu.Version()[0]}, python-gammu {gammu.Version()[1]}"
    )
    print(f"throughput over {N_THROUGHPUT} single-part SMS through the alarm service's outbox:")
    print(f"  ours     {rate:6.1f} SMS/min")
    print(f"  baseline {raw:6.1f} SMS/min (python-gammu SendSMS alone)   ratio {rate / raw:.2f}")
    print(f"latency over {N_LATENCY} P1 alarms (point change -> SMS submitted by the simulated modem):")
    print(f"  p50 {statistics.median(latencies):.0f} ms  p95 {_p95(latencies):.0f} ms")
    print(
        json.dumps(
            {
                "modem_sms_per_min": round(rate, 1),
                "modem_latency_ms_p50": round(statistics.median(latencies), 1),
                "modem_latency_ms_p95": round(_p95(latencies), 1),
                "baseline_gammu_sms_per_min": round(raw, 1),
                "ratio_to_baseline": round(rate / raw, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
