"""The contract report of a replayed season against the interventions table, by hand.

Seven weeks of the Joucas season (1 October – 20 November 2025) in closed loop (simulator
physics, the production supervisor and the real alarm engine in model time) with faults
injected on chosen days; every call-out alarm the engine raises is the plant's call (its first
SMS, sent), acknowledgements are the engine's own transitions; arrivals, a phone call recorded
by the agent, the commune's indices and two disputes go through the HMI's service layer on the
site's real store, users and audit. The report's figures are then counted again from the
interventions table with SQL and by hand (deadlines on jours ouvrables: Toussaint and the
11 November are holidays).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import func, select

from chaufferie.alarms.engine import AlarmEngine
from chaufferie.alarms.machine import Occurrence
from chaufferie.config.alarming import ContractIndices, ContractSettings
from chaufferie.config.clock import VirtualClock
from chaufferie.config.vocabulary import (
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    NotificationRecord,
    NotificationStatus,
)
from chaufferie.historian.access_schema import interventions
from chaufferie.historian.contract import build_contract_report
from chaufferie.historian.contract_format import contract_csv, contract_xml
from chaufferie.historian.intervention_store import Milestone
from chaufferie.historian.report import build_report, parse_period
from chaufferie.historian.schema import metadata
from chaufferie.hmi.access.interventions import InterventionDesk
from chaufferie.hmi.interventions import HmiInterventions
from chaufferie.replay import Replay
from tests.access.conftest import Site

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PARIS = ZoneInfo("Europe/Paris")
XSD = Path(__file__).parents[2] / "historian" / "exchange.xsd"
INDEX = 1.06685  # BT40' 110, PPEI' 105, TCH' 102 on bases of 100 (docs/domain.md §4)
END = datetime(2025, 11, 20, tzinfo=UTC)
SMS_DELAY = timedelta(seconds=20)
"""The plant's call: its first SMS goes out this long after the alarm."""


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


def who(user: str) -> Context:
    return Context(origin="hmi", user=user, channel=Channel.HMI, address="192.0.2.9")


FAULTS = (
    # (local start, code injected, hours): the code of the simulator's fault
    (local(2025, 10, 4, 22, 0), "VIS-BLQ", 3.0),  # Saturday night: nobody ever answers
    (local(2025, 10, 15, 10, 0), "PMP-BAS", 2.0),  # Wednesday: acknowledged, on site in 3 h
    (local(2025, 10, 31, 15, 0), "PMP-BAS", 2.0),  # Friday before Toussaint: late, disputed
)


@dataclass
class Season:
    transitions: list[AlarmTransition] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    """For each fault, the occurrence id of the alarm with its code."""


def _replay(site: Site) -> Season:
    replay = Replay(site.cfg, "season", step_s=60.0)
    season = Season()
    engine = replay.alarms
    assert isinstance(engine, AlarmEngine)
    engine.listeners.append(lambda tr, occ: season.transitions.append(tr))
    start = replay.plant.now
    for at, code, hours in FAULTS:
        t = (at - start).total_seconds()
        replay.plant.schedule(t, "inject", code)
        replay.plant.schedule(t + hours * 3600, "clear", code)
    for at, code, _ in FAULTS:
        replay.run(until_s=(at - start).total_seconds() + 3600)  # an hour into the fault
        occ = _calling(engine, at, code)
        season.first.append(occ.id)
        if at != FAULTS[0][0]:  # the technician acknowledges from the SMS link
            replay.run(until_s=(at - start).total_seconds() + 3600 + 1200)
            engine.fire(occ, "acknowledge", Context(origin="link", user="martin", channel=Channel.LINK))
    replay.run(until_s=(END - start).total_seconds())
    return season


def _calling(engine: AlarmEngine, at: datetime, code: str) -> Occurrence:
    """The call-out occurrence the fault raised (the one with the fault's own code)."""
    found = [o for o in engine.occurrences.values() if o.code == code and o.raised_at >= at]
    assert found, f"{code} raised no alarm: {sorted(o.code for o in engine.occurrences.values())}"
    return found[0]


