"""Build the whole system from a configuration: every layer, wired, under one lifespan.

This is the composition root's one place that knows every concrete class. Secrets are read
here from the environment (never from files) and handed to the services that need them; a
missing secret stops the start with a message naming the variable. Every service is given
the one :class:`~chaufferie.config.live.LiveConfig` (the configuration in force), which the
settings store changes and every consumer reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from chaufferie.alarms.ack_links import AckLinks, MissingSecretError, secret_from_env
from chaufferie.alarms.service import AlarmService
from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock, RealClock
from chaufferie.config.live import LiveConfig
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.alarm_store import LEGACY_FILE, DatabaseAlarmStore
from chaufferie.historian.forwarder import Forwarder
from chaufferie.historian.maintenance import MaintenanceService
from chaufferie.historian.maintenance_store import Counters, MaintenanceStore
from chaufferie.historian.meters import MeterLog
from chaufferie.historian.season import recall_season
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.access.alarm_adapter import OperationsAccess, OutboxSms, alarm_recipients
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.access.sms import SmsReplies
from chaufferie.hmi.access.web import build_access_router, security_headers
from chaufferie.hmi.alarm_actions import HmiAlarmActions
from chaufferie.hmi.app import HmiServer
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.interventions import HmiInterventions
from chaufferie.hmi.maintenance import HmiMaintenance
from chaufferie.hmi.meters import HmiMeters
from chaufferie.hmi.season import HmiSeason
from chaufferie.hmi.seed import alarm_transitions
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.settings_store import FileSettingsStore, apply_saved_overrides
from chaufferie.hmi.simulator_control import SimulatorControl
from chaufferie.lifespan import StageName, System
from chaufferie.plc_bridge.service import Bridge, build_sources
from chaufferie.supervisor.service import SupervisorService
from chaufferie.web import add_health_route

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The wired system and its parts (tests and the demo reach into them)."""

    live: LiveConfig
    bus: Bus
    clock: Clock
    system: System
    historian: HistorianWriter
    bridge: Bridge
    supervisor: SupervisorService
    alarms: AlarmService
    access: AccessServices
    app: FastAPI
    hmi: HmiServer | None
    maintenance: MaintenanceService
    forwarder: Forwarder | None = None

    @property
    def cfg(self) -> PlantConfig:
        """The configuration in force."""
        return self.live.current


class _GracefulHmi:
    """The HMI server, stopped by asking uvicorn to finish rather than by cancelling it."""

    def __init__(self, hmi: HmiServer) -> None:
        self.hmi = hmi

    async def __aenter__(self) -> _GracefulHmi:
        await self.hmi.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.hmi.__aexit__(*exc)

    async def run(self) -> None:
        await self.hmi.run()

    def request_stop(self) -> None:
        if self.hmi.server is not None:
            self.hmi.server.should_exit = True


