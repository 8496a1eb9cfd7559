"""A real HMI server on 127.0.0.1 with fake lower layers, for browser tests and the bench.

Run as ``python -m tests.hmi.browser_server --port N --data DIR``. It serves the real pages
(``HmiServer``: uvicorn + NiceGUI ``run_with``) on a FastAPI app with two test-only routes
that stand in for the plant: ``POST /_test/values`` publishes tag values on the bus and
``POST /_test/alarm`` raises an alarm, each answering with the server's time of publication
(for latency measurements). With ``--plant`` the simulator's plant model runs in real time
and its values are published on change as the PLC bridge would (the bench's load). It
starts with a plausible plant (wood running, one P3 alarm, a week of events) so that
screenshots show a realistic screen.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.vocabulary import (
    LinkEvent,
    LinkState,
    OilRole,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Quality,
    TagValue,
)
from chaufferie.hmi.access.web import security_headers
from chaufferie.hmi.app import HmiServer
from chaufferie.hmi.services import HmiServices
from tests.hmi.fakes import (
    PLANT_VALUES,
    FakeAlarms,
    FakeAuth,
    FakeCommands,
    FakeHistory,
    FakeInterventions,
    FakeScenarios,
    FakeUsers,
    sample_records,
)

PLANT = {**PLANT_VALUES, "outdoor.temp": 3.5}


def build(data_dir: str) -> tuple[HmiServices, FakeAlarms]:
    cfg = load_config(default_config_path(), data_dir=data_dir)
    bus, clock = Bus(), RealClock()
    alarms = FakeAlarms(bus, clock)
    services = HmiServices(
        source=cfg,
        bus=bus,
        clock=clock,
        auth=FakeAuth(),
        alarms=alarms,
        commands=FakeCommands(bus, clock),
        history=FakeHistory(clock, sample_records(clock.now())),
        users=FakeUsers(),
        scenarios=FakeScenarios(),
        interventions=FakeInterventions(),
    )
    now = clock.now()
    for point, value in PLANT.items():
        bus.publish(TagValue(point, value, Quality.GOOD, now, now))
    for link in cfg.links:
        bus.publish(LinkEvent(link, LinkState.UP, LinkState.CONNECTING, "connected", now))
    story = [
        PlantEvent(
            PlantEventKind.OIL_STARTED, now - timedelta(hours=30), "wood_fault", oil_role=OilRole.REPLACEMENT
        ),
        PlantEvent(PlantEventKind.OIL_STOPPED, now - timedelta(hours=27), "wood_back"),
        PlantEvent(PlantEventKind.PUMP_DUTY_SWAPPED, now - timedelta(hours=20), "weekly"),
        PlantEvent(
            PlantEventKind.MODE_CHANGED,
            now - timedelta(hours=27),
            mode=PlantMode.WOOD,
            previous_mode=PlantMode.OIL_REPLACEMENT,
        ),
    ]
    bus.publish_many(story)
    alarms.raise_alarm("CEN-PLN", 3)
    return services, alarms


def test_routes(app: FastAPI, services: HmiServices, alarms: FakeAlarms, held: set[str]) -> None:
    @app.post("/_test/values")
    async def values(body: dict[str, Any]) -> dict[str, float]:
        now = services.clock.now()
        quality = Quality(body.get("quality", "good"))
        held.update(body["values"])
        for point, value in body["values"].items():
            services.bus.publish(TagValue(point, value, quality, now, now, stale=quality is not Quality.GOOD))
        return {"published": time.time()}

    @app.post("/_test/alarm")
    async def alarm(body: dict[str, Any]) -> dict[str, Any]:
        occ = alarms.raise_alarm(body["code"], int(body["priority"]), occurrence=body.get("occurrence", ""))
        return {"published": time.time(), "occurrence": occ}


async def run_plant(services: HmiServices, held: set[str], period_s: float = 0.5) -> None:
    """The simulator's plant model in real time, published like the bridge does (on change,
    deadband per point), skipping the points a test holds."""
    from chaufferie.simulations.plant import Plant

    plant, cfg = Plant(services.config), services.config
    deadband = {p.name: p.deadband for p in cfg.points}
    last: dict[str, float | int | bool] = {}
    while True:
        await asyncio.sleep(period_s)
        plant.step(period_s)
        now = services.clock.now()
        for point, value in plant.snapshot().items():
            old = last.get(point)
            if point in held or (old is not None and abs(float(value) - float(old)) <= deadband[point]):
                continue
            last[point] = value
            services.bus.publish(TagValue(point, value, Quality.GOOD, now, now))


async def serve(port: int, data_dir: str, plant: bool) -> None:
    services, alarms = build(data_dir)
    app, held = FastAPI(), set[str]()
    security_headers(app)  # as the composition root does: the HMI's headers and its CSP
    test_routes(app, services, alarms, held)
    async with HmiServer(services, "browser-test-secret", app, host="127.0.0.1", port=port) as server:
        if not plant:
            await server.run()
            return
        async with asyncio.TaskGroup() as group:
            group.create_task(run_plant(services, held))
            group.create_task(server.run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--plant", action="store_true", help="run the simulator's plant model in real time")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.data, args.plant))


if __name__ == "__main__":
    main()
