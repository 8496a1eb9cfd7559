"""Secrets are required at start; behind a trusted proxy the client address and HTTPS are honoured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from chaufferie.alarms.ack_links import MissingSecretError
from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.operations import AlarmOperations
from chaufferie.alarms.store import SqliteAlarmStore
from chaufferie.config.alarming import NotifierSettings, TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, OperatorAction, Quality, TagValue
from chaufferie.historian.access_store import AccessStore
from chaufferie.hmi.access import AccessServices, build_access_router, security_headers
from chaufferie.hmi.access.alarm_adapter import OperationsAccess
from tests.access.conftest import SECRET, serving
from tests.conftest import free_port


def services(
    cfg: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path, env: dict[str, str]
) -> AccessServices:
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'a.db'}", create=True)
    engine = AlarmEngine(cfg, bus, clock, SqliteAlarmStore(tmp_path / "al.db"))
    alarms = OperationsAccess(AlarmOperations(engine))
    return AccessServices(cfg, bus, clock, store, alarms, alarms, environ=env)


def test_missing_or_short_signing_key_refuses_to_start(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    with pytest.raises(MissingSecretError, match="CHAUFFERIE_SECRET_KEY"):
        services(config, bus, clock, tmp_path, {})
    with pytest.raises(MissingSecretError):
        services(config, bus, clock, tmp_path, {"CHAUFFERIE_SECRET_KEY": "short"})


def test_sms_configured_without_twilio_token_refuses_to_start(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    sms = TwilioSettings(from_number="+33700000000")
    cfg = config.model_copy(update={"notifiers": NotifierSettings(sms=sms)})
    with pytest.raises(MissingSecretError, match="TWILIO_AUTH_TOKEN") as refused:
        services(cfg, bus, clock, tmp_path, {"CHAUFFERIE_SECRET_KEY": SECRET})
    assert SECRET not in str(refused.value)


async def test_behind_a_trusted_proxy_the_forwarded_address_and_https_count(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    port = free_port()
    hmi = config.hmi.model_copy(update={"trusted_proxies": ("127.0.0.1",)})
    cfg = config.model_copy(update={"hmi": hmi})
    access = services(cfg, bus, clock, tmp_path, {"CHAUFFERIE_SECRET_KEY": SECRET})
    engine = AlarmEngine(cfg, bus, clock, SqliteAlarmStore(tmp_path / "al2.db"))
    access.lookup = OperationsAccess(AlarmOperations(engine))
    now = clock.now()
    engine.on_tag(TagValue("oil.fault", True, Quality.GOOD, now, now))
    occ = next(iter(engine.occurrences))
    app = FastAPI()
    security_headers(app)
    app.include_router(build_access_router(access))
    audit = bus.subscribe(OperatorAction)
    headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"}
    async with serving(app, port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        refused = await client.get("/a/not-a-token", headers=headers)
        page = await client.get(f"/a/{access.links.token(occ, 'tech-martin')}", headers=headers)
    assert refused.status_code == 400
    assert "secure" in page.headers["set-cookie"].lower()
    actions = [a for a in audit.drain() if isinstance(a, OperatorAction)]
    assert [(a.kind, a.context.address) for a in actions] == [(ActionKind.LINK_REFUSED, "203.0.113.9")]


async def test_without_a_trusted_proxy_forwarded_headers_are_ignored(
    config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    port = free_port()
    access = services(config, bus, clock, tmp_path, {"CHAUFFERIE_SECRET_KEY": SECRET})
    app = FastAPI()
    app.include_router(build_access_router(access))
    audit = bus.subscribe(OperatorAction)
    async with serving(app, port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await client.get("/a/not-a-token", headers={"X-Forwarded-For": "203.0.113.9"})
    [action] = [a for a in audit.drain() if isinstance(a, OperatorAction)]
    assert action.context.address == "127.0.0.1"
