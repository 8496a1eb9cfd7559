"""History and report pages through the real historian adapter on a real SQLite history.

The page builds the query from its filters and the logged-in user's role; the adapter
(:class:`chaufferie.hmi.history.HmiHistory`) lists and exports. Checked: the XML export
honours the filters and names them in its header (a batch feed whose extensions validate
against our profile, ``exchange.xsd``);
a viewer's listing and exports hold no security audit (failed logins, user changes) and no
personal data (addresses, notification recipients); an administrator's do. The report page
shows "données incomplètes" for a month without readings, and so does its CSV.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from nicegui.testing.user import User
from sqlalchemy import Engine

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    Context,
    NotificationRecord,
    NotificationStatus,
    OilRole,
    OperatorAction,
)
from chaufferie.historian.access_store import AccessStore, InterventionRecord
from chaufferie.historian.database import make_engine
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.services import HmiServices
from tests.historian.exchange_schemas import assert_profile_elements_valid, profile
from tests.historian.support import ack, alarm, oil_start, winter_readings
from tests.hmi.conftest import NOW, login, simulated

NS = {
    "c": "urn:chaufferie:exchange:1",
    "atom": "http://www.w3.org/2005/Atom",
    "espi": "http://naesb.org/espi",
}
BATCH = "atom:entry/atom:content/espi:UsagePoint/espi:extension/c:Batch"
PATIENCE = 100
"""Retries of 0.1 s for a page: these pages query a real database in a worker thread."""
INTRUDER = "192.0.2.77"
PHONE = "+33611223344"


def _security_audit() -> list[OperatorAction]:
    failed = Context(origin="hmi", user="mallory", channel=Channel.HMI, address=INTRUDER)
    admin = Context(origin="hmi", user="admin", channel=Channel.HMI, address="10.0.0.2")
    return [
        OperatorAction(
            ActionKind.LOGIN_FAILED, NOW - timedelta(hours=5), failed, "mallory", ActionResult.REFUSED
        ),
        OperatorAction(
            ActionKind.USER_CHANGED, NOW - timedelta(hours=4), admin, "bob", details={"role": "admin"}
        ),
    ]


def _on_sqlite(config: PlantConfig, folder: Path) -> PlantConfig:
    storage = config.storage.model_copy(update={"url": f"sqlite:///{folder / 'history.db'}"})
    return config.model_copy(update={"storage": storage})


@pytest.fixture
async def real_history(config: PlantConfig, bus: Bus, hmi_clock: VirtualClock, tmp_path: Path) -> HmiHistory:
    """A SQLite history with plant events, alarms, an acknowledgement, an SMS and security audit."""
    cfg = _on_sqlite(config, tmp_path)
    async with HistorianWriter(cfg, bus, hmi_clock) as writer:
        writer.accept(oil_start(NOW - timedelta(hours=9), OilRole.REPLACEMENT))
        writer.accept(alarm(NOW - timedelta(hours=8), "CHB-DEF", 1, "Défaut chaudière bois"))
        writer.accept(alarm(NOW - timedelta(hours=7), "SIL-BAS", 2, "Silo bas"))
        writer.accept(
            replace(
                ack(NOW - timedelta(hours=6), "tech"), context=Context("hmi", "tech", Channel.HMI, "10.0.0.9")
            )
        )
        sms = NotificationRecord(
            "k1",
            "sms",
            PHONE,
            NotificationStatus.SENT,
            NOW - timedelta(hours=8),
            "occ",
            "CHB-DEF",
            "Défaut chaudière bois",
        )
        writer.accept(sms)
        for action in _security_audit():
            writer.accept(action)
        await writer.flush()
    return HmiHistory(cfg, make_engine(cfg.storage_url))


@pytest.fixture
def real_user(
    services: HmiServices, real_history: HmiHistory
) -> Callable[[], AbstractAsyncContextManager[User]]:
    services.history = real_history
    return lambda: simulated(services)


async def _download(user: User, marker: str) -> bytes:
    user.find(marker=marker).click()
    response = await user.download.next()
    return bytes(response.content)


def _records(document: etree._Element) -> list[dict[str, str]]:
    """Each Record as {table, seq, field name: text}."""
    out = []
    for record in document.iterfind("c:Record", NS):
        fields = {f.get("name"): f.text or "" for f in record.iterfind("c:Field", NS)}
        out.append({"table": record.get("table", ""), **fields})
    return out


def _valid(data: bytes) -> etree._Element:
    """The document, valid by our profile (exchange.xsd); of a batch feed, its Batch header."""
    document = etree.fromstring(data)
    batch = document.find(BATCH, NS)
    if batch is None:
        profile().assertValid(document)
        return document
    assert_profile_elements_valid(document)
    return batch


async def test_xml_export_holds_only_the_filtered_records_and_names_the_filters(real_user) -> None:
    async with real_user() as user:
        await login(user, "admin", path="/history", retries=PATIENCE)
        user.find(marker="hist-kinds").elements.pop().set_value(["alarm"])
        user.find(marker="hist-priority").elements.pop().set_value(1)
        document = _valid(await _download(user, "hist-xml"))
        records = _records(document)
        assert [(r["table"], r["code"], r["priority"]) for r in records] == [
            ("alarm_transitions", "CHB-DEF", "1")
        ]
        filters = {f.get("name"): f.get("value") for f in document.iterfind("c:Selection/c:Filter", NS)}
        assert filters["kinds"] == "alarm"
        assert filters["priority"] == "1"
        assert {"start", "end"} <= filters.keys()
        assert "text" not in filters

        user.find(marker="hist-kinds").elements.pop().set_value([])
        user.find(marker="hist-priority").elements.pop().set_value(0)
        user.find(marker="hist-text").type("replacement")
        document = _valid(await _download(user, "hist-xml"))
        assert [r["kind"] for r in _records(document)] == ["oil_started"]
        filters = {f.get("name"): f.get("value") for f in document.iterfind("c:Selection/c:Filter", NS)}
        assert filters["text"] == "replacement"
        assert "kinds" not in filters


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_a_viewer_exports_no_security_audit_nor_personal_data(real_user) -> None:
    async with real_user() as user:
        await login(user, "viewer", path="/history", retries=PATIENCE)
        await user.should_see("5 enregistrements", retries=PATIENCE)  # oil start, 2 alarms, the ack, the SMS
        rows = _csv_rows(await _download(user, "hist-csv"))
        kinds = {r["Événement"] for r in rows}
        assert {"oil_started", "acknowledge", "unacked"} <= kinds
        assert not kinds & {"login_failed", "user_changed"}
        xml = await _download(user, "hist-xml")
        document = _valid(xml)
        records = _records(document)
        assert {r.get("kind") for r in records if r["table"] == "operator_actions"} == {"acknowledge"}
        assert all("address" not in r and "recipient" not in r for r in records)
        for secret in (INTRUDER, "mallory", "10.0.0.9", PHONE):
            assert secret.encode() not in xml
        selection = document.find("c:Selection", NS)
        assert selection is not None
        assert selection.get("role") == "viewer"
        withheld = {(w.get("what"), w.get("name")) for w in selection.iterfind("c:Withheld", NS)}
        assert {("action", "login_failed"), ("action", "user_changed"), ("field", "address")} <= withheld


async def test_an_admin_exports_the_whole_audit_with_addresses(real_user) -> None:
    async with real_user() as user:
        await login(user, "admin", path="/history", retries=PATIENCE)
        await user.should_see("7 enregistrements", retries=PATIENCE)
        kinds = {r["Événement"] for r in _csv_rows(await _download(user, "hist-csv"))}
        assert {"login_failed", "user_changed", "acknowledge"} <= kinds
        xml = await _download(user, "hist-xml")
        records = _records(_valid(xml))
        failed = [r for r in records if r.get("kind") == "login_failed"]
        assert [r["address"] for r in failed] == [INTRUDER]
        assert PHONE.encode() in xml


@pytest.fixture
async def winter_user(
    services: HmiServices, config: PlantConfig, bus: Bus, hmi_clock: VirtualClock, tmp_path: Path
) -> Callable[[], AbstractAsyncContextManager[User]]:
    """The HMI on a history read every hour in January 2026 and not at all in February."""
    cfg = _on_sqlite(config, tmp_path)
    async with HistorianWriter(cfg, bus, hmi_clock) as writer:
        for value in winter_readings(ZoneInfo(cfg.site.timezone)):
            writer.accept(value)
        await writer.flush()
    services.history = HmiHistory(cfg, make_engine(cfg.storage_url))
    return lambda: simulated(services)


async def test_report_page_says_incomplete_data_for_a_month_without_readings(winter_user) -> None:
    async with winter_user() as user:
        await login(user, "viewer", path="/reports", retries=PATIENCE)
        for month, wood in (("2026-01", "7,43"), ("2026-02", "données incomplètes")):
            user.find(marker="report-period").clear().type(month)
            user.find(marker="report-show").click()
            await user.should_see(f"Chaufferie bois de Joucas — {month}", retries=PATIENCE)
            rows = {r["name"]: r["value"] for r in user.find(marker="report-table").elements.pop().rows}
            assert rows["Chaleur bois (MWh)"] == wood
        report = (await _download(user, "report-csv")).decode("utf-8-sig")
        assert (
            next(csv.DictReader(io.StringIO(report), delimiter=";"))["Chaleur bois (MWh)"]
            == "données incomplètes"
        )


async def test_the_contractor_exports_the_contract_report_a_viewer_has_no_such_button(
    services: HmiServices, plant_db: Engine, bus: Bus
) -> None:
    """The contract report names callers and the parties' reasons: technicians and the commune
    export it (audited), viewers do not see it. A call nobody reached is late so far at the HMI's
    clock: opened 12 days before it, due 30 hours later."""
    opened = NOW - timedelta(days=12)
    store = AccessStore(plant_db)
    due = opened + timedelta(hours=30)
    store.open_intervention(InterventionRecord("occ-late", "CHB-DEF", 1, opened, due))
    audit = bus.subscribe(OperatorAction)
    async with simulated(services) as user:
        await login(user, "tech", path="/reports", retries=PATIENCE)
        user.find(marker="report-period").clear().type("2025-12")
        data = (await _download(user, "report-contract-csv")).decode("utf-8-sig")
        page = (await _download(user, "report-contract-html")).decode()
        _valid(await _download(user, "report-contract-xml"))
    [line] = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert (line["Référence"], line["Origine"], line["Arrivée sur site"]) == ("occ-late", "acquittement", "")
    late = (NOW - due).days + 1  # started days after the deadline, so far
    assert line["Jours de retard (j)"] == str(late)
    assert "Rapport du contrat" in html.unescape(page)
    exported = [m for m in audit.drain() if m.kind is ActionKind.CONTRACT_REPORT]
    assert [(a.kind, a.target, a.details["format"]) for a in exported] == [
        (ActionKind.CONTRACT_REPORT, "2025-12", "csv"),
        (ActionKind.CONTRACT_REPORT, "2025-12", "html"),
        (ActionKind.CONTRACT_REPORT, "2025-12", "xml"),
    ]
    async with simulated(services) as user:
        await login(user, "viewer", path="/reports", retries=PATIENCE)
        await user.should_see(marker="report-show", retries=PATIENCE)
        await user.should_not_see(marker="report-contract-csv")
