"""The real HMI over the real access layer, on 127.0.0.1, for browser tests of sessions and addresses.

Run as ``python -m tests.access.hmi_server --port N --data DIR [--trusted-proxy ADDR]``. It
serves the real pages (``HmiServer``: uvicorn + NiceGUI) with the real authenticator
(:class:`HmiAuthenticator` over :class:`AccessServices`, users in the SQLite database of
``DIR``, the one ``chaufferie user --data-dir DIR`` changes), the real alarm engine, and the
real PLC bridge on the simulator's PLCs (in this process, on free loopback ports). Test
routes: ``GET /_test/commands`` (what the bridge answered: every command that reached it)
and ``GET /_test/actions`` (the audit trail published since start).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.vocabulary import CommandResult, OperatorAction, Quality, Role, TagValue
from chaufferie.historian import database
from chaufferie.historian.access_store import AccessStore
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.alarm_adapter import OperationsAccess
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.app import HmiServer
from chaufferie.hmi.services import HmiServices
from tests.access.conftest import SECRET
from tests.support.hmi import PLANT_VALUES, sign_up
from tests.support.plc import OPCUA_CREDENTIALS, bridged, simulator

USERS = {"tech": Role.TECHNICIAN, "admin": Role.ADMIN, "other": Role.TECHNICIAN}


def build(data_dir: str, trusted: tuple[str, ...]) -> tuple[HmiServices, AccessStore]:
    cfg = load_config(default_config_path(), data_dir=data_dir)
    cfg = cfg.model_copy(update={"hmi": cfg.hmi.model_copy(update={"trusted_proxies": trusted})})
    bus, clock = Bus(), RealClock()
    engine = database.make_engine(cfg.storage_url, cfg.storage.password_env)
    database.migrate(engine)
    store = AccessStore(engine)
    alarms = OperationsAccess(
        AlarmOperations(AlarmEngine(cfg, bus, clock, SqliteAlarmStore(cfg.data_path("a.db"))))
    )
    access = AccessServices(cfg, bus, clock, store, alarms, alarms, environ={cfg.hmi.secret_key_env: SECRET})
    sign_up(store, access.users, USERS)
    services = HmiServices(
        source=cfg,
        bus=bus,
        clock=clock,
        auth=HmiAuthenticator(access),
        users=HmiUserAdmin(access),
    )
    now = clock.now()
    bus.publish_many(
        [TagValue(point, value, Quality.GOOD, now, now) for point, value in PLANT_VALUES.items()]
    )
    return services, store


def test_routes(app: FastAPI, services: HmiServices) -> None:
    audit = services.bus.subscribe(OperatorAction, maxsize=10_000, name="tests.audit")
    answers = services.bus.subscribe(CommandResult, maxsize=10_000, name="tests.commands")
    seen: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    @app.get("/_test/commands")
    async def commands() -> list[dict[str, Any]]:
        for r in answers.drain():
            if isinstance(r, CommandResult):
                user = r.context.user if r.context is not None else None
                sent.append({"point": r.point, "value": r.value, "status": r.status.value, "user": user})
        return sent

    @app.get("/_test/actions")
    async def actions() -> list[dict[str, Any]]:
        for a in audit.drain():
            if isinstance(a, OperatorAction):
                seen.append(
                    {
                        "kind": a.kind.value,
                        "result": a.result.value,
                        "user": a.context.user,
                        "address": a.context.address,
                        "target": a.target,
                        "details": {k: str(v) for k, v in a.details.items()},
                    }
                )
        return seen


async def serve(port: int, data_dir: str, trusted: tuple[str, ...]) -> None:
    os.environ.update(OPCUA_CREDENTIALS)
    services, _ = build(data_dir, trusted)
    app = FastAPI()
    test_routes(app, services)
    async with (
        simulator(services.config, Path(data_dir), speed=1.0) as sim,
        bridged(sim.cfg, services.bus, services.clock) as bridge,
    ):
        services.commands = bridge
        async with HmiServer(services, SECRET, app, host="127.0.0.1", port=port) as server:
            await server.run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--trusted-proxy", action="append", default=[])
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.data, tuple(args.trusted_proxy)))


if __name__ == "__main__":
    main()