class PlantCalls:
    """Each call-out activation is called (its SMS sent); each acknowledgement recorded; in
    time order, interleaved with what people do."""

    def __init__(self, desk: InterventionDesk, clock: VirtualClock, season: Season) -> None:
        self.desk, self.clock = desk, clock
        events: list[tuple[datetime, AlarmTransition]] = []
        for tr in season.transitions:
            if tr.trigger == "activate" and tr.state is not AlarmState.SUPPRESSED:
                events.append((tr.time + SMS_DELAY, tr))
            elif tr.trigger == "acknowledge":
                events.append((tr.time, tr))
        self.events = sorted(events, key=lambda e: e[0])

    async def until(self, end: datetime) -> None:
        """Everything the plant did up to ``end``; the clock then stands at ``end``."""
        while self.events and self.events[0][0] <= end:
            when, tr = self.events.pop(0)
            await _at(self.clock, when)
            if tr.trigger == "acknowledge":
                await self.desk.on_transition(tr)
            else:
                sms = NotificationRecord(
                    f"{tr.occurrence_id}-sms", "sms", "tech-martin", NotificationStatus.SENT, when,
                    occurrence_id=tr.occurrence_id, code=tr.code,
                )  # fmt: skip
                await self.desk.on_call(sms)
        await _at(self.clock, end)


async def _at(clock: VirtualClock, when: datetime) -> None:
    await clock.advance(max(0.0, (when - clock.now()).total_seconds()))


