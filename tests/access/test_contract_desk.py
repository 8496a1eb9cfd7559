"""The commune enters the contract's indices; a late arrival costs late days × 100 € × the index
in force at the deadline; the contractor disputes a call, the commune accepts (no penalty,
billable) or rejects it (penalty kept). Through the HMI service layer, audited."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chaufferie.alarms.contract import DisputeState
from chaufferie.config.alarming import ContractIndices, ContractSettings
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, OperatorAction
from chaufferie.hmi.access.interventions import InterventionDesk
from chaufferie.hmi.interventions import HmiInterventions
from tests.access.conftest import Site

PARIS = ZoneInfo("Europe/Paris")
BASE = ContractIndices(bt40=100.0, ppei=100.0, tch=100.0)
INDEX = 1.06685  # BT40' 110, PPEI' 105, TCH' 102: 0,15 + 0,55 × 1,10 + 0,30 × (0,65 × 1,05 + 0,35 × 1,02)


def hmi(user: str) -> Context:
    return Context(origin="hmi", user=user, channel=Channel.HMI, address="192.0.2.9")


def contract_desk(site: Site) -> tuple[InterventionDesk, HmiInterventions]:
    """The site's real store, users, clock, audit and alarms, with base indices configured."""
    cfg = site.cfg.model_copy(
        update={"contract": ContractSettings(base_indices=BASE, anniversary=date(2025, 1, 1))}
    )
    desk = InterventionDesk(cfg, site.store, site.store, site.clock, site.services.audit, site.alarms)
    return desk, HmiInterventions(desk)


def of_kinds(actions: list[OperatorAction], *kinds: ActionKind) -> list[tuple[ActionKind, ActionResult, str]]:
    return [(a.kind, a.result, str(a.details.get("reason", ""))) for a in actions if a.kind in kinds]


async def late_call(site: Site, desk: InterventionDesk, code: str) -> str:
    """A call at Monday 03:00 (deadline Monday 17:30) that the technician reaches 2 days late
    (Wednesday 10:00 in Paris, two calendar days started)."""
    occ = site.raise_alarm(code, ("tech-martin",))
    await desk.open(occ, code, 1, "tech-martin", origin="call", at=datetime(2026, 1, 12, 3, 0, tzinfo=PARIS))
    return occ


async def test_indices_entered_by_the_commune_index_the_penalty_of_a_late_arrival(site: Site) -> None:
    desk, hmi_desk = contract_desk(site)
    entered = await hmi_desk.enter_indices(hmi("dubois"), date(2026, 1, 1), 110.0, 105.0, 102.0)
    assert entered.ok, entered.message
    assert "1.0669" in entered.message
    occ = await late_call(site, desk, "CHB-DEF")
    await site.clock.advance(55 * 3600)  # Wednesday 14 January, 10:00 in Paris
    assert (await hmi_desk.arrive(occ, hmi("martin"))).ok
    record = site.store.intervention(occ)
    assert record is not None
    assert record.late_days == 2
    assert record.penalty_eur == pytest.approx(round(2 * 100 * INDEX, 2))  # 213,37 €
    [entry] = site.store.index_entries()
    assert (entry.effective, entry.values, entry.entered_by) == (
        date(2026, 1, 1),
        ContractIndices(bt40=110.0, ppei=105.0, tch=102.0),
        "dubois",
    )
    [audited] = [a for a in site.actions() if a.kind is ActionKind.CONTRACT_INDICES]
    assert (audited.context.user, audited.details["index"]) == ("dubois", pytest.approx(INDEX))


async def test_the_index_in_force_is_the_one_at_the_deadlines_date(site: Site) -> None:
    desk, hmi_desk = contract_desk(site)
    assert (await hmi_desk.enter_indices(hmi("dubois"), date(2026, 1, 13), 110.0, 105.0, 102.0)).ok
    occ = await late_call(site, desk, "CHB-DEF")  # due Monday 12th: before that entry
    await site.clock.advance(55 * 3600)
    await hmi_desk.arrive(occ, hmi("martin"))
    record = site.store.intervention(occ)
    assert record is not None
    assert (record.late_days, record.penalty_eur) == (2, 200.0)


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ((0.0, 105.0, 102.0), "bt40=0.0"),
        ((110.0, -1.0, 102.0), "ppei=-1.0"),
        ((110.0, 105.0, float("nan")), "tch=nan"),
        ((110.0, 105.0, float("inf")), "tch=inf"),
    ],
)
async def test_indices_that_are_not_positive_numbers_are_refused_and_nothing_is_stored(
    site: Site, values: tuple[float, float, float], shown: str
) -> None:
    _, hmi_desk = contract_desk(site)
    outcome = await hmi_desk.enter_indices(hmi("dubois"), date(2026, 1, 1), *values)
    assert not outcome.ok
    assert outcome.message.startswith("Indice refusé : chaque valeur doit être un nombre positif")
    assert "Index refused: each value must be a positive number" in outcome.message
    assert shown in outcome.message
    assert site.store.index_entries() == []
    refused = of_kinds(site.actions(), ActionKind.CONTRACT_INDICES)
    assert refused == [(ActionKind.CONTRACT_INDICES, ActionResult.REFUSED, "bad_index")]


