"""Paths the composition root wires, exercised through ``build_runtime`` and ``chaufferie run``.

Each helper the root calls has its own tests; these check the wiring itself: the same
instances handed to the right services, the routes mounted, the stages entered. The system
runs on a virtual clock (Monday 12 January 2026, 03:00 in Paris: Martin on call), with the
Twilio stand-in as SMS provider and the PLC links pointing at free ports where nothing
answers. The HMI's NiceGUI server is left out of the in-process runtime (NiceGUI keeps
process-wide state; the browser tests and the newcomer test serve it in a child process);
its services are wired and exercised here.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from chaufferie.commands import run as run_command
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmState,
    AlarmTransition,
    Channel,
    CommandResult,
    Context,
    NotificationRecord,
    NotificationStatus,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Role,
)
from chaufferie.historian import schema
from chaufferie.historian.readings import counter_at
from chaufferie.hmi.records import EventQuery, RecordKind
from chaufferie.lifespan import StageName
from chaufferie.wiring import Runtime, build_runtime
from tests.access.conftest import (
    FROM_NUMBER,
    PINS,
    SECRET,
    acknowledge,
    add_users,
    serving,
    sign_in_with_pin,
    site_config,
)
from tests.alarms.helpers import publish_tag, settle
from tests.conftest import free_port
from tests.support.plc import eventually
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]  # the fixture (credentials in the environment)

MARTIN = "+33612345678"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/a/\S+)")
OPCUA = {"CHAUFFERIE_OPCUA_USER": "chaufferie", "CHAUFFERIE_OPCUA_PASSWORD": "runtime-test-password"}
HMI = Context(origin="hmi", user="martin", channel=Channel.HMI, address="127.0.0.1")


@dataclass
class Running:
    runtime: Runtime
    clock: VirtualClock
    base_url: str
    twilio: TwilioStandIn

    async def settle(self) -> None:
        await settle(self.runtime.alarms, self.clock)

    def occurrence(self, code: str) -> str:
        return next(o.id for o in self.runtime.alarms.engine.occurrences.values() if o.code == code)


def runtime_config(config: PlantConfig, base_url: str, twilio: TwilioStandIn) -> PlantConfig:
    """The shipped plant with the access tests' people, SMS through the stand-in, PLCs absent."""
    cfg = site_config(config, base_url)
    sms = TwilioSettings(from_number=FROM_NUMBER, api_base_url=twilio.base_url)
    boiler = cfg.links["boiler"].model_copy(update={"port": free_port()})
    hydraulic = cfg.links["hydraulic"].model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{free_port()}/x"})
    return cfg.model_copy(
        update={
            "notifiers": cfg.notifiers.model_copy(update={"sms": sms}),
            "links": {**cfg.links, "boiler": boiler, "hydraulic": hydraulic},
        }
    )


def environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in {**OPCUA, "CHAUFFERIE_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


@asynccontextmanager
async def run_system(
    config: PlantConfig,
    clock: VirtualClock,
    twilio: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
    storage: dict[str, Any] | None = None,
    people: bool = True,
) -> AsyncIterator[Running]:
    """``build_runtime`` on the access tests' site, its stages entered and its routes served."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cfg = runtime_config(config, base_url, twilio)
    if storage:
        cfg = cfg.model_copy(update={"storage": cfg.storage.model_copy(update=storage)})
    runtime = build_runtime(cfg, bus=Bus(), clock=clock, environ=environment(monkeypatch), port=port)
    for entry in runtime.system.entries:  # the HMI's live model without its NiceGUI server (see above)
        if entry.name == "hmi" and runtime.hmi is not None:
            entry.service = runtime.hmi.services.live
    async with runtime.system, serving(runtime.app, port):
        if people:  # not when the database already has them (a restored backup)
            add_users(runtime.access.store)  # the historian made the tables when it started
        yield Running(runtime, clock, base_url, twilio)


@pytest.fixture
async def running(
    config: PlantConfig, clock: VirtualClock, twilio_standin: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    async with run_system(config, clock, twilio_standin, monkeypatch) as system:
        yield system


async def test_every_service_starts_in_stages_and_healthz_reports_them(running: Running) -> None:
    stages = {e.name: e.stage for e in running.runtime.system.entries}
    assert stages == {
        "historian": StageName.SINKS,  # first in, last out: nothing published is missed
        "alarms": StageName.PROCESSORS,
        "supervisor": StageName.PROCESSORS,
        "access": StageName.PROCESSORS,
        "maintenance": StageName.PROCESSORS,
        "plc-bridge": StageName.INPUTS,  # first to stop
        "hmi": StageName.INTERFACE,
    }
    async with httpx.AsyncClient(base_url=running.base_url) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # the app-wide security headers
    report = answer.json()
    assert report["services"] == {name: {"state": "running", "error": ""} for name in stages}
    assert report["checks"]["alerting_chain"]["ok"] is True
    assert report["time"] == running.clock.now().isoformat()
    await running.clock.advance(running.runtime.cfg.notifiers.watchdog_stall_s + 60)
    assert running.runtime.system.health()["checks"]["alerting_chain"]["ok"] is True  # the engine ticks


async def test_the_link_in_the_alarms_sms_acknowledges_through_the_access_routes(running: Running) -> None:
    runtime = running.runtime
    audit = runtime.bus.subscribe(OperatorAction, name="test.audit")
    publish_tag(runtime.bus, running.clock, "wood.state", 6)  # CHB-DEF, P1
    await running.settle()
    [sms] = running.twilio.bodies_to(MARTIN)
    link = LINK.search(sms)
    assert link is not None, sms
    occ = running.occurrence("CHB-DEF")
    async with httpx.AsyncClient(base_url=running.base_url) as client:
        assert (await sign_in_with_pin(client, link.group(1), PINS["martin"])).status_code == 303
        done = await acknowledge(client, link.group(1), occ)
    assert done.status_code == 200
    occurrence = runtime.alarms.engine.get(occ)
    assert occurrence is not None
    assert (occurrence.state, occurrence.acked_by) == (AlarmState.ACKED, "martin")
    acks = [a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is ActionKind.ACKNOWLEDGE]
    assert [(a.context.user, a.context.channel) for a in acks] == [("martin", Channel.LINK)]
    assert runtime.hmi is not None
    assert runtime.hmi.services.interventions is not None  # the HMI logbook reads the access desk
    arrival = await runtime.hmi.services.interventions.arrive(occ, HMI)
    assert arrival.ok, arrival.message


async def test_an_sms_reply_acknowledges_and_the_confirmation_leaves_through_the_alarms_outbox(
    running: Running,
) -> None:
    publish_tag(running.runtime.bus, running.clock, "oil.fault", True)  # FIO-DEF
    await running.settle()
    occ = running.occurrence("FIO-DEF")
    sent = re.search(r"OK (\d+)", running.twilio.bodies_to(MARTIN)[-1])  # the code the SMS carried
    assert sent is not None
    url = f"{running.base_url}/sms/inbound"
    params = {"MessageSid": "SM-root-1", "From": MARTIN, "To": FROM_NUMBER, "Body": f"OK {sent.group(1)}"}
    signature = RequestValidator(running.twilio.auth_token).compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200
    await running.settle()
    occurrence = running.runtime.alarms.engine.get(occ)
    assert occurrence is not None
    assert occurrence.acked_by == "martin"
    assert running.twilio.bodies_to(MARTIN)[-1] == "Alarme FIO-DEF acquittee par Julien Martin."
    sent = [i for i in running.runtime.alarms.outbox.store.outbox() if i.address == MARTIN]
    assert len(sent) == 2  # the alarm and the confirmation, both through the alarms' outbox


async def test_the_hmi_services_reach_the_running_alarms_and_history(running: Running) -> None:
    runtime = running.runtime
    assert runtime.hmi is not None
    services = runtime.hmi.services
    publish_tag(runtime.bus, running.clock, "wood.state", 6)  # CHB-DEF
    await running.settle()
    occ = running.occurrence("CHB-DEF")
    assert services.initial is not None
    seeded = [t for t in services.initial() if isinstance(t, AlarmTransition)]
    assert [t.occurrence_id for t in seeded if t.code == "CHB-DEF"] == [occ]
    assert services.alarms is not None
    outcome = await services.alarms.acknowledge(occ, HMI, "vu")
    assert outcome.ok, outcome.message
    occurrence = runtime.alarms.engine.get(occ)
    assert occurrence is not None
    assert (occurrence.state, occurrence.acked_by) == (AlarmState.ACKED, "martin")
    commands = runtime.bus.subscribe(CommandResult, name="test.commands")
    reset = await services.alarms.reset(occ, HMI)
    assert not reset.ok  # through the bridge, which cannot reach the PLC, and says so
    assert [m.point for m in commands.drain() if isinstance(m, CommandResult)] == [
        runtime.cfg.io.wood_fault_reset
    ]
    await runtime.historian.flush()
    assert services.history is not None
    now = running.clock.now()
    records = await services.history.events(EventQuery(now - timedelta(hours=1), now + timedelta(minutes=1)))
    alarm_lines = [
        (r.detail, r.user, r.channel) for r in records if r.kind is RecordKind.ALARM and r.code == "CHB-DEF"
    ]
    assert ("acked", "martin", "hmi") in alarm_lines  # the HMI's ack, through the alarms, into the history
    assert services.users is not None
    assert "martin" in [u.username for u in await services.users.users()]


async def test_the_agents_manual_meter_reading_through_the_running_hmi_is_stored_and_audited(
    running: Running,
) -> None:
    runtime = running.runtime
    assert runtime.hmi is not None
    meters = runtime.hmi.services.meters
    assert meters is not None
    outcome = await meters.reading("oil.litres", "", 1234.0, HMI, "fr")
    assert outcome.ok, outcome.message
    lower = await meters.reading("oil.litres", "", 1000.0, HMI, "fr")
    assert not lower.ok
    assert "1234,0" in lower.message
    await runtime.historian.flush()
    a = schema.operator_actions
    with runtime.historian.engine.connect() as conn:
        assert counter_at(conn, runtime.cfg.site.id, "oil.litres", running.clock.now()) == 1234.0
        audited = conn.execute(
            select(a.c.result, a.c.user).where(a.c.kind == "manual_reading").order_by(a.c.seq)
        ).all()
    assert [tuple(row) for row in audited] == [("ok", "martin"), ("refused", "martin")]


async def test_the_plants_call_opens_the_intervention_and_a_call_never_acknowledged_runs_late(
    running: Running,
) -> None:
    """The tender: a call-out starts at the plant's own call, not at the acknowledgement."""
    runtime = running.runtime
    publish_tag(runtime.bus, running.clock, "wood.state", 6)  # CHB-DEF, P1, Monday 03:00 in Paris
    await running.settle()
    occ = running.occurrence("CHB-DEF")
    called = running.clock.now()
    store = runtime.access.store
    await eventually(lambda: store.intervention(occ) is not None)  # nobody has acknowledged
    record = store.intervention(occ)
    assert record is not None
    assert (record.origin, record.opened_at, record.contact_id) == ("call", called, "tech-martin")
    assert record.deadline == datetime(2026, 1, 12, 16, 30, tzinfo=UTC)  # 8 working hours: Monday 17:30
    assert record.acknowledged_at is None
    await running.clock.advance(30 * 3600)  # Tuesday 10:00 in Paris, still nobody
    assert runtime.hmi is not None
    assert runtime.hmi.services.interventions is not None
    arrival = await runtime.hmi.services.interventions.arrive(occ, HMI)
    assert arrival.ok, arrival.message
    late = store.intervention(occ)
    assert late is not None
    assert (late.late_days, late.penalty_eur) == (1, runtime.cfg.working_hours.penalty_eur_per_day)
    assert runtime.hmi.services.alarms is not None
    assert (await runtime.hmi.services.alarms.acknowledge(occ, HMI, "sur place")).ok
    await eventually(lambda: store.intervention(occ).acknowledged_at is not None)  # type: ignore[union-attr]
    acked = store.intervention(occ)
    assert acked is not None
    assert (acked.acknowledged_by, acked.ack_channel, acked.opened_at) == ("martin", "hmi", called)


async def test_the_agents_phone_calls_through_the_running_hmi_open_or_join_interventions_audited(
    running: Running,
) -> None:
    """A call never acknowledged keeps costing; the agent's calls join it or open their own."""
    runtime = running.runtime
    audit = runtime.bus.subscribe(OperatorAction, name="test.audit")
    publish_tag(runtime.bus, running.clock, "wood.state", 6)  # CHB-DEF, P1: the plant calls Martin
    await running.settle()
    occ = running.occurrence("CHB-DEF")
    store = runtime.access.store
    await eventually(lambda: store.intervention(occ) is not None)
    called = store.intervention(occ)
    assert called is not None
    assert (called.acknowledged_at, called.arrival) == (None, None)
    thursday = running.clock.now() + timedelta(days=3)  # 03:00 in Paris, nobody acknowledged, nobody came
    late = await runtime.access.interventions.assess(called, as_of=thursday)
    assert (late.late_days, late.penalty_eur) == (3, 3 * runtime.cfg.working_hours.penalty_eur_per_day)
    assert runtime.hmi is not None
    desk = runtime.hmi.services.interventions
    assert desk is not None
    agent = Context(origin="hmi", user="durand", channel=Channel.HMI, address="127.0.0.1")
    joined = await desk.record_call(
        agent, caller="Marie Durand", callee="Julien Martin", reason="Toujours en panne", occurrence_id=occ
    )
    alone = await desk.record_call(agent, caller="Mairie", callee="Sophie Bernard", reason="Fuite au local")
    assert joined.ok, joined.message
    assert alone.ok, alone.message
    records = {r.occurrence_id: r for r in store.list_interventions()}
    assert (records[occ].origin, records[occ].opened_at) == ("call", called.opened_at)
    [own] = [r for r in records.values() if r.occurrence_id.startswith("call-")]
    assert (own.origin, own.code, own.opened_at, own.contact_id) == (
        "phone",
        None,
        running.clock.now(),
        "tech-bernard",
    )
    calls = [a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is ActionKind.PHONE_CALL]
    assert [(a.target, a.context.user, a.details["opened"]) for a in calls] == [
        (occ, "durand", False),
        (own.occurrence_id, "durand", True),
    ]


async def test_the_agents_season_confirmation_reaches_the_supervisor_is_audited_and_survives_a_restart(
    config: PlantConfig, clock: VirtualClock, twilio_standin: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HMI's season service → the bus → the running supervisor (summer mode, its audit
    record in the history); a second runtime on the same data resumes summer mode."""
    async with run_system(config, clock, twilio_standin, monkeypatch) as running:
        runtime = running.runtime
        assert runtime.hmi is not None
        season = runtime.hmi.services.season
        assert season is not None
        assert season.notice() is None  # 12 January: in season
        events = runtime.bus.subscribe(PlantEvent, name="test.season")
        outcome = await season.confirm(True, HMI, Role.OPERATOR)
        assert outcome.ok
        supervisor = runtime.supervisor.core
        await eventually(lambda: supervisor.season.summer)
        await running.clock.advance(2)
        assert supervisor.mode is PlantMode.SUMMER
        assert season.state().by == "martin"
        changed = [
            e for e in events.drain() if isinstance(e, PlantEvent) and e.kind is PlantEventKind.SEASON_CHANGED
        ]
        assert [(e.values["summer"], e.context.user) for e in changed] == [(True, "martin")]
        await runtime.historian.flush()
        now = running.clock.now()
        query = EventQuery(
            now - timedelta(hours=1), now + timedelta(minutes=1), frozenset({RecordKind.ACTION})
        )
        records = await runtime.hmi.services.history.events(query)  # type: ignore[union-attr]
        assert [(r.user, r.channel) for r in records if "season_change" in r.detail] == [("martin", "hmi")]
    async with run_system(config, clock, twilio_standin, monkeypatch, people=False) as again:
        restarted = again.runtime.supervisor.core
        assert restarted.season.summer
        assert restarted.season.by == "martin"
        await again.clock.advance(2)
        assert restarted.mode is PlantMode.SUMMER


async def test_a_full_spool_in_the_running_system_raises_his_per_once(
    config: PlantConfig, clock: VirtualClock, twilio_standin: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses writes and the spool holds 10 kB: the historian loses records, and
    the alarms hear it from the bus (issue 15, regression b: the old callback was never wired)."""
    async with run_system(config, clock, twilio_standin, monkeypatch, {"spool_max_mb": 0.01}) as running:
        runtime = running.runtime
        transitions = runtime.bus.subscribe(AlarmTransition, name="test.his-per")
        database = runtime.cfg.storage_url.removeprefix("sqlite:///")
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # writes wait for the busy timeout, then fail
        try:
            for i in range(400):  # records no service but the historian consumes
                runtime.bus.publish(
                    NotificationRecord(
                        f"fill-{i}", "sms", MARTIN, NotificationStatus.SENT, clock.now(), body="x" * 40
                    )
                )
            await runtime.historian.flush()
            assert runtime.historian.health.lost > 0
            await runtime.historian.flush()  # a second overflow in the same episode
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await running.settle()
        raised = [t for t in transitions.drain() if isinstance(t, AlarmTransition) and t.code == "HIS-PER"]
        assert raised, "HIS-PER not raised"
        assert len({t.occurrence_id for t in raised}) == 1  # once for the episode
        assert raised[0].state is AlarmState.UNACKED
        assert "enregistrements perdus" in raised[0].message
        await runtime.historian.flush()  # the database is back: the spool replays, the episode ends
        await running.settle()
        later = [t for t in transitions.drain() if isinstance(t, AlarmTransition) and t.code == "HIS-PER"]
        assert [t.state for t in later] == [AlarmState.RTN_UNACKED]  # waits for an acknowledgement
        assert runtime.historian.spool.empty


async def test_chaufferie_run_bootstraps_the_first_admin_then_stops_cleanly_on_sigterm(
    config: PlantConfig,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("CHAUFFERIE_ADMIN_USER", "premier")
    monkeypatch.setenv("CHAUFFERIE_ADMIN_PASSWORD", "Premier-admin-2026")
    env = environment(monkeypatch)
    built: list[Runtime] = []

    def build() -> Runtime:
        built.append(build_runtime(config, bus=Bus(), clock=clock, environ=env, with_hmi=False))
        return built[-1]

    caplog.set_level(logging.INFO, logger="chaufferie")
    code = await run_command.serve(build, on_started=lambda _: os.kill(os.getpid(), signal.SIGTERM))
    assert code == 0
    [runtime] = built
    admin = runtime.access.store.get_user("premier")
    assert admin is not None
    assert admin.role == "admin"
    assert "system stopped" in caplog.text


def test_chaufferie_run_without_its_signing_key_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CHAUFFERIE_SECRET_KEY", raising=False)
    args = argparse.Namespace(config=None, data_dir=str(tmp_path / "data"), host=None, port=None, no_hmi=True)
    assert run_command.run(args) == 2
    assert "CHAUFFERIE_SECRET_KEY" in capsys.readouterr().err
