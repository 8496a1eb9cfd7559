"""The system starts services in stages, isolates a failing one and stops inputs first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.vocabulary import Quality, TagValue
from chaufferie.lifespan import ServiceState, StageName, System


class Recorder:
    """A service that records its life in a shared journal."""

    def __init__(self, name: str, journal: list[str], fail: bool = False) -> None:
        self.name = name
        self.journal = journal
        self.fail = fail

    async def __aenter__(self) -> Any:
        self.journal.append(f"enter {self.name}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.journal.append(f"exit {self.name}")

    async def run(self) -> None:
        self.journal.append(f"run {self.name}")
        if self.fail:
            raise RuntimeError("boom")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.journal.append(f"cancelled {self.name}")
            raise


class Consumer(Recorder):
    """A sink that consumes tag values slowly: stop must wait for it to drain."""

    def __init__(self, name: str, journal: list[str], bus: Bus) -> None:
        super().__init__(name, journal)
        self.sub = bus.subscribe(TagValue, name=name)
        self.seen = 0

    async def run(self) -> None:
        async for _ in self.sub:
            await asyncio.sleep(0)
            self.seen += 1


async def test_stages_start_sinks_first_and_stop_inputs_first() -> None:
    journal: list[str] = []
    system = System(Bus(), VirtualClock())
    system.add("bridge", StageName.INPUTS, Recorder("bridge", journal))
    system.add("historian", StageName.SINKS, Recorder("historian", journal))
    system.add("supervisor", StageName.PROCESSORS, Recorder("supervisor", journal))
    async with system:
        await asyncio.sleep(0)
        assert journal[:3] == ["enter historian", "enter supervisor", "enter bridge"]
    assert journal.index("cancelled bridge") < journal.index("cancelled supervisor")
    assert journal.index("cancelled supervisor") < journal.index("cancelled historian")
    assert journal[-3:] == ["exit bridge", "exit supervisor", "exit historian"]


async def test_failing_service_is_isolated_and_reported() -> None:
    journal: list[str] = []
    system = System(Bus(), VirtualClock())
    system.add("hmi", StageName.INTERFACE, Recorder("hmi", journal, fail=True))
    system.add("alarms", StageName.PROCESSORS, Recorder("alarms", journal))
    async with system:
        for _ in range(5):
            await asyncio.sleep(0)
        health = system.health()
        assert health["status"] == "degraded"
        assert health["services"]["hmi"]["state"] == ServiceState.FAILED
        assert "boom" in health["services"]["hmi"]["error"]
        assert health["services"]["alarms"]["state"] == ServiceState.RUNNING


async def test_stop_drains_the_bus_before_stopping_sinks() -> None:
    bus = Bus()
    journal: list[str] = []
    system = System(bus, VirtualClock())
    sink = Consumer("historian", journal, bus)
    system.add("historian", StageName.SINKS, sink)
    async with system:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(500):
            bus.publish(TagValue("p.x", float(i), Quality.GOOD, now, now))
    assert sink.seen == 500


async def test_failing_check_degrades_health() -> None:
    system = System(Bus(), VirtualClock())
    state = {"ok": True}
    system.checks["alerting_chain"] = lambda: (state["ok"], {"engine_silent_s": 0.0})
    async with system:
        assert system.health()["status"] == "ok"
        state["ok"] = False
        report = system.health()
        assert report["status"] == "degraded"
        assert report["checks"]["alerting_chain"]["ok"] is False