async def test_only_the_commune_enters_indices_and_only_with_base_indices_configured(site: Site) -> None:
    _, hmi_desk = contract_desk(site)
    technician = await hmi_desk.enter_indices(hmi("martin"), date(2026, 1, 1), 110.0, 105.0, 102.0)
    unconfigured = HmiInterventions(site.services.interventions)  # the site has no contract section
    no_base = await unconfigured.enter_indices(hmi("dubois"), date(2026, 1, 1), 110.0, 105.0, 102.0)
    assert not technician.ok
    assert not no_base.ok
    assert "contract.base_indices" in no_base.message
    assert site.store.index_entries() == []
    assert [r for _, _, r in of_kinds(site.actions(), ActionKind.CONTRACT_INDICES)] == [
        "role",
        "no_base_indices",
    ]


async def test_a_rejected_dispute_keeps_the_penalty_an_accepted_one_waives_it(site: Site) -> None:
    desk, hmi_desk = contract_desk(site)
    kept = await late_call(site, desk, "CHB-DEF")
    waived = await late_call(site, desk, "FIO-DEF")
    await site.clock.advance(55 * 3600)
    for occ in (kept, waived):
        assert (await hmi_desk.arrive(occ, hmi("martin"))).ok
        assert (await hmi_desk.dispute(occ, hmi("martin"), "Défaut dû à une coupure EDF")).ok
    rejected = await hmi_desk.decide(
        kept, hmi("dubois"), accept=False, note="Coupure sans effet sur le délai"
    )
    accepted = await hmi_desk.decide(waived, hmi("dubois"), accept=True, note="Coupure réseau confirmée")
    assert rejected.ok, rejected.message
    assert accepted.ok, accepted.message
    k, w = site.store.intervention(kept), site.store.intervention(waived)
    assert k is not None
    assert w is not None
    assert (k.dispute, k.late_days, k.penalty_eur, k.billable) == (DisputeState.REJECTED, 2, 200.0, False)
    assert (w.dispute, w.late_days, w.penalty_eur, w.billable) == (DisputeState.ACCEPTED, 2, 0.0, True)
    assert (w.dispute_reason, w.disputed_by, w.dispute_note, w.decided_by) == (
        "Défaut dû à une coupure EDF",
        "martin",
        "Coupure réseau confirmée",
        "dubois",
    )
    assert (await desk.assess(w)).penalty_eur == 0.0
    steps = [
        (a.kind, a.target, a.context.user)
        for a in site.actions()
        if a.kind in (ActionKind.CALL_DISPUTED, ActionKind.DISPUTE_ACCEPTED, ActionKind.DISPUTE_REJECTED)
    ]
    assert steps == [
        (ActionKind.CALL_DISPUTED, kept, "martin"),
        (ActionKind.CALL_DISPUTED, waived, "martin"),
        (ActionKind.DISPUTE_REJECTED, kept, "dubois"),
        (ActionKind.DISPUTE_ACCEPTED, waived, "dubois"),
    ]


async def test_disputes_refused_without_reason_out_of_turn_or_by_the_wrong_person(site: Site) -> None:
    desk, hmi_desk = contract_desk(site)
    occ = await late_call(site, desk, "CHB-DEF")
    no_reason = await hmi_desk.dispute(occ, hmi("martin"), "   ")
    operator = await hmi_desk.dispute(occ, hmi("durand"), "pas d'accord")
    too_early = await hmi_desk.decide(occ, hmi("dubois"), accept=True, note="ok")
    assert no_reason.message == "Le motif est obligatoire. / A reason is required."
    record = site.store.intervention(occ)
    assert record is not None
    assert record.dispute is DisputeState.NONE  # nothing stored
    assert (await hmi_desk.dispute(occ, hmi("dubois"), "Appel sans objet")).ok  # an admin is also staff
    own = await hmi_desk.decide(occ, hmi("dubois"), accept=True, note="ok")
    technician = await hmi_desk.decide(occ, hmi("martin"), accept=True, note="ok")
    no_note = await hmi_desk.decide(occ, hmi("dubois"), accept=False, note="")
    assert not any(o.ok for o in (operator, too_early, own, technician, no_note))
    assert "autre personne" in own.message
    reasons = [r for _, res, r in of_kinds(site.actions(), *DISPUTE_KINDS) if res is ActionResult.REFUSED]
    assert reasons == ["reason_required", "role", "dispute_state", "own_dispute", "role", "reason_required"]
    still = site.store.intervention(occ)
    assert still is not None
    assert (still.dispute, still.disputed_by) == (DisputeState.DISPUTED, "dubois")


DISPUTE_KINDS = (ActionKind.CALL_DISPUTED, ActionKind.DISPUTE_ACCEPTED, ActionKind.DISPUTE_REJECTED)
