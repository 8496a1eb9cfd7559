"""Trends pick raw or rollups to stay small; history filters and searches every record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    Context,
    OilRole,
    OperatorAction,
    Quality,
    Role,
)
from chaufferie.historian.history import HistoryFilter, history
from chaufferie.historian.history_access import withheld_for
from chaufferie.historian.trends import choose_source, trend
from chaufferie.historian.writer import HistorianWriter
from tests.historian.support import ack, alarm, every, oil_start, tag

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "source"), [(0.1, "raw"), (1, "minute"), (7, "minute"), (30, "hour"), (365, "hour")]
)
def test_source_is_the_coarsest_that_still_fills_the_buckets(days: float, source: str) -> None:
    name, _, width = choose_source(T0, T0 + timedelta(days=days), 1000)
    assert name == source
    assert days * 86400 / width <= 2000


async def test_trend_over_a_week_comes_from_minute_rollups_with_min_and_max(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for i, t in enumerate(every(T0, 30.0, 2 * 24 * 120)):  # two days, every 30 s
            writer.accept(tag("wood.power", float(i % 100), t))
        writer.accept(tag("wood.power", 7.0, T0 + timedelta(days=2, seconds=1), Quality.BAD))
        await writer.flush()
        week = trend(writer.engine, "joucas", ["wood.power", "nothing.here"], T0, T0 + timedelta(days=7))
        hour = trend(writer.engine, "joucas", ["wood.power"], T0, T0 + timedelta(hours=1))
    curve = week["wood.power"]
    assert curve.source == "minute"
    assert 2 * 24 * 60 / (curve.bucket_s / 60) <= len(curve.points) <= 1000
    assert min(p.min for p in curve.points if p.min is not None) == 0.0
    assert max(p.max for p in curve.points if p.max is not None) == 99.0
    assert curve.points[-1].good_ratio == 0.0
    assert week["nothing.here"].points == []
    raw = hour["wood.power"]
    assert raw.source == "raw"
    assert [p.value for p in raw.points[:3]] == [0.0, 1.0, 2.0]


async def test_history_filters_by_type_code_priority_user_oil_kind_and_text(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for message in (
            oil_start(T0, OilRole.REPLACEMENT, "wood_fault"),
            oil_start(T0 + timedelta(minutes=5), OilRole.TOP_UP, "wood_insufficient"),
            alarm(T0 + timedelta(minutes=1), "CHB-DEF", 1, "Défaut chaudière bois"),
            alarm(T0 + timedelta(minutes=2), "SIL-BAS", 2, "Niveau bas silo commander des plaquettes"),
            ack(T0 + timedelta(minutes=3), "alice"),
            ack(T0 + timedelta(minutes=4), "bob"),
        ):
            writer.accept(message)
        await writer.flush()
        engine = writer.engine
    everything = history(engine)
    assert len(everything) == 6
    assert [e.time for e in everything] == sorted((e.time for e in everything), reverse=True)
    assert [e.code for e in history(engine, HistoryFilter(types=("alarm",), priority=2))] == ["SIL-BAS"]
    assert [e.user for e in history(engine, HistoryFilter(types=("action",), user="bob"))] == ["bob"]
    top_up = history(engine, HistoryFilter(oil_role="top_up"))
    assert [(e.type, e.oil_role) for e in top_up] == [("plant", "top_up")]
    assert [e.code for e in history(engine, HistoryFilter(text="silo plaquettes"))] == ["SIL-BAS"]
    # the alarm and both acknowledgements that name it
    assert [e.type for e in history(engine, HistoryFilter(code="CHB-DEF"))] == ["action", "action", "alarm"]
    window = HistoryFilter(start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=4))
    assert [e.type for e in history(engine, window)] == ["action", "alarm"]
    assert [e.kind for e in history(engine, HistoryFilter(kinds=("oil_started",)))] == ["oil_started"] * 2


async def test_history_leaves_out_the_audit_kinds_a_role_may_not_read(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    intruder = Context(origin="hmi", user="mallory", channel=Channel.HMI, address="192.0.2.77")
    async with HistorianWriter(historian_config, bus, clock) as writer:
        writer.accept(ack(T0, "alice"))
        writer.accept(OperatorAction(ActionKind.LOGIN_FAILED, T0, intruder, "mallory", ActionResult.REFUSED))
        writer.accept(OperatorAction(ActionKind.USER_CHANGED, T0, intruder, "bob"))
        await writer.flush()
        engine = writer.engine
    for role, kinds in (
        (Role.VIEWER, ["acknowledge"]),
        (Role.TECHNICIAN, ["acknowledge"]),
        (Role.ADMIN, None),
    ):
        hidden = withheld_for(role).action_kinds
        found = sorted(e.kind for e in history(engine, HistoryFilter(hidden_actions=hidden)))
        assert found == (kinds or ["acknowledge", "login_failed", "user_changed"])
    assert withheld_for(Role.VIEWER).fields == {"address", "recipient"}
    assert withheld_for(Role.TECHNICIAN).fields == {"address"}
    assert withheld_for(Role.ADMIN).fields == set()


async def test_interventions_late_so_far_and_penalties_in_the_report(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    """One rule counts the money (alarms.contract.assess): a call nobody reached is late so far
    at the report's instant, never silent."""
    from dataclasses import replace

    from chaufferie.historian.access_store import AccessStore, InterventionRecord
    from chaufferie.historian.contract import contract_calls
    from chaufferie.historian.report import Period, build_report

    async with HistorianWriter(historian_config, bus, clock) as writer:
        await writer.flush()
        store = AccessStore(writer.engine)
        on_time = InterventionRecord("occ-1", "CHB-DEF", 1, T0, T0 + timedelta(hours=8))
        late = InterventionRecord(
            "occ-2", "SIL-BAS", 2, T0 + timedelta(days=1), T0 + timedelta(days=1, hours=8)
        )
        still_open = InterventionRecord(
            "occ-3", "PMP-BAS", 2, T0 + timedelta(days=2), T0 + timedelta(days=2, hours=8)
        )
        for record in (on_time, late, still_open):
            assert store.open_intervention(record)
        store.record_arrival(replace(on_time, arrival=T0 + timedelta(hours=2)))
        store.record_arrival(replace(late, arrival=T0 + timedelta(days=3)))
        now = T0 + timedelta(days=5)
        calls = contract_calls(writer.engine, historian_config, T0, T0 + timedelta(days=10), now)
        # occ-2: 1 d 16 h after its deadline, two started days; occ-3: 2 d 16 h so far, three
        assert [(c.call_id, c.late_days, c.penalty_eur) for c in calls] == [
            ("occ-1", 0, 0.0),
            ("occ-2", 2, 200.0),
            ("occ-3", 3, 300.0),
        ]
        assert calls[1].arrival == T0 + timedelta(days=3)
        period = Period("x", T0, T0 + timedelta(days=10), "month")
        report = build_report(writer.engine, historian_config, period, as_of=now)
        at_the_end = build_report(writer.engine, historian_config, period)
    assert (report.interventions, report.interventions_late) == (3, 2)
    assert (report.late_days, report.penalties_eur) == (5, 500.0)
    # at the period's end occ-3 is 7 d 16 h late: eight started days
    assert (at_the_end.late_days, at_the_end.penalties_eur) == (10, 1000.0)
