"""A running access web app on loopback, with users, open alarms and stand-ins at the edge.

The app is a FastAPI app including :func:`build_access_router`, served by uvicorn on a free
127.0.0.1 port in the test's event loop, with a SQLite store in the test's temp folder.
The alarms service is the real one (engine + operations on a SQLite store, fed tag values
directly); at the edges: a recording PLC command sender and a recording SMS sender.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.alarming import Contact, NotifierSettings, TwilioSettings
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    AlarmState,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    OperatorAction,
    Quality,
    Role,
    Scalar,
    TagValue,
)
from chaufferie.historian.access_store import AccessStore, UserRecord
from chaufferie.hmi.access import AccessServices, build_access_router, security_headers
from chaufferie.hmi.access.alarm_adapter import OperationsAccess
from chaufferie.hmi.access.ports import CommandSender
from chaufferie.hmi.access.users import UserService
from tests.conftest import free_port
from tests.support.alarms import TRIGGERS
from tests.support.hmi import PASSWORD
from tests.support.twilio_standin import TwilioStandIn

SECRET = "test-signing-key-0123456789abcdef"
FROM_NUMBER = "+33700000000"
PINS = {"martin": "4826", "bernard": "7391", "agent": "5172", "durand": "6283", "dubois": "9034"}
SETUP = Context(origin="tests", user="tests")


@dataclass
class RecordingCommands:
    """PLC bridge stand-in: confirms every write with its value as read-back."""

    clock: VirtualClock
    commands: list[Command] = field(default_factory=list)

    async def execute(self, command: Command) -> CommandResult:
        self.commands.append(command)
        return CommandResult(
            command.id,
            command.point,
            command.value,
            CommandStatus.CONFIRMED,
            self.clock.now(),
            readback=command.value,
            context=command.context,
        )


class TwilioClientSms:
    """``SmsSender`` through the official twilio client, pointed at the local Twilio stand-in."""

    def __init__(self, standin: TwilioStandIn, from_number: str) -> None:
        self.client = Client(standin.account_sid, standin.auth_token, http_client=AsyncTwilioHttpClient())
        self.client.api.base_url = standin.base_url
        self.from_number = from_number

    async def send_sms(self, to: str, body: str, context: Context) -> None:
        await self.client.messages.create_async(to=to, from_=self.from_number, body=body)

    async def aclose(self) -> None:
        http = self.client.http_client
        if isinstance(http, AsyncTwilioHttpClient):
            await http.close()


@dataclass
class Site:
    base_url: str
    cfg: PlantConfig
    clock: VirtualClock
    bus: Bus
    services: AccessServices
    store: AccessStore
    engine: AlarmEngine
    alarms: OperationsAccess
    commands: CommandSender
    twilio: TwilioStandIn
    audit: Subscription

    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def raise_alarm(self, code: str, recipients: tuple[str, ...] = ()) -> str:
        """Make ``code`` active from its condition's point; the new occurrence's id."""
        point, value = TRIGGERS[code]
        self.tag(point, value)
        occurrence_id = next(o.id for o in self.engine.occurrences.values() if o.code == code and o.active)
        self.recipients[occurrence_id] = recipients
        return occurrence_id

    def tag(self, point: str, value: Scalar) -> None:
        """A good value of ``point``, seen by the alarm engine and on the bus."""
        now = self.clock.now()
        tv = TagValue(point, value, Quality.GOOD, now, now)
        self.engine.on_tag(tv)
        self.bus.publish(tv)

    def state(self, occurrence_id: str) -> AlarmState:
        occ = self.engine.get(occurrence_id)
        assert occ is not None
        return AlarmState(occ.state)

    def acked_by(self, occurrence_id: str) -> str | None:
        occ = self.engine.get(occurrence_id)
        return None if occ is None else occ.acked_by

    def link(self, occurrence_id: str, contact_id: str) -> str:
        return self.services.links(occurrence_id, contact_id)

    def code(self, occurrence_id: str) -> str:
        """The SMS reply code of ``occurrence_id``."""
        return self.services.links.reply_code(occurrence_id)

    def actions(self) -> list[OperatorAction]:
        return [m for m in self.audit.drain() if isinstance(m, OperatorAction)]


def site_config(config: PlantConfig, base_url: str) -> PlantConfig:
    extra = (
        Contact(id="agent-leroy", name="Paul Leroy", phone="+33645678901", role=Role.VIEWER),
        Contact(id="op-durand", name="Marie Durand", phone="+33656789012", role=Role.OPERATOR),
    )
    return config.model_copy(
        update={
            "contacts": (*config.contacts, *extra),
            "hmi": config.hmi.model_copy(update={"public_url": base_url}),
            "notifiers": NotifierSettings(sms=TwilioSettings(from_number=FROM_NUMBER)),
        }
    )


PEOPLE = (
    ("martin", Role.TECHNICIAN, "tech-martin", "Julien Martin"),
    ("bernard", Role.TECHNICIAN, "tech-bernard", "Sophie Bernard"),
    ("dubois", Role.ADMIN, "mgr-dubois", "Claire Dubois"),
    ("agent", Role.VIEWER, "agent-leroy", "Paul Leroy"),
    ("durand", Role.OPERATOR, "op-durand", "Marie Durand"),
)


@functools.cache
def user_records() -> tuple[UserRecord, ...]:
    """The test users, hashed once per session (argon2 is slow on purpose)."""
    records = []
    for username, role, contact, name in PEOPLE:
        store = _MemoryUsers()
        service = UserService(store, VirtualClock())
        pin = PINS[username]
        service.add(username, role, PASSWORD, SETUP, display_name=name, pin=pin, contact_id=contact)
        records.extend(store.users)
    return tuple(records)


class _MemoryUsers:
    def __init__(self) -> None:
        self.users: list[UserRecord] = []

    def add_user(self, user: UserRecord) -> None:
        self.users.append(user)


def add_users(store: AccessStore) -> None:
    for user in user_records():
        store.add_user(user)


@pytest.fixture
async def site(config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(config, clock, bus, tmp_path, RecordingCommands(clock)) as opened:
        yield opened


@asynccontextmanager
async def open_site(
    config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path, commands: CommandSender
) -> AsyncIterator[Site]:
    """The access app on a free port, users added, the real alarm engine, ``commands`` at the PLC edge."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cfg = site_config(config, base_url)
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'access.db'}", create=True)
    add_users(store)
    engine = AlarmEngine(cfg, bus, clock, SqliteAlarmStore(tmp_path / "alarms.db"))
    recipients: dict[str, tuple[str, ...]] = {}
    alarms = OperationsAccess(AlarmOperations(engine), lambda occ: recipients.get(occ, ()))
    async with AsyncExitStack() as stack:
        stack.callback(store.engine.dispose)
        standin = await stack.enter_async_context(TwilioStandIn())
        sms = TwilioClientSms(standin, FROM_NUMBER)
        stack.push_async_callback(sms.aclose)
        env = {cfg.hmi.secret_key_env: SECRET, "TWILIO_AUTH_TOKEN": standin.auth_token}
        services = AccessServices(
            cfg, bus, clock, store, alarms, alarms, commands=commands, sms=sms, environ=env
        )
        app = FastAPI()
        security_headers(app)
        app.include_router(build_access_router(services))
        await stack.enter_async_context(serving(app, port))
        audit = bus.subscribe(OperatorAction, name="tests.audit")
        yield Site(
            base_url, cfg, clock, bus, services, store, engine, alarms, commands, standin, audit, recipients
        )


@asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in this event loop."""
    server = uvicorn.Server(
        # proxy_headers off: forwarded headers are judged by hmi.trusted_proxies, not by uvicorn
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        await wait_started(server)
        yield
    finally:
        server.should_exit = True
        await task


async def wait_started(server: uvicorn.Server) -> None:
    for _ in range(500):
        if server.started:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("uvicorn did not start")


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match is not None, "no CSRF field in the page"
    return match.group(1)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def sign_in_with_pin(client: httpx.AsyncClient, link: str, pin: str) -> httpx.Response:
    """Open the link (GET) then post the PIN; returns the login answer."""
    page = await client.get(path_of(link))
    assert page.status_code == 200, page.text
    return await client.post(f"{path_of(link)}/login", data={"csrf": csrf_of(page.text), "pin": pin})


async def acknowledge(
    client: httpx.AsyncClient, link: str, occurrence_id: str, comment: str = "", reset: bool = False
) -> httpx.Response:
    """GET the link with a signed-in session and post the ack form."""
    page = await client.get(path_of(link))
    data = {"csrf": csrf_of(page.text), "occurrence": occurrence_id, "comment": comment}
    if reset:
        data["reset"] = "1"
    return await client.post(f"{path_of(link)}/ack", data=data)


def at(clock: VirtualClock) -> datetime:
    return clock.now()


async def ack_by_link(
    site: Site, code: str, contact: str, username: str, *, reset: bool = False, comment: str = ""
) -> tuple[str, httpx.Response]:
    """Raise ``code`` for ``contact``, open its link, sign in with ``username``'s PIN, post the ack."""
    occ = site.raise_alarm(code, (contact,))
    link = site.link(occ, contact)
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        login = await sign_in_with_pin(client, link, PINS[username])
        assert login.status_code == 303, login.text
        answer = await acknowledge(client, link, occ, comment=comment, reset=reset)
    return occ, answer
