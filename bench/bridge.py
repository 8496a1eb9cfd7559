"""Benchmark of the PLC bridge against the simulator's servers on loopback.

The servers are the simulator's own classes (:class:`ModbusPlcServer` with its
``RegisterMap``, :class:`OpcUaPlcServer` with SignAndEncrypt and a user check), run in a
child process (``bench/bridge.py --serve SPEC``) so that this process holds only the bridge.
The child re-encodes every point ``rate_hz`` times a second (values always change).

* ``modbus_registers_per_s`` — a 1 000-point map (int16 ×0.1, uint16, float32 both word
  orders, uint32, int32: 1 666 input registers, 14 requests) through
  :meth:`ModbusLinkSource.poll_once` back to back: read, decode, track, publish, one
  connection; the server changes every value 10×/s (a block that did not change since the
  last poll is not decoded again). Baseline in the same run: ``modbus_raw_registers_per_s``,
  the bare pymodbus reads of the same blocks. Printed too: the decoder alone against
  pymodbus' ``convert_from_registers``, and the CPU ceiling with every value changing at
  every poll (no network).
* ``opcua_notifications_per_s`` — 1 000 monitored Double nodes over Basic256Sha256
  SignAndEncrypt, server changing all of them; data changes processed by the source per second.
* ``latency_ms_p50/p95/p99`` — from the server writing a value (its source timestamp) to the
  ``TagValue`` on the bus (receive time), 20 nodes changing 10×/s, publishing interval 100 ms.
* ``cpu_percent_plant_load`` — CPU of this process (the bridge only) at the plant's real load:
  150 Modbus points polled every 1 s and 50 OPC UA points (500 ms), values changing every
  second; percent of one core.

Run from the repository root: ``.venv/bin/python bench/bridge.py``. The last line is JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymodbus.client import AsyncModbusTcpClient

from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.points import ModbusLink, OpcUaLink, Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, TagValue
from chaufferie.pairing import pair_with_simulator
from chaufferie.plc_bridge.base import SourceCore
from chaufferie.plc_bridge.modbus_source import ModbusLinkSource
from chaufferie.plc_bridge.opcua_source import OpcUaLinkSource
from chaufferie.plc_bridge.planning import plan_reads

USER, PASSWORD = "bench", "bench-password"
KINDS = [("int16", {"scale": 0.1}), ("uint16", {}), ("float32", {}), ("float32", {"word_order": "little"}),
         ("uint32", {"word_order": "little"}), ("int32", {})]  # fmt: skip


def modbus_points(n: int) -> list[Point]:
    points, address = [], 0
    for i in range(n):
        kind, extra = KINDS[i % len(KINDS)]
        source = {"protocol": "modbus", "table": "input_register", "address": address, "type": kind, **extra}
        points.append(Point.model_validate(
            {"name": f"bench.m{i}", "link": "boiler", "label_fr": "m", "label_en": "m", "source": source}
        ))  # fmt: skip
        address += 1 if kind in ("int16", "uint16") else 2
    return points


def opcua_points(n: int) -> list[Point]:
    return [
        Point.model_validate({"name": f"bench.o{i}", "link": "hydraulic", "label_fr": "o", "label_en": "o",
                              "source": {"protocol": "opcua", "node": f"Bench.O{i}"}})
        for i in range(n)
    ]  # fmt: skip


# ---- the server side (child process) ------------------------------------------------------
async def serve(spec: dict[str, Any]) -> None:
    from chaufferie.simulations.modbus_server import ModbusPlcServer, RegisterMap
    from chaufferie.simulations.opcua_server import OpcUaPlcServer

    logging.basicConfig(level=logging.ERROR)
    mb_points = modbus_points(spec["modbus_points"])
    ua_points = opcua_points(spec["opcua_points"])
    servers: list[Any] = []
    if mb_points:
        registers = RegisterMap(mb_points)
        servers.append(ModbusPlcServer("boiler", registers, lambda p, v: True, spec["modbus_port"]))
    if ua_points:
        link = OpcUaLink.model_validate(spec["opcua_link"])
        opc = OpcUaPlcServer(
            "hydraulic", link, ua_points, lambda p, v: True, spec["opcua_port"], Path(spec["pki"])
        )
        servers.append(opc)
    for server in servers:
        await server.start()
    print("ready", flush=True)
    changing = spec.get("changing") or len(ua_points)
    tick = 0
    while True:
        tick += 1
        if mb_points:
            registers.load({p.name: (tick * 7 + i) % 3000 for i, p in enumerate(mb_points)})
        if ua_points:
            values = {p.name: tick + i / 1000 for i, p in enumerate(ua_points[:changing])}
            await _publish(opc, values)
        await asyncio.sleep(1 / spec["rate_hz"])


async def _publish(opc: Any, values: dict[str, float]) -> None:
    """Write only the changing nodes (the simulator's publish() writes every node)."""
    from datetime import UTC, datetime

    from asyncua import ua

    now = datetime.now(UTC)
    for name, value in values.items():
        dv = ua.DataValue(ua.Variant(value, ua.VariantType.Double), SourceTimestamp=now, ServerTimestamp=now)
        await opc._server.write_attribute_value(opc._nodes[name], dv)


class Child:
    """The server process for one phase of the bench."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Child:
        env = {**os.environ, "CHAUFFERIE_OPCUA_USER": USER, "CHAUFFERIE_OPCUA_PASSWORD": PASSWORD}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            json.dumps(self.spec),
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        assert line.strip() == b"ready", line
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()


# ---- the client side (this process) -------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plant(tmp: Path, opcua_port: int, publishing_ms: int) -> tuple[PlantConfig, OpcUaLink]:
    cfg = load_config(default_config_path(), data_dir=str(tmp / "data"))
    link = cfg.links["hydraulic"]
    assert isinstance(link, OpcUaLink)
    link = link.model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{opcua_port}/chaufferie",
                                   "publishing_interval_ms": publishing_ms, "sampling_interval_ms": 0,
                                   "heartbeat_point": None, "username_env": "BENCH_USER",
                                   "password_env": "BENCH_PASSWORD"})  # fmt: skip
    return cfg, link


async def bench_modbus(seconds: float) -> dict[str, float]:
    points = modbus_points(1000)
    port = free_port()
    async with Child({"modbus_points": 1000, "opcua_points": 0, "modbus_port": port, "rate_hz": 10}):
        link = ModbusLink(port=port, timeout_s=2.0)
        bus = Bus()
        bus.subscribe(TagValue, maxsize=100_000, name="historian-like")
        source = ModbusLinkSource("boiler", link, points, bus, RealClock())
        await source._connect()
        per_poll = sum(b.count for b in source.blocks)
        await source.poll_once()
        polls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            await source.poll_once()
            polls += 1
        decoded = polls * per_poll / (time.perf_counter() - start)
        published = bus.published
        client = AsyncModbusTcpClient("127.0.0.1", port=port, retries=0, reconnect_delay=0)
        await client.connect()
        reads, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for block in source.blocks:
                await client.read_input_registers(block.start, count=block.count, device_id=1)
            reads += 1
        raw = reads * per_poll / (time.perf_counter() - start)
        client.close()
        await source.close()
    print(f"modbus: {len(source.blocks)} requests, {per_poll} registers per poll; {polls} polls")
    print(
        f"  end to end {decoded:,.0f} registers/s ({published} TagValues published); bare reads {raw:,.0f}/s"
    )
    return {"modbus_registers_per_s": round(decoded), "modbus_raw_registers_per_s": round(raw)}


def bench_worst_case() -> None:
    """Decode, track and publish with every value changing at every poll (no network): the CPU ceiling."""
    points = modbus_points(1000)
    blocks = plan_reads(points)
    bus = Bus()
    bus.subscribe(TagValue, maxsize=100_000)
    core = SourceCore("boiler", points, bus, RealClock(), heartbeat_point=None, heartbeat_timeout_s=10,
                      backoff_initial_s=1.0)  # fmt: skip
    images = [{b.start: [(b.start + i + k) % 3000 for i in range(b.count)] for b in blocks} for k in (0, 1)]
    polls, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        data = images[polls % 2]
        for b in blocks:
            core.accept_many(b.decode(data[b.start]))
        polls += 1
    rate = polls * sum(b.count for b in blocks) / (time.perf_counter() - start)
    print(
        "worst case, every value changing each poll (decode + track + publish, no network): "
        f"{rate:,.0f} registers/s"
    )


def bench_decoder() -> None:
    """Our struct decoder vs pymodbus' convert_from_registers on the same 1 000 points."""
    points = modbus_points(1000)
    blocks = plan_reads(points)
    data = {b.start: [(b.start + i) % 3000 for i in range(b.count)] for b in blocks}
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        for b in blocks:
            b.decode(data[b.start])
        n += 1
    ours = n * 1000 / (time.perf_counter() - start)
    dt = AsyncModbusTcpClient.DATATYPE
    convert = AsyncModbusTcpClient.convert_from_registers
    specs = []
    for p in points:
        src = p.source
        regs = data[next(b.start for b in blocks if p.name in b.points)]
        offset = src.address - next(b.start for b in blocks if p.name in b.points)  # type: ignore[union-attr]
        kind = getattr(dt, src.type.name)  # type: ignore[union-attr]
        specs.append((regs, offset, src.type.registers, kind, src.word_order.value, src.scale))  # type: ignore[union-attr]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        for regs, offset, count, kind, order, scale in specs:
            convert(regs[offset : offset + count], kind, word_order=order) * scale
        n += 1
    theirs = n * 1000 / (time.perf_counter() - start)
    print(
        f"decoder: struct {ours:,.0f} values/s vs convert_from_registers {theirs:,.0f}/s "
        f"({ours / theirs:.1f}×)"
    )


async def wait_up(sources: list[Any], within: float = 60.0) -> None:
    for _ in range(int(within * 10)):
        if all(s.state is LinkState.UP for s in sources):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("links not up / liaisons non établies")


@contextlib.asynccontextmanager
async def opcua_phase(tmp: Path, n: int) -> AsyncIterator[tuple[OpcUaLinkSource, Bus]]:
    """A child OPC UA server with ``n`` nodes changing 10×/s, and a running source, up."""
    port = free_port()
    cfg, link = plant(tmp / f"ua{n}", port, publishing_ms=100)
    spec = {"modbus_points": 0, "opcua_points": n, "opcua_port": port, "rate_hz": 10,
            "opcua_link": json.loads(link.model_dump_json()), "pki": str(tmp / f"ua{n}-pki")}  # fmt: skip
    async with Child(spec):
        await pair_with_simulator(cfg, tmp / f"ua{n}-pki")
        bus = Bus()
        source = OpcUaLinkSource("hydraulic", link, opcua_points(n), bus, RealClock(), cfg)
        task = asyncio.create_task(source.run())
        try:
            await wait_up([source])
            yield source, bus
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def bench_opcua(tmp: Path, seconds: float) -> dict[str, float]:
    async with opcua_phase(tmp, 1000) as (source, _):
        await asyncio.sleep(1.0)
        before, start, cpu = source.notifications, time.perf_counter(), time.process_time()
        await asyncio.sleep(seconds)
        wall = time.perf_counter() - start
        rate = (source.notifications - before) / wall
        busy = 100 * (time.process_time() - cpu) / wall
    print(f"opcua: 1000 monitored items, server asked for 10 000 changes/s: {rate:,.0f} notifications/s")
    print(f"  bridge process busy {busy:.0f} % of one core (below 100 %: the server child is the limit)")
    return {"opcua_notifications_per_s": round(rate)}


async def bench_latency(tmp: Path, seconds: float) -> dict[str, float]:
    async with opcua_phase(tmp, 20) as (_, bus):
        values = bus.subscribe(TagValue, maxsize=100_000)
        await asyncio.sleep(seconds)
        lat = [
            (m.receive_time - m.source_time).total_seconds() * 1000
            for m in values.drain()
            if isinstance(m, TagValue) and m.good
        ]
    q = statistics.quantiles(lat, n=100)
    print(
        f"latency: {len(lat)} samples, publishing interval 100 ms: "
        f"p50 {q[49]:.1f} p95 {q[94]:.1f} p99 {q[98]:.1f} ms"
    )
    return {
        "latency_ms_p50": round(q[49], 1),
        "latency_ms_p95": round(q[94], 1),
        "latency_ms_p99": round(q[98], 1),
    }


async def bench_plant_load(tmp: Path, seconds: float) -> dict[str, float]:
    mb_port, ua_port = free_port(), free_port()
    cfg, link = plant(tmp / "load", ua_port, publishing_ms=500)
    spec = {"modbus_points": 150, "opcua_points": 50, "modbus_port": mb_port, "opcua_port": ua_port,
            "rate_hz": 1,
            "opcua_link": json.loads(link.model_dump_json()), "pki": str(tmp / "load-pki")}  # fmt: skip
    async with Child(spec):
        await pair_with_simulator(cfg, tmp / "load-pki")
        bus = Bus()
        bus.subscribe(TagValue, maxsize=100_000)
        clock = RealClock()
        sources = [
            ModbusLinkSource("boiler", ModbusLink(port=mb_port, poll_s=1.0), modbus_points(150), bus, clock),
            OpcUaLinkSource("hydraulic", link, opcua_points(50), bus, clock, cfg),
        ]
        tasks = [asyncio.create_task(s.run()) for s in sources]
        await wait_up(sources)
        await asyncio.sleep(1.0)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        percent = 100 * (time.process_time() - cpu) / (time.perf_counter() - wall)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(
        "plant load (150 Modbus points at 1 s + 50 OPC UA at 500 ms, all changing): "
        f"{percent:.2f} % of one core"
    )
    return {"cpu_percent_plant_load": round(percent, 2)}


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    os.environ["BENCH_USER"], os.environ["BENCH_PASSWORD"] = USER, PASSWORD
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores (shared), "
          f"load {os.getloadavg()[0]:.1f}; Python {platform.python_version()}")  # fmt: skip
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bench_decoder()
        bench_worst_case()
        results |= await bench_modbus(4.0)
        results |= await bench_opcua(Path(tmp), 5.0)
        results |= await bench_latency(Path(tmp), 5.0)
        results |= await bench_plant_load(Path(tmp), 15.0)
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(json.loads(sys.argv[2])))
    else:
        asyncio.run(main())
