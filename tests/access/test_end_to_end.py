"""The production path: the alarms service sends its SMS with our signed link through the
Twilio stand-in; the technician opens that link and acknowledges, or replies ``OK <code>``
and the confirmation goes back through the alarms' outbox. The historian records it all,
and neither its tables nor its exports hold the reply code (a credential)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from chaufferie.alarms.ack_links import AckLinks
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, AlarmState, Channel, OperatorAction
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.exchange import export_batch
from chaufferie.historian.history import history
from chaufferie.historian.history_export import history_csv
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.access import AccessServices, build_access_router, security_headers
from chaufferie.hmi.access.alarm_adapter import OperationsAccess, OutboxSms
from chaufferie.hmi.access.services import link_maker
from tests.access.conftest import (
    PINS,
    SECRET,
    acknowledge,
    add_users,
    serving,
    sign_in_with_pin,
    site_config,
)
from tests.alarms.helpers import publish_tag, running, settle
from tests.conftest import free_port
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]  # the fixture (credentials in the environment)

MARTIN = "+33612345678"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/a/\S+)")


@dataclass
class Plant:
    base_url: str
    cfg: PlantConfig
    clock: VirtualClock
    bus: Bus
    alarms: AlarmService
    twilio: TwilioStandIn
    links: AckLinks


@pytest.fixture
async def plant(
    config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path, twilio_standin: TwilioStandIn
) -> AsyncIterator[Plant]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cfg = site_config(config, base_url)
    sms = TwilioSettings(from_number="+33700000000", api_base_url=twilio_standin.base_url)
    cfg = cfg.model_copy(update={"notifiers": cfg.notifiers.model_copy(update={"sms": sms})})
    env = {cfg.hmi.secret_key_env: SECRET, "TWILIO_AUTH_TOKEN": twilio_standin.auth_token}
    links = link_maker(cfg, clock, env)
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'access.db'}", create=True)
    add_users(store)
    service = AlarmService(cfg, bus, clock, store=SqliteAlarmStore(tmp_path / "alarms.db"), link_maker=links)
    async with running(service):
        alarms = OperationsAccess(service.operations)
        access = AccessServices(
            cfg,
            bus,
            clock,
            store,
            alarms,
            alarms,
            sms=OutboxSms(service.outbox, service.rota),
            links=links,
            environ=env,
        )
        app = FastAPI()
        security_headers(app)
        app.include_router(build_access_router(access))
        async with serving(app, port):
            yield Plant(base_url, cfg, clock, bus, service, twilio_standin, links)
    store.engine.dispose()


def occurrence_of(plant: Plant, code: str) -> str:
    return next(o.id for o in plant.alarms.engine.occurrences.values() if o.code == code)


async def test_sms_link_from_the_alarms_service_acknowledges(plant: Plant) -> None:
    audit = plant.bus.subscribe(OperatorAction, name="e2e.audit")
    publish_tag(plant.bus, plant.clock, "wood.state", 6)  # CHB-DEF, P1, 03:00 Monday: Martin on call
    await settle(plant.alarms, plant.clock)
    [sms] = plant.twilio.bodies_to(MARTIN)
    match = LINK.search(sms)
    assert match is not None, sms
    async with httpx.AsyncClient(base_url=plant.base_url) as client:
        assert (await sign_in_with_pin(client, match.group(1), PINS["martin"])).status_code == 303
        occ = occurrence_of(plant, "CHB-DEF")
        done = await acknowledge(client, match.group(1), occ)
    assert done.status_code == 200
    occurrence = plant.alarms.engine.get(occ)
    assert occurrence is not None
    assert (occurrence.state, occurrence.acked_by) == (AlarmState.ACKED, "martin")
    acks = [a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is ActionKind.ACKNOWLEDGE]
    assert [(a.context.user, a.context.channel) for a in acks] == [("martin", Channel.LINK)]


async def reply(plant: Plant, body: str, sid: str) -> httpx.Response:
    url = f"{plant.base_url}/sms/inbound"
    params = {"MessageSid": sid, "From": MARTIN, "To": "+33700000000", "Body": body}
    signature = RequestValidator(plant.twilio.auth_token).compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=params, headers={"X-Twilio-Signature": signature})


async def test_sms_reply_acknowledges_and_the_confirmation_goes_through_the_outbox(plant: Plant) -> None:
    publish_tag(plant.bus, plant.clock, "oil.fault", True)  # FIO-DEF
    await settle(plant.alarms, plant.clock)
    occ = occurrence_of(plant, "FIO-DEF")
    [alarm_sms] = plant.twilio.bodies_to(MARTIN)
    code = re.search(r"OK (\d{6})", alarm_sms)
    assert code is not None, alarm_sms
    assert code.group(1) == plant.links.reply_code(occ)
    answer = await reply(plant, f"OK {code.group(1)}", "SM-e2e-1")
    assert answer.status_code == 200
    await settle(plant.alarms, plant.clock)
    occurrence = plant.alarms.engine.get(occ)
    assert occurrence is not None
    assert occurrence.acked_by == "martin"
    assert plant.twilio.bodies_to(MARTIN)[-1] == "Alarme FIO-DEF acquittee par Julien Martin."


def sqlite_dump(url: str) -> str:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return "\n".join(db.iterdump())


async def test_the_reply_code_reaches_the_phone_but_no_table_nor_export_of_the_historian(
    plant: Plant, tmp_path: Path
) -> None:
    async with HistorianWriter(plant.cfg, plant.bus, plant.clock) as writer:
        publish_tag(plant.bus, plant.clock, "oil.fault", True)  # FIO-DEF
        await settle(plant.alarms, plant.clock)
        [alarm_sms] = plant.twilio.bodies_to(MARTIN)
        code = plant.links.reply_code(occurrence_of(plant, "FIO-DEF"))
        assert f"OK {code}" in alarm_sms
        await reply(plant, f"OK {int(code) ^ 1:06d}", "SM-e2e-2")  # a wrong code first, answered once
        await reply(plant, f"OK {code}", "SM-e2e-3")
        await settle(plant.alarms, plant.clock)
        await writer.flush()
        engine = writer.engine
        csv = history_csv(history(engine), ZoneInfo(plant.cfg.site.timezone)).decode("utf-8-sig")
        xml = export_batch(engine, plant.cfg).decode()
    assert len(plant.twilio.bodies_to(MARTIN)) == 3  # alarm, "unknown code", "acknowledged"
    dump = sqlite_dump(plant.cfg.storage_url) + sqlite_dump(f"sqlite:///{tmp_path / 'access.db'}")
    assert "OK ******" in dump  # the alarm SMS is recorded, without its code
    assert "acquittee par Julien Martin" in dump
    alone = re.compile(rf"(?<![\w.]){code}(?!\w)")  # not inside an id or a decimal
    for place, content in (("database", dump), ("history CSV", csv), ("XML export", xml)):
        assert alone.search(content) is None, place
