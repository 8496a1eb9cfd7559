"""Phone calls the agent records open interventions (origin phone) or join the open one;
milestones (arrival, making safe, end of repair) are recorded once each, with who, when and
channel, from the HMI service layer and from the technician's phone page; all audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, OperatorAction
from chaufferie.historian.intervention_store import Milestone
from chaufferie.hmi.interventions import HmiInterventions
from tests.access.conftest import PINS, Site, acknowledge, csrf_of, sign_in_with_pin

PARIS = ZoneInfo("Europe/Paris")


def hmi(user: str) -> Context:
    return Context(origin="hmi", user=user, channel=Channel.HMI, address="192.0.2.7")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def of_kind(actions: list[OperatorAction], kind: ActionKind) -> list[OperatorAction]:
    return [a for a in actions if a.kind is kind]


async def test_a_phone_call_without_alarm_opens_its_own_intervention_from_the_calls_time(site: Site) -> None:
    desk = HmiInterventions(site.services.interventions)
    await site.clock.advance(7 * 3600)  # Monday 12 January 2026, 10:00 in Paris
    outcome = await desk.record_call(
        hmi("durand"),
        caller="Mairie (P. Leroy)",
        callee="Julien Martin",
        reason="Radiateurs froids à l'école",
        at=paris(2026, 1, 12, 9, 0),  # earlier today
    )
    assert outcome.ok, outcome.message
    [record] = site.store.list_interventions()
    assert record.occurrence_id.startswith("call-")
    assert (record.code, record.priority, record.origin) == (None, None, "phone")
    assert record.opened_at == paris(2026, 1, 12, 9, 0)
    assert record.deadline == paris(2026, 1, 13, 9, 0)  # 7 working hours on Monday, 1 on Tuesday
    assert record.contact_id == "tech-martin"  # the callee is in the address book
    [call] = site.store.calls(record.occurrence_id)
    assert (call.caller, call.callee, call.reason) == (
        "Mairie (P. Leroy)",
        "Julien Martin",
        "Radiateurs froids à l'école",
    )
    assert (call.recorded_by, call.channel, call.at) == ("durand", "hmi", paris(2026, 1, 12, 9, 0))
    [audited] = of_kind(site.actions(), ActionKind.PHONE_CALL)
    assert (audited.context.user, audited.result, audited.target) == (
        "durand",
        ActionResult.OK,
        record.occurrence_id,
    )
    assert audited.details["opened"] is True


async def test_a_call_about_an_open_intervention_joins_it_without_changing_its_opening(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    called = site.clock.now()
    opened = await site.services.interventions.open(
        occ, "CHB-DEF", 1, "tech-martin", origin="call", at=called
    )
    assert opened is not None
    await site.clock.advance(6 * 3600)
    desk = HmiInterventions(site.services.interventions)
    outcome = await desk.record_call(
        hmi("durand"),
        caller="Marie Durand",
        callee="tech-martin",
        reason="Rappel : toujours froid",
        occurrence_id=occ,
    )
    assert outcome.ok, outcome.message
    record = site.store.intervention(occ)
    assert record is not None
    assert (record.origin, record.opened_at, record.deadline) == ("call", called, opened.deadline)
    assert [c.reason for c in site.store.calls(occ)] == ["Rappel : toujours froid"]
    [audited] = of_kind(site.actions(), ActionKind.PHONE_CALL)
    assert audited.details["opened"] is False


async def test_a_call_about_an_alarm_without_intervention_opens_one_with_origin_phone(site: Site) -> None:
    occ = site.raise_alarm("CEN-PLN")  # P3: the plant does not call out, the agent does
    desk = HmiInterventions(site.services.interventions)
    outcome = await desk.record_call(
        hmi("durand"), caller="Agent", callee="Sophie Bernard", reason="Bac plein", occurrence_id=occ
    )
    assert outcome.ok, outcome.message
    record = site.store.intervention(occ)
    assert record is not None
    assert (record.code, record.priority, record.origin, record.contact_id) == (
        "CEN-PLN",
        3,
        "phone",
        "tech-bernard",
    )


async def test_bad_calls_are_refused_audited_and_store_nothing(site: Site) -> None:
    desk = HmiInterventions(site.services.interventions)
    now = site.clock.now()
    viewer = await desk.record_call(hmi("agent"), caller="a", callee="b", reason="c")
    future = await desk.record_call(
        hmi("durand"), caller="a", callee="b", reason="c", at=now + timedelta(minutes=5)
    )
    yesterday = await desk.record_call(
        hmi("durand"), caller="a", callee="b", reason="c", at=now - timedelta(hours=4)
    )
    no_reason = await desk.record_call(hmi("durand"), caller="a", callee="b", reason="  ")
    unknown = await desk.record_call(hmi("durand"), caller="a", callee="b", reason="c", occurrence_id="nope")
    assert not any(o.ok for o in (viewer, future, yesterday, no_reason, unknown))
    assert viewer.message == "Votre rôle ne permet pas cette action. / Your role does not allow this action."
    assert "aujourd'hui" in future.message
    assert "today" in yesterday.message
    assert "pourquoi" in no_reason.message
    assert "Unknown alarm" in unknown.message
    assert site.store.list_interventions() == []
    refused = of_kind(site.actions(), ActionKind.PHONE_CALL)
    assert [a.details["reason"] for a in refused] == [
        "role", "bad_time", "bad_time", "missing_text", "unknown_alarm"
    ]  # fmt: skip
    assert all(a.result is ActionResult.REFUSED for a in refused)


async def test_milestones_are_recorded_once_each_with_who_when_and_channel(site: Site) -> None:
    occ = site.raise_alarm("FIO-DEF", ("tech-martin",))
    await site.services.interventions.open(occ, "FIO-DEF", 1, "tech-martin", origin="call")
    desk = HmiInterventions(site.services.interventions)
    await site.clock.advance(6 * 3600)  # 09:00 in Paris
    assert (await desk.arrive(occ, hmi("martin"))).ok
    await site.clock.advance(1800)
    assert (await desk.milestone(occ, Milestone.MADE_SAFE, hmi("martin"))).ok
    again = await desk.milestone(occ, Milestone.MADE_SAFE, hmi("durand"))
    assert (again.ok, again.message) == (False, "Étape déjà enregistrée. / Step already recorded.")
    viewer = await desk.milestone(occ, Milestone.REPAIRED, hmi("agent"))
    assert not viewer.ok
    await site.clock.advance(3600)  # 10:30: the technician had phoned the end of repair at 10:00
    assert (await desk.milestone(occ, Milestone.REPAIRED, hmi("durand"), at=paris(2026, 1, 12, 10, 0))).ok
    record = site.store.intervention(occ)
    assert record is not None
    arrived = record.mark(Milestone.ARRIVED)
    assert arrived is not None
    assert (arrived.at, arrived.by, arrived.channel) == (paris(2026, 1, 12, 9, 0), "martin", "hmi")
    safe, repaired = record.mark(Milestone.MADE_SAFE), record.mark(Milestone.REPAIRED)
    assert safe is not None
    assert repaired is not None
    assert (safe.at, safe.by) == (paris(2026, 1, 12, 9, 30), "martin")
    assert (repaired.at, repaired.by, repaired.channel) == (paris(2026, 1, 12, 10, 0), "durand", "hmi")
    kinds = [(a.kind, a.result) for a in site.actions() if a.target == occ]
    assert kinds == [
        (ActionKind.ARRIVAL_ON_SITE, ActionResult.OK),
        (ActionKind.MAKING_SAFE, ActionResult.OK),
        (ActionKind.MAKING_SAFE, ActionResult.REFUSED),
        (ActionKind.END_OF_REPAIR, ActionResult.REFUSED),
        (ActionKind.END_OF_REPAIR, ActionResult.OK),
    ]


async def test_the_phone_page_records_arrival_then_making_safe_and_end_of_repair(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        done = await acknowledge(client, link, occ)
        arrived = await client.post(f"/access/arrival/{occ}", data={"csrf": csrf_of(done.text)})
        assert 'id="made_safe"' in arrived.text
        assert 'id="repaired"' in arrived.text
        await site.clock.advance(600)
        safe = await client.post(f"/access/step/{occ}/made_safe", data={"csrf": csrf_of(arrived.text)})
        assert safe.status_code == 200
        assert 'id="made_safe"' not in safe.text
        assert 'id="repaired"' in safe.text
        repaired = await client.post(f"/access/step/{occ}/repaired", data={"csrf": csrf_of(safe.text)})
        twice = await client.post(f"/access/step/{occ}/repaired", data={"csrf": csrf_of(safe.text)})
    assert repaired.status_code == 200
    assert twice.status_code == 409
    assert "Step already recorded" in twice.text
    record = site.store.intervention(occ)
    assert record is not None
    safe_mark, done_mark = record.mark(Milestone.MADE_SAFE), record.mark(Milestone.REPAIRED)
    assert safe_mark is not None
    assert done_mark is not None
    assert (safe_mark.by, safe_mark.channel, safe_mark.at) == (
        "martin",
        "link",
        datetime(2026, 1, 12, 2, 10, tzinfo=UTC),
    )
    assert (done_mark.by, done_mark.channel) == ("martin", "link")


async def test_a_call_nobody_answered_is_late_so_far_with_its_penalty(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    desk = site.services.interventions
    record = await desk.open(
        occ, "CHB-DEF", 1, "tech-martin", origin="call"
    )  # the plant's call, Monday 03:00
    assert record is not None
    assert (await desk.assess(record)).late_days == 0
    await site.clock.advance(3 * 86400)  # Thursday 03:00 in Paris: nobody acknowledged, nobody came
    stored = site.store.intervention(occ)
    assert stored is not None
    assert (stored.acknowledged_at, stored.arrival) == (None, None)
    late = await desk.assess(stored)  # deadline Monday 17:30: Tuesday, Wednesday, Thursday started
    assert (late.late, late.late_days, late.penalty_eur) == (True, 3, 300.0)
    earlier = await desk.assess(stored, as_of=paris(2026, 1, 13, 17, 0))
    assert (earlier.late_days, earlier.penalty_eur) == (1, 100.0)
