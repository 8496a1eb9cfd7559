"""The real HMI on the real services, on 127.0.0.1, for browser tests and the bench.

Run as ``python -m tests.hmi.browser_server --port N --data DIR``. The pages (``HmiServer``:
uvicorn + NiceGUI) run on the services the composition root wires, in one process on the
real clock: the historian writing into the SQLite database of ``DIR`` (where a month of the
plant is written first: :mod:`tests.hmi.past`), the alarm service (engine and outbox, its
state in that database), the access layer (the test users of :mod:`tests.support.hmi`),
the history queries and the intervention desk. What stands in is the plant only, in place of
the PLC bridge: two test routes publish what the bridge would, ``POST /_test/values`` (tag
values) and ``POST /_test/alarm`` (the plant input that raises a given alarm,
:data:`tests.support.alarms.TRIGGERS`), each answering with the server's time of publication
(for latency measurements); ``POST /_test/clear`` puts that input back to normal and
acknowledges the alarm as a technician would, so the bench can raise it again. With
``--plant`` the simulator's plant model runs in real time and its values are published on
change as the bridge would (the bench's load).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from chaufferie.alarms.service import AlarmService
from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Channel, Context, LinkEvent, LinkState, Quality, Scalar, TagValue
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.alarm_store import DatabaseAlarmStore
from chaufferie.historian.database import migrate
from chaufferie.historian.maintenance import MaintenanceService
from chaufferie.historian.maintenance_store import Counters, MaintenanceStore
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.alarm_adapter import OperationsAccess, alarm_recipients
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.access.web import security_headers
from chaufferie.hmi.alarm_actions import HmiAlarmActions
from chaufferie.hmi.app import HmiServer
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.interventions import HmiInterventions
from chaufferie.hmi.maintenance import HmiMaintenance
from chaufferie.hmi.seed import alarm_transitions
from chaufferie.hmi.services import HmiServices
from chaufferie.lifespan import StageName, System
from tests.hmi.past import record_past
from tests.support.alarms import TRIGGERS
from tests.support.hmi import ACCESS_SECRET, PLANT_VALUES, publish_values, sign_up

PLANT = {**PLANT_VALUES, "outdoor.temp": 3.5}
TECH = Context(origin="hmi", user="tech", channel=Channel.HMI, address="127.0.0.1")


@dataclass
class Site:
    """The services of one test server and the points the plant model must leave alone."""

    services: HmiServices
    alarms: AlarmService
    system: System
    held: set[str] = field(default_factory=set)

    def publish(self, values: dict[str, Scalar], quality: Quality = Quality.GOOD) -> float:
        """Publish ``values`` as the PLC bridge would; the wall time of publication."""
        self.held.update(values)
        publish_values(self.services.bus, self.services.clock, values, quality)
        return time.time()


def maintenance_store(cfg: PlantConfig, historian: HistorianWriter) -> MaintenanceStore:
    plan = cfg.maintenance
    return MaintenanceStore(
        historian.engine, Counters(cfg.site.id, plan.run_hours_point, plan.fuel_burnt_point)
    )


def build(data_dir: str) -> Site:
    cfg = load_config(default_config_path(), data_dir=data_dir)
    bus, clock = Bus(), RealClock()
    historian = HistorianWriter(cfg, bus, clock)
    migrate(historian.engine)
    alarms = AlarmService(cfg, bus, clock, store=DatabaseAlarmStore(historian.engine), owns_store=True)
    ops = OperationsAccess(alarms.operations, alarm_recipients(alarms.operations, alarms.rota))
    env = {cfg.hmi.secret_key_env: ACCESS_SECRET}
    access = AccessServices(cfg, bus, clock, AccessStore(historian.engine), ops, ops, environ=env)
    sign_up(access.store, access.users)
    services = HmiServices(
        source=cfg,
        bus=bus,
        clock=clock,
        auth=HmiAuthenticator(access),
        alarms=HmiAlarmActions(cfg, alarms.operations, None),
        history=HmiHistory(cfg, historian.engine, clock),
        users=HmiUserAdmin(access),
        interventions=HmiInterventions(access.interventions),
        maintenance=HmiMaintenance(MaintenanceService(cfg, bus, clock, maintenance_store(cfg, historian))),
        initial=lambda: alarm_transitions(alarms.operations.active()),
    )
    system = System(bus, clock)
    system.add("historian", StageName.SINKS, historian)
    system.add("alarms", StageName.PROCESSORS, alarms)
    system.add("access", StageName.PROCESSORS, access)
    return Site(services, alarms, system)


def test_routes(app: FastAPI, site: Site) -> None:
    @app.post("/_test/values")
    async def values(body: dict[str, Any]) -> dict[str, float]:
        return {"published": site.publish(body["values"], Quality(body.get("quality", "good")))}

    @app.post("/_test/alarm")
    async def alarm(body: dict[str, Any]) -> dict[str, float]:
        point, value = TRIGGERS[body["code"]]
        return {"published": site.publish({point: value})}

    @app.post("/_test/clear")
    async def clear(body: dict[str, Any]) -> dict[str, float]:
        point, _ = TRIGGERS[body["code"]]
        published = site.publish({point: PLANT[point]})
        ops = site.alarms.operations
        for _ in range(100):  # the alarm service takes the value from the bus
            opened = [o for o in ops.active() if o.code == body["code"] and o.active]
            if not opened:
                break
            await asyncio.sleep(0.02)
        waiting = [o for o in ops.active() if o.code == body["code"] and not o.acked]
        for occurrence in waiting:
            await ops.acknowledge(occurrence.occurrence_id, TECH)
        return {"published": published, "acknowledged": len(waiting)}


async def run_plant(site: Site, period_s: float = 0.5) -> None:
    """The simulator's plant model in real time, published like the bridge does (on change,
    deadband per point), skipping the points a test holds."""
    from chaufferie.simulations.plant import Plant

    cfg = site.services.config
    plant = Plant(cfg)
    deadband = {p.name: p.deadband for p in cfg.points}
    last: dict[str, float | int | bool] = {}
    while True:
        await asyncio.sleep(period_s)
        plant.step(period_s)
        now = site.services.clock.now()
        for point, value in plant.snapshot().items():
            old = last.get(point)
            if point in site.held or (old is not None and abs(float(value) - float(old)) <= deadband[point]):
                continue
            last[point] = value
            site.services.bus.publish(TagValue(point, value, Quality.GOOD, now, now))


async def serve(port: int, data_dir: str, plant: bool) -> None:
    await record_past(load_config(default_config_path(), data_dir=data_dir), RealClock())
    site = build(data_dir)
    app = FastAPI()
    security_headers(app)  # as the composition root does: the HMI's headers and its CSP
    test_routes(app, site)
    async with site.system:
        services = site.services
        now = services.clock.now()
        for link in services.config.links:
            services.bus.publish(LinkEvent(link, LinkState.UP, LinkState.CONNECTING, "connected", now))
        site.publish(PLANT)
        site.held.clear()
        async with HmiServer(services, "browser-test-secret", app, host="127.0.0.1", port=port) as server:
            if not plant:
                await server.run()
                return
            async with asyncio.TaskGroup() as group:
                group.create_task(run_plant(site))
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
