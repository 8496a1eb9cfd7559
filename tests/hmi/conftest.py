"""HMI fixtures: the pages' services, and NiceGUI's simulated ``User`` on our pages.

Every service is the real one, on the test's bus, virtual clock and a copy of a migrated
SQLite database: the alarms (engine and operations, :mod:`tests.support.alarms`), sign-in,
users, the intervention desk and the history (a month of the plant, :mod:`tests.hmi.past`).
A test that writes to the PLC or drives the simulator asks for :func:`plc`: the simulator's
servers on loopback, the real PLC bridge on them and the simulator's control.

NiceGUI's own pytest plugin loads a ``main.py``; we use its building blocks instead
(``nicegui_reset_globals``, ``prepare_simulation``, ``User``) so that the pages are those
:func:`chaufferie.hmi.app.build_ui` registers for the test's services, and so the plugin
does not have to be registered for the whole suite.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import app, core, ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.storage import Storage
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from nicegui.testing.user import User
from sqlalchemy import Engine

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.database import make_engine, migrate
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.alarm_adapter import OperationsAccess
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.access.users import UserService
from chaufferie.hmi.alarm_actions import HmiAlarmActions
from chaufferie.hmi.app import build_ui
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.interventions import HmiInterventions
from chaufferie.hmi.seed import alarm_transitions
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.simulator_control import SimulatorControl
from chaufferie.plc_bridge.service import Bridge
from chaufferie.simulations.server import SimulatorServers
from tests.hmi.past import record_past
from tests.support.alarms import PlantAlarms
from tests.support.browser import chromium
from tests.support.hmi import ACCESS_SECRET, PASSWORD, PLANT_VALUES, publish_values, sign_up
from tests.support.plc import bridged, opcua_credentials, simulator

NOW = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _nicegui_storage() -> None:
    """NiceGUI's file storage in a temporary folder (as its own plugin does)."""
    Storage.path = Path(tempfile.mkdtemp(prefix="hmi-test-storage-")).resolve()
    app.storage = Storage()


@pytest.fixture
def hmi_clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def plant_alarms(
    config: PlantConfig, bus: Bus, hmi_clock: VirtualClock, tmp_path: Path
) -> Iterator[PlantAlarms]:
    """The real alarm engine on the test's bus and clock (its state in a temporary file)."""
    store = SqliteAlarmStore(tmp_path / "alarms.db")
    yield PlantAlarms(AlarmEngine(config, bus, hmi_clock, store), bus, hmi_clock)
    store.close()


def _on(config: PlantConfig, path: Path) -> PlantConfig:
    """``config`` with its database at ``path`` (SQLite)."""
    return config.model_copy(
        update={"storage": config.storage.model_copy(update={"url": f"sqlite:///{path}"})}
    )


@pytest.fixture(scope="session")
def plant_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database, as the system keeps it: the test users (argon2 hashes) and a month of
    history. Made once per session; each test works on a copy."""
    folder = tmp_path_factory.mktemp("hmi-plant")
    path = folder / "template.db"
    config = _on(load_config(default_config_path(), data_dir=str(folder / "data")), path)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    bus, clock = Bus(), VirtualClock(NOW)
    store = AccessStore(engine)
    sign_up(store, UserService(store, clock, Audit(bus, clock), lambda: frozenset()))
    engine.dispose()
    asyncio.run(record_past(config, clock))
    return path


@pytest.fixture
def plant_db(plant_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the template database."""
    path = tmp_path / "plant.db"
    shutil.copyfile(plant_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def access(
    config: PlantConfig,
    bus: Bus,
    hmi_clock: VirtualClock,
    plant_alarms: PlantAlarms,
    plant_db: Engine,
) -> AccessServices:
    """The real access layer (sessions, lockout, users, interventions) on the test's database."""
    ops = OperationsAccess(plant_alarms.operations)
    env = {config.hmi.secret_key_env: ACCESS_SECRET}
    return AccessServices(config, bus, hmi_clock, AccessStore(plant_db), ops, ops, environ=env)


@pytest.fixture
def services(
    config: PlantConfig,
    bus: Bus,
    hmi_clock: VirtualClock,
    plant_alarms: PlantAlarms,
    access: AccessServices,
    plant_db: Engine,
) -> HmiServices:
    """The pages' services; no PLC and no simulator unless the test asks for :func:`plc`."""
    history = HmiHistory(config, plant_db, hmi_clock)
    ops = plant_alarms.operations
    s = HmiServices(
        source=config,
        bus=bus,
        clock=hmi_clock,
        auth=HmiAuthenticator(access),
        alarms=HmiAlarmActions(config, ops, None),
        history=history,
        users=HmiUserAdmin(access),
        interventions=HmiInterventions(access.interventions),
        initial=lambda: alarm_transitions(ops.active()),
    )
    publish_values(bus, hmi_clock, PLANT_VALUES)
    return s


@dataclass
class Plc:
    """The simulator's servers and the bridge the pages write through."""

    sim: SimulatorServers
    bridge: Bridge


@pytest.fixture
async def plc(
    request: pytest.FixtureRequest,
    config: PlantConfig,
    bus: Bus,
    hmi_clock: VirtualClock,
    services: HmiServices,
    plant_alarms: PlantAlarms,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Plc]:
    """The plant behind the pages: the simulator's PLCs on loopback (stepped by hand, or at the
    speed given as an indirect parameter), the real PLC bridge on them as ``services.commands``
    (and behind the alarm page's remote reset), the simulator's control as
    ``services.scenarios``."""
    opcua_credentials(monkeypatch)
    speed: float | None = getattr(request, "param", None)
    async with simulator(config, tmp_path, speed) as sim, bridged(sim.cfg, bus, hmi_clock) as bridge:
        services.commands = bridge
        services.alarms = HmiAlarmActions(config, plant_alarms.operations, bridge)
        services.scenarios = SimulatorControl(sim.cfg)
        yield Plc(sim, bridge)


@asynccontextmanager
async def simulated(services: HmiServices) -> AsyncIterator[User]:
    """A simulated browser user on the pages built for ``services``."""
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            build_ui(services)
            ui.run(storage_secret="test secret", show_welcome_message=False)
            async with services.live, core.app.router.lifespan_context(core.app):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(core.app), base_url="http://test"
                ) as client:
                    yield User(client)
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate = Navigate()
            ui.notify = notify
            ui.download = download


@pytest.fixture
def hmi_user(services: HmiServices) -> Callable[[], AbstractAsyncContextManager[User]]:
    return lambda: simulated(services)


async def login(
    user: User, username: str, password: str = PASSWORD, path: str = "/", retries: int = 50
) -> None:
    """Log in and land on ``path``; ``retries`` × 0.1 s for the page to appear (the password is
    checked by the real authenticator: an argon2 hash in a worker thread)."""
    await user.open(f"/login?next={path}")
    user.find(marker="username").type(username)
    user.find(marker="password").type(password)
    user.find(marker="login-submit").click()
    await user.should_see(marker="mode", retries=retries)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per browser-test module."""
    yield from chromium("browser tests of the HMI")
