"""Benchmark of the alarms: evaluation rate for 1 000 definitions and notification latency.

* ``alarm_evals_per_s`` — tag values through :meth:`AlarmEngine.on_tag` for 1 000 point
  alarms (deadband, on-delay bookkeeping, state machine on each crossing, SQLite writes on
  transitions). Baseline in the same run: the bare condition function on the same values.
* ``notify_latency_ms_p50/p95`` — from a point change published on the bus to the SMS
  received by the Twilio stand-in on loopback (real ``twilio`` client, real clock, running
  :class:`AlarmService`; grouping and flood windows set so each alarm is its own message).
  Baseline in the same run: a bare ``messages.create_async`` round trip to the stand-in.

Run from the repository root: ``.venv/bin/python bench/alarms.py``. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from chaufferie.alarms.conditions import evaluate
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.alarming import AlarmDefinition, PointCondition, TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock, VirtualClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality, TagValue
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn

N_ALARMS = 1000
N_VALUES = 200_000
N_NOTIFY = 40


def _definitions(n: int) -> list[AlarmDefinition]:
    return [
        AlarmDefinition(
            code=f"BEN-{i:04d}",
            priority=1 + i % 3,
            label_fr=f"Banc {i}",
            label_en=f"Bench {i}",
            condition=PointCondition(point=f"bench.p{i}", op=">", value=50.0),
            deadband=1.0,
        )
        for i in range(n)
    ]


def _values(n: int) -> list[TagValue]:
    rng = random.Random(42)
    t = VirtualClock().now()
    # mostly quiet values, a crossing now and then (about 1 % of the samples)
    return [
        TagValue(
            f"bench.p{rng.randrange(N_ALARMS)}",
            40.0 + (rng.random() < 0.01) * 20.0 + rng.random(),
            Quality.GOOD,
            t,
            t,
        )
        for _ in range(n)
    ]


def bench_evaluations(cfg: PlantConfig, folder: Path) -> tuple[float, float, int]:
    defs = _definitions(N_ALARMS)
    values = _values(N_VALUES)
    engine = AlarmEngine(cfg, Bus(), VirtualClock(), SqliteAlarmStore(folder / "bench.db"), defs)
    by_point = {d.condition.point: d for d in defs if isinstance(d.condition, PointCondition)}
    latest: dict[str, TagValue] = {}
    t0 = time.perf_counter()
    for tv in values:
        latest[tv.point] = tv
        evaluate(by_point[tv.point], latest, None)
    baseline = N_VALUES / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for tv in values:
        engine.on_tag(tv)
    rate = engine.evaluations / (time.perf_counter() - t0)
    transitions = engine.bus.published
    engine.store.close()
    return rate, baseline, transitions


async def bench_latency(cfg: PlantConfig) -> tuple[list[float], list[float]]:
    os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"] = ACCOUNT_SID, AUTH_TOKEN
    async with TwilioStandIn() as standin:
        baseline = await _provider_round_trips(standin)
        sms = TwilioSettings(from_number="+33700000000", api_base_url=standin.base_url)
        notifiers = cfg.notifiers.model_copy(
            update={"sms": sms, "group_window_s": 0.001, "flood_count": 1_000_000, "daily_test_time": None}
        )
        defs = _definitions(N_NOTIFY)
        cfg = cfg.model_copy(
            update={
                "notifiers": notifiers,
                "alarms": tuple(d.model_copy(update={"priority": 1}) for d in defs),
            }
        )
        bus, clock = Bus(), RealClock()
        latencies = []
        async with AlarmService(cfg, bus, clock) as service:
            task = asyncio.create_task(service.run())
            await asyncio.sleep(0.1)
            for i in range(N_NOTIFY):
                standin.received.clear()
                now = clock.now()
                t0 = time.perf_counter()
                bus.publish(TagValue(f"bench.p{i}", 60.0, Quality.GOOD, now, now))
                await asyncio.wait_for(standin.received.wait(), 10)
                latencies.append((time.perf_counter() - t0) * 1000)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return latencies, baseline


async def _provider_round_trips(standin: TwilioStandIn) -> list[float]:
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
    client.api.base_url = standin.base_url
    out = []
    try:
        for _ in range(N_NOTIFY):
            t0 = time.perf_counter()
            await client.messages.create_async(to="+33600000000", from_="+33700000000", body="x")
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        await client.http_client.close()
    standin.messages.clear()
    return out


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(default_config_path(), data_dir=tmp)
        rate, baseline, published = bench_evaluations(cfg, Path(tmp))
        latencies, provider = asyncio.run(bench_latency(cfg))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores (2-core, shared by ~7)")
    print(f"python {platform.python_version()}")
    print(f"evaluations: {N_VALUES} values over {N_ALARMS} alarms, {published} transitions published")
    print(f"  engine   {rate:12,.0f} evals/s")
    print(f"  baseline {baseline:12,.0f} evals/s (bare condition function)")
    print(f"notification latency over {N_NOTIFY} alarms (point change -> SMS at the Twilio stand-in):")
    print(f"  p50 {statistics.median(latencies):.1f} ms  p95 {_p95(latencies):.1f} ms")
    print(
        f"  baseline provider round trip alone: p50 {statistics.median(provider):.1f} ms "
        f"p95 {_p95(provider):.1f} ms"
    )
    print(
        json.dumps(
            {
                "notify_latency_ms_p50": round(statistics.median(latencies), 2),
                "notify_latency_ms_p95": round(_p95(latencies), 2),
                "alarm_evals_per_s": round(rate),
                "baseline_provider_ms_p50": round(statistics.median(provider), 2),
                "baseline_evals_per_s": round(baseline),
            }
        )
    )


if __name__ == "__main__":
    main()