def build_runtime(
    cfg: PlantConfig,
    *,
    bus: Bus | None = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    with_hmi: bool = True,
    host: str | None = None,
    port: int | None = None,
    simulator_control: bool = False,
    link_clock: Clock | None = None,
) -> Runtime:
    """Wire every layer for ``cfg``; raises if a needed secret is missing.

    ``link_clock`` paces the PLC links (polling, timeouts, keep-alives, heartbeats) when it must
    differ from ``clock`` (the demo: plant time sped up, network in wall seconds).
    """
    env = dict(os.environ if environ is None else environ)
    bus = bus or Bus()
    clock = clock or RealClock()
    secret = secret_from_env(cfg.hmi, env)
    cfg.data_path(".").mkdir(parents=True, exist_ok=True)
    cfg, rejected = apply_saved_overrides(cfg, clock.now())  # HMI settings survive a restart
    live = LiveConfig(cfg, bus)

    historian = HistorianWriter(cfg, bus, clock)
    # the links on their own clock; the write guard (plant logic: min interval between writes) on ours
    sources = build_sources(cfg, bus, link_clock) if link_clock is not None else None
    bridge = Bridge(cfg, bus, clock, sources=sources)
    # the heating season's state: the last confirmation recorded, read once the historian is up
    supervisor = SupervisorService(
        live, bus, clock, link_clock, recall=lambda: recall_season(historian.engine, cfg.site.id)
    )
    # the alarms' state in the historian's database; a former alarms.db is read in once
    store = DatabaseAlarmStore(historian.engine, legacy=cfg.data_path(LEGACY_FILE))
    links = AckLinks(cfg.hmi, secret, clock)
    alarms = AlarmService(live, bus, clock, store=store, owns_store=True, link_maker=links)
    ops = OperationsAccess(alarms.operations, alarm_recipients(alarms.operations, alarms.rota))
    access = AccessServices(
        live,
        bus,
        clock,
        AccessStore(historian.engine),
        ops,
        ops,
        commands=bridge,
        sms=OutboxSms(alarms.outbox, alarms.rota),
        environ=env,
    )

    plan = cfg.maintenance  # the preventive maintenance plan, mailed through the alarms' outbox
    counters = Counters(cfg.site.id, plan.run_hours_point, plan.fuel_burnt_point)
    maintenance = MaintenanceService(
        live, bus, clock, MaintenanceStore(historian.engine, counters), alarms.outbox
    )

    system = System(bus, clock)
    system.add("historian", StageName.SINKS, historian)
    system.add("alarms", StageName.PROCESSORS, alarms)
    system.add("supervisor", StageName.PROCESSORS, supervisor)
    system.add("access", StageName.PROCESSORS, access)
    system.add("maintenance", StageName.PROCESSORS, maintenance)
    system.add("plc-bridge", StageName.INPUTS, bridge)
    forwarder = None
    if cfg.forwarding.receivers:  # else the site keeps its history locally (docs/central.md)
        try:
            forwarder = Forwarder.from_environment(cfg, historian.engine, bus, clock, env)
        except ValueError as exc:
            raise MissingSecretError(f"forwarding: {exc}") from exc
        system.add("forwarder", StageName.PROCESSORS, forwarder)

    system.checks["alerting_chain"] = lambda: _alerting_chain(alarms, clock)
    app = FastAPI(title=f"chaufferie — {cfg.site.name}", docs_url=None, redoc_url=None, openapi_url=None)
    security_headers(app)
    add_health_route(app, system.health)
    replies = SmsReplies(access)  # one judge of SMS replies, by Twilio's webhook or the modem
    app.include_router(build_access_router(access, replies))
    if alarms.modem_watch is not None:
        alarms.modem_watch.replies = replies.from_modem
    hmi: HmiServer | None = None
    if with_hmi:
        services = HmiServices(
            source=live,
            bus=bus,
            clock=clock,
            auth=HmiAuthenticator(access),
            alarms=HmiAlarmActions(cfg, alarms.operations, bridge),
            commands=bridge,
            history=HmiHistory(cfg, historian.engine, clock),
            users=HmiUserAdmin(access),
            scenarios=SimulatorControl(cfg, clock) if simulator_control else None,
            interventions=HmiInterventions(access.interventions),
            maintenance=HmiMaintenance(maintenance),
            meters=HmiMeters(MeterLog(cfg, historian.engine, bus, clock)),
            season=HmiSeason(live, bus, clock, lambda: supervisor.core.season),
            initial=lambda: alarm_transitions(alarms.operations.active()),
            settings_store=FileSettingsStore(live, rejected=rejected),
        )
        hmi = HmiServer(services, secret, app, host=host, port=port)
        system.add("hmi", StageName.INTERFACE, _GracefulHmi(hmi))
    parts = (historian, bridge, supervisor, alarms, access, app, hmi, maintenance, forwarder)
    return Runtime(live, bus, clock, system, *parts)


def _alerting_chain(alarms: AlarmService, clock: Clock) -> tuple[bool, dict[str, Any]]:
    """The alarm engine evaluated recently and the outbox is not stuck."""
    silent_s = clock.monotonic() - alarms.engine.last_tick
    pending = len(alarms.outbox.pending())
    ok = silent_s < alarms.cfg.notifiers.watchdog_stall_s
    return ok, {"engine_silent_s": round(silent_s, 1), "outbox_pending": pending}


async def bootstrap_admin(runtime: Runtime, environ: Mapping[str, str] | None = None) -> None:
    """Create the first admin from the environment when the database has none."""
    await asyncio.to_thread(runtime.access.users.bootstrap_admin, environ)