async def test_the_seasons_contract_report_matches_the_interventions_table(site: Site) -> None:
    cfg = site.cfg.model_copy(
        update={
            "contract": ContractSettings(
                base_indices=ContractIndices(bt40=100.0, ppei=100.0, tch=100.0), anniversary=date(2025, 11, 1)
            )
        }
    )
    clock = VirtualClock(datetime(2025, 10, 1, tzinfo=UTC))
    desk = InterventionDesk(cfg, site.store, site.store, clock, site.services.audit, site.alarms)
    hmi = HmiInterventions(desk)
    season = _replay(replace(site, cfg=cfg))
    plant = PlantCalls(desk, clock, season)
    never, on_time, disputed = season.first

    # -- what people do, in time order ------------------------------------------------------
    await plant.until(local(2025, 10, 15, 13, 0))
    assert (await hmi.arrive(on_time, who("martin"))).ok
    await plant.until(local(2025, 11, 1, 9, 0))  # the anniversary: the commune enters the indices
    assert (await hmi.enter_indices(who("dubois"), date(2025, 11, 1), 110.0, 105.0, 102.0)).ok
    await plant.until(local(2025, 11, 4, 10, 0))  # deadline Monday 3rd 15:00 (Toussaint skipped)
    assert (await hmi.arrive(disputed, who("martin"))).ok
    assert (await hmi.dispute(disputed, who("martin"), "coupure du réseau électrique, pas une panne")).ok
    await plant.until(local(2025, 11, 5, 11, 0))
    assert (await hmi.decide(disputed, who("dubois"), True, "coupure Enedis confirmée")).ok
    await plant.until(local(2025, 11, 10, 9, 0))  # the agent phones the contractor: a noise
    called = await hmi.record_call(
        who("durand"), caller="Marie Durand (mairie)", callee="Julien Martin", reason="bruit de la vis"
    )
    assert called.ok, called.message
    [phone] = [r for r in site.store.list_interventions() if r.origin == "phone"]
    await plant.until(local(2025, 11, 12, 14, 0))  # deadline Wednesday 12th 09:00 (11 Nov skipped)
    assert (await hmi.arrive(phone.occurrence_id, who("martin"))).ok
    assert (await hmi.milestone(phone.occurrence_id, Milestone.REPAIRED, who("martin"))).ok
    assert (await hmi.dispute(phone.occurrence_id, who("martin"), "bruit normal de la vis")).ok
    assert (await hmi.decide(phone.occurrence_id, who("dubois"), False, "bruit anormal constaté")).ok

    await plant.until(END)

    # -- the report, and the table counted again ----------------------------------------------
    period = parse_period("2025-2026", cfg)
    report = build_contract_report(site.store.engine, cfg, period, END)
    calls = {c.call_id: c for c in report.whole.calls}
    with site.store.engine.connect() as conn:
        t = interventions.c
        rows = conn.execute(select(t.origin, func.count()).group_by(t.origin)).all()
        table = {origin: n for origin, n in rows}
        in_october = conn.execute(select(func.count()).where(t.opened_at < local(2025, 11, 1))).scalar_one()
    figures = report.whole.figures()
    print(figures)
    assert figures["calls"] == sum(table.values()) == len(calls)
    assert (figures["calls_call"], figures["calls_phone"]) == (table.get("call", 0), 1)
    assert [m.period.label for m in report.months][:2] == ["2025-10", "2025-11"]
    assert report.months[0].figures()["calls"] == in_october
    assert sum(m.figures()["calls"] for m in report.months) == figures["calls"]

    # by hand: the Saturday call nobody answered is due Monday 6 October 17:30 and, on
    # 20 November 01:00 (Paris), 44 days 7 h 30 late: 45 started days at 100 € (no index yet)
    assert calls[never].acknowledged is None
    assert calls[never].deadline == local(2025, 10, 6, 17, 30)
    assert (calls[never].late_days, calls[never].index, calls[never].penalty_eur) == (45, 1.0, 4500.0)
    # acknowledged 1 h 20 min after the fault began, on site 3 h after it: on time
    acknowledged = calls[on_time].acknowledged
    assert acknowledged is not None  # the engine's clock: the last model step (a minute)
    assert abs(acknowledged - local(2025, 10, 15, 11, 20)) <= timedelta(minutes=1)
    assert calls[on_time].arrival == local(2025, 10, 15, 13, 0)
    assert (calls[on_time].late_days, calls[on_time].penalty_eur) == (0, 0.0)
    # Friday 15:00 + 2 h 30, Saturday 1st is Toussaint, Monday 8:00–12:00 and 13:30–15:00
    late_by = calls[disputed].opened - local(2025, 10, 31, 15, 0)  # alarm delay + the SMS
    assert calls[disputed].deadline == local(2025, 11, 3, 15, 0) + late_by
    assert (calls[disputed].late_days, calls[disputed].index) == (1, pytest.approx(INDEX))
    assert (calls[disputed].dispute, calls[disputed].penalty_eur) == ("accepted", 0.0)
    # Monday 9:00 + 7 h, Tuesday 11th a holiday, Wednesday 8:00–9:00; on site at 14:00
    mine = calls[phone.occurrence_id]
    assert (mine.origin, mine.caller, mine.deadline) == (
        "phone",
        "Marie Durand (mairie)",
        local(2025, 11, 12, 9),
    )
    assert mine.repaired == local(2025, 11, 12, 14, 0)
    assert (mine.late_days, mine.dispute) == (1, "rejected")
    assert mine.penalty_eur == pytest.approx(100 * INDEX, abs=0.005)
    others = [c for c in calls.values() if c.call_id not in (never, on_time, disputed, phone.occurrence_id)]
    assert figures["penalties_eur"] == pytest.approx(
        4500.0 + mine.penalty_eur + sum(c.penalty_eur for c in others), abs=0.01
    )
    assert (figures["disputes_accepted"], figures["disputes_rejected"]) == (1, 1)

    # the energy report counts the same calls with the same rule (its tables, empty, beside)
    metadata.create_all(site.store.engine)
    energy = build_report(site.store.engine, cfg, period, as_of=END)
    assert (energy.interventions, energy.penalties_eur) == (figures["calls"], figures["penalties_eur"])

    # the accounts' files: a French spreadsheet's CSV, an XML the published schema accepts
    data = contract_csv(report, PARIS)
    assert data.startswith("\ufeff".encode())
    lines = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == len(calls)
    by_id = {line["Référence"]: line for line in lines}
    assert by_id[never]["Pénalité (€)"] == "4500,0"
    assert by_id[phone.occurrence_id]["Coefficient de révision"] == str(round(mine.index, 4)).replace(
        ".", ","
    )
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    schema.assertValid(etree.fromstring(contract_xml(report, PARIS, cfg.site.timezone)))
