"""Benchmark of the M-Bus decode path against the library's raw parse, in the same run.

The frames are the simulator's own (simulations/meters.py): the six meters of the Joucas
test plant (wood circuit, three buildings — 7 records each —, electricity 2, make-up water 1:
31 records), after a simulated cold day.

* ``mbus_records_per_s`` — our decode path: :func:`chaufferie.plc_bridge.mbus_source.decode`
  (pyMeterBus' ``load``, then each record's value and unit) and
  :func:`~chaufferie.plc_bridge.mbus_source.readings` (the points' values: record, unit check,
  scale), records per second, back to back on one core.
* ``mbus_raw_records_per_s`` — the baseline: ``meterbus.load(frame)`` and each record's
  ``value`` and ``unit``, nothing else, on the same frames.
* ``mbus_poll_records_per_s`` — a whole poll over loopback TCP (pyserial ``socket://`` to the
  simulator's gateway, request, answer, decode, publish on the bus), records per second; an
  M-Bus line at 2 400 Bd carries about 10 such records per second, so this is the headroom.

Each figure is the median of 5 rounds, ours and the baseline interleaved. Run from the repository root:
``.venv/bin/python bench/mbus.py``. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.points import MbusLink, MbusSource, Point
from chaufferie.plc_bridge.mbus_source import MbusLinkSource, decode, meterbus, readings
from chaufferie.simulations.meters import MbusGatewayServer
from chaufferie.simulations.plant import Plant
from tests.conftest import free_port
from tests.support.mbus import with_meters

ROUNDS = 5


def rate(work: Callable[[], int], seconds: float = 0.5) -> float:
    """Records per second of ``work`` (which returns the records it handled) for ``seconds``."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    return done / elapsed


def median_rates(*works: Callable[[], int]) -> list[float]:
    """The median rate of each of ``works``, their rounds interleaved (the machine is shared:
    a busy spell then weighs on each alike)."""
    rounds = [[rate(w) for w in works] for _ in range(ROUNDS)]
    return [statistics.median(r[i] for r in rounds) for i in range(len(works))]


def main() -> None:
    cfg = with_meters(load_config(default_config_path()), free_port())
    plant = Plant(cfg)
    plant.step(24 * 3600)
    points: dict[int, list[Point]] = {}
    for p in cfg.points_of("meters"):
        assert isinstance(p.source, MbusSource)
        assert p.source.primary is not None
        points.setdefault(p.source.primary, []).append(p)
    frames = [(plant.meters.by_primary(a).frame(a), pts) for a, pts in points.items()]  # type: ignore[union-attr]
    records = sum(len(decode(f).records) for f, _ in frames)

    def ours() -> int:
        for frame, pts in frames:
            readings(pts, decode(frame).records)
        return records

    def raw() -> int:
        for frame, _ in frames:
            for r in meterbus.load(frame).records:
                _ = (r.value, r.unit)
        return records

    ours_rate, raw_rate = median_rates(ours, raw)
    poll_rate = asyncio.run(poll(cfg, plant))
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "records_per_poll": records,
        "mbus_records_per_s": round(ours_rate),
        "mbus_raw_records_per_s": round(raw_rate),
        "ratio_ours_to_raw": round(ours_rate / raw_rate, 3),
        "mbus_poll_records_per_s": round(poll_rate),
    }
    print(f"decode: ours {ours_rate:,.0f} records/s, raw pyMeterBus {raw_rate:,.0f} records/s")
    print(f"whole polls over loopback TCP: {poll_rate:,.0f} records/s")
    print(json.dumps(result))


async def poll(cfg, plant: Plant) -> float:  # type: ignore[no-untyped-def]
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    server = MbusGatewayServer("meters", plant.meters, link.port)
    await server.start()
    source = MbusLinkSource("meters", link, cfg.points_of("meters"), Bus(), VirtualClock())
    try:
        await source._open()
        records = len(cfg.points_of("meters"))
        rates = []
        for _ in range(ROUNDS):
            start, polls = time.perf_counter(), 0
            while time.perf_counter() - start < 0.5:
                await source.poll_once()
                polls += 1
            rates.append(polls * records / (time.perf_counter() - start))
        return statistics.median(rates)
    finally:
        await source.close()
        await server.stop()


if __name__ == "__main__":
    main()
