"""What the HMI's tests sign in as, the plant they look at, and the real access layer.

``USERS`` (one per role, all with ``PASSWORD``) are created in the tests' databases through
the real user service (:func:`access_layer`); ``PLANT_VALUES`` is a plausible running plant
published on the bus as the PLC bridge would.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Context, Quality, Role, Scalar, TagValue
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.database import make_engine, migrate
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.alarm_adapter import OperationsAccess
from chaufferie.hmi.access.users import UserService

ACCESS_SECRET = "hmi-tests-signing-key-0123456789abcdef"

PASSWORD = "correct horse battery"
PLANT_VALUES: dict[str, float | bool | int] = {
    "wood.state": 2,
    "wood.modulation": 72.0,
    "wood.outlet_temp": 81.2,
    "wood.return_temp": 63.5,
    "wood.flue_temp": 142.0,
    "wood.power": 72.0,
    "wood.fuel_burnt": 12345.0,
    "silo.mass": 2300.0,
    "silo.level": 50.0,
    "screw.running": True,
    "screw.current": 2.4,
    "screw.jammed": False,
    "screw.test_running": False,
    "buffer.temp_top": 76.1,
    "buffer.temp_middle": 70.3,
    "buffer.temp_bottom": 64.8,
    "wood.setpoint": 76.0,
    "pump1.running": True,
    "pump2.running": False,
    "pump1.fault": False,
    "pump2.fault": False,
    "pumps.duty": 1,
    "network.pressure": 2.05,
    "network.supply_temp": 75.4,
    "network.return_temp": 60.1,
    "network.flow": 3.6,
    "network.low_pressure": False,
    "meter.power": 68.5,
    "meter.energy": 123456.0,
    "oil.burner_on": False,
    "oil.fault": False,
    "oil.outlet_temp": 35.0,
    "wood.enable": True,
    "wood.stb_tripped": False,
    "screw.test_failed": False,
    "ash.bin_full": False,
    "silo.low_level": False,
}
"""A plausible running plant: wood at 72 %, buffer at setpoint, duty pump 1, every alarm's
plant input (:data:`tests.support.alarms.TRIGGERS`) in good order."""

USERS = {"viewer": Role.VIEWER, "operator": Role.OPERATOR, "tech": Role.TECHNICIAN, "admin": Role.ADMIN}


def access_layer(
    config: PlantConfig,
    bus: Bus,
    clock: Clock,
    folder: Path,
    alarms: AlarmOperations | None = None,
    users: dict[str, Role] | None = None,
) -> AccessServices:
    """The real access layer (sessions, lockout, users, interventions) on a migrated SQLite
    database in ``folder``, with ``users`` (default :data:`USERS`) signed up with ``PASSWORD``;
    the alarms are ``alarms`` or a real engine of their own in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder / 'access.db'}")
    migrate(engine)
    if alarms is None:
        alarms = AlarmOperations(AlarmEngine(config, bus, clock, SqliteAlarmStore(folder / "alarms.db")))
    ops = OperationsAccess(alarms)
    env = {config.hmi.secret_key_env: ACCESS_SECRET}
    access = AccessServices(config, bus, clock, AccessStore(engine), ops, ops, environ=env)
    sign_up(access.store, access.users, USERS if users is None else users)
    return access


def sign_up(store: AccessStore, service: UserService, users: Mapping[str, Role] = USERS) -> None:
    """Create, through the real user service, those of ``users`` ``store`` does not hold yet
    (a server restarted on its data folder keeps its own), each with ``PASSWORD``."""
    for name, role in users.items():
        if store.get_user(name) is None:
            service.add(
                name, role, PASSWORD, Context(origin="tests", user="tests"), display_name=name.title()
            )


def publish_values(
    bus: Bus, clock: Clock, values: Mapping[str, Scalar], quality: Quality = Quality.GOOD
) -> None:
    """``values`` on the bus as the PLC bridge publishes them (not Good: stale)."""
    now = clock.now()
    for point, value in values.items():
        bus.publish(TagValue(point, value, quality, now, now, stale=quality is not Quality.GOOD))
