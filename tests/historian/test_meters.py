"""Counters you can trust (issue 19, item 3): meter replacements and manual readings.

A meter replaced during a month is a suspected replacement and the month's heat is
"données incomplètes" until the agent confirms it in the logbook with the old meter's final
index and the new one's initial index; then the heat is continuous and equals the true
consumption. A meter not connected, read by hand on the first of each month, gives the
month's figure. A reading below the previous one is refused, and every entry is audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import MbusLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, Channel, Context
from chaufferie.historian import database, schema
from chaufferie.historian.meter_schema import METER_TABLES
from chaufferie.historian.meters import MeterLog, MeterRefused
from chaufferie.historian.readings import Shortfall, counter_delta, shortfall
from chaufferie.historian.report import build_report, parse_period
from chaufferie.historian.writer import HistorianWriter
from chaufferie.plc_bridge.mbus_source import MbusLinkSource
from chaufferie.simulations.meters import MbusGatewayServer
from chaufferie.simulations.plant import Plant
from tests.conftest import free_port
from tests.historian.conftest import HistorianDb
from tests.historian.support import tag
from tests.plc_bridge.conftest import advance_until, running
from tests.support.mbus import with_meters

PARIS = ZoneInfo("Europe/Paris")
AGENT = Context(origin="hmi", user="agent", channel=Channel.HMI, address="127.0.0.1")
HOUR_S = 3600.0
RATE = 10.0
"""kWh an hour the plant's heat meter counts (the true consumption is RATE × hours)."""


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


@pytest.fixture
def clock() -> VirtualClock:
    """Mid-December 2026: November is over, entries about it are in the past."""
    return VirtualClock(datetime(2026, 12, 15, 9, 0, tzinfo=UTC))


@pytest.fixture
async def writer(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> AsyncIterator[HistorianWriter]:
    async with HistorianWriter(historian_config, bus, clock) as w:
        yield w


def november_with_swaps(
    swaps: list[tuple[datetime, float]],
) -> tuple[list[tuple[datetime, float]], list[float]]:
    """Hourly readings of a meter counting RATE an hour through November 2026 (from 23:30 the
    day before), its meter replaced at each (time, new meter's initial index) of ``swaps``;
    and each replaced meter's final index (its true index at the swap)."""
    start, readings, finals = local(2026, 10, 31, 23, 30), [], []
    index, t, pending = 1000.0, local(2026, 10, 31, 23, 30), list(swaps)
    while t <= start + timedelta(days=30):
        nxt = t + timedelta(hours=1)
        readings.append((t, index))
        if pending and t < pending[0][0] <= nxt:
            at, initial = pending.pop(0)
            finals.append(index + RATE * (at - t).total_seconds() / 3600)
            index = initial + RATE * (nxt - at).total_seconds() / 3600
        else:
            index += RATE
        t = nxt
    return readings, finals


async def record(writer: HistorianWriter, point: str, readings: list[tuple[datetime, float]]) -> None:
    for t, value in readings:
        writer.accept(tag(point, value, t))
    await writer.flush()


async def audited(writer: HistorianWriter) -> list[tuple[str, str]]:
    """(kind, result) of each row of the audit log, once the writer stored what the bus carried."""
    await writer.flush()
    a = schema.operator_actions
    with writer.engine.connect() as conn:
        rows = conn.execute(select(a.c.kind, a.c.result).order_by(a.c.seq)).all()
    return [(str(k), str(r)) for k, r in rows]


async def test_a_replaced_meter_is_suspected_until_confirmed_then_the_heat_is_continuous(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, writer: HistorianWriter
) -> None:
    swap = local(2026, 11, 15, 10, 0)
    readings, (old_final,) = november_with_swaps([(swap, 3.0)])
    await record(writer, "meter.energy", readings)
    meters = MeterLog(historian_config, writer.engine, bus, clock)
    november = parse_period("2026-11", historian_config)

    before = build_report(writer.engine, historian_config, november)
    assert before.wood_heat_mwh is None
    assert before.incomplete["wood_heat_mwh"] is Shortfall.RESET
    (suspect,) = await meters.suspected(november.start, november.end)
    assert suspect.point == "meter.energy"
    assert suspect.drop.before == pytest.approx(old_final - 5.0)  # the old meter's last reading
    assert suspect.drop.after == pytest.approx(8.0)  # the new meter's first
    assert abs(suspect.drop.at - swap) <= timedelta(hours=1)

    await meters.confirm_replacement(
        AGENT, "meter.energy", swap, old_final, 3.0, "compteur changé par Dalkia"
    )
    with pytest.raises(MeterRefused) as refused:  # the same one twice would count the old meter twice
        await meters.confirm_replacement(AGENT, "meter.energy", swap + timedelta(hours=1), old_final, 3.0)
    assert refused.value.reason == "already_confirmed"
    after = build_report(writer.engine, historian_config, november)
    assert "wood_heat_mwh" not in after.incomplete
    assert after.wood_heat_mwh == pytest.approx(30 * 24 * RATE / 1000.0)  # the true consumption
    assert await meters.suspected(november.start, november.end) == []


async def test_several_replacements_are_counted_through(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, writer: HistorianWriter
) -> None:
    swaps = [(local(2026, 11, 5, 8, 15), 0.0), (local(2026, 11, 20, 14, 40), 12.0)]
    readings, finals = november_with_swaps(swaps)
    await record(writer, "meter.energy", readings)
    meters = MeterLog(historian_config, writer.engine, bus, clock)
    for (at, initial), final in zip(swaps, finals, strict=True):
        await meters.confirm_replacement(AGENT, "meter.energy", at, final, initial)
    start, end = local(2026, 11, 1), local(2026, 12, 1)
    with writer.engine.connect() as conn:
        assert counter_delta(conn, historian_config.site.id, "meter.energy", start, end) == pytest.approx(
            30 * 24 * RATE
        )
        week = counter_delta(
            conn, historian_config.site.id, "meter.energy", local(2026, 11, 2), local(2026, 11, 9)
        )
    assert week == pytest.approx(7 * 24 * RATE)


async def test_a_meter_read_by_hand_on_the_first_of_each_month_gives_the_months_figure(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, writer: HistorianWriter
) -> None:
    meters = MeterLog(historian_config, writer.engine, bus, clock)  # oil.litres: no samples at all
    await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 1, 9, 10), 5000.0)
    await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 16, 11, 0), 5450.0)
    await meters.enter_reading(AGENT, "oil.litres", local(2026, 12, 1, 10, 30), 6200.0)
    report = build_report(writer.engine, historian_config, parse_period("2026-11", historian_config))
    assert "oil_litres" not in report.incomplete
    assert report.oil_litres == pytest.approx(1200.0)
    assert report.coverage["oil_litres"].complete  # the index read on site vouches for the month
    october = build_report(writer.engine, historian_config, parse_period("2026-10", historian_config))
    assert october.oil_litres is None  # no reading at its start


async def test_a_reading_below_the_previous_is_refused_unless_a_replacement_came_between(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock, writer: HistorianWriter
) -> None:
    meters = MeterLog(historian_config, writer.engine, bus, clock)
    await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 1, 9), 5000.0)
    with pytest.raises(MeterRefused) as refused:
        await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 10, 9), 4000.0)
    assert (refused.value.reason, refused.value.value) == ("below_last", 5000.0)
    with pytest.raises(MeterRefused) as refused:  # the old meter cannot end below its last reading
        await meters.confirm_replacement(AGENT, "oil.litres", local(2026, 11, 5, 9), 4900.0, 0.0)
    assert (refused.value.reason, refused.value.value) == ("final_below_last", 5000.0)
    await meters.confirm_replacement(AGENT, "oil.litres", local(2026, 11, 5, 9), 5100.0, 20.0)
    await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 10, 9), 400.0)
    with pytest.raises(MeterRefused) as refused:
        await meters.enter_reading(AGENT, "oil.litres", local(2026, 11, 12, 9), 10.0)
    assert (refused.value.reason, refused.value.value) == ("below_last", 400.0)
    for point, at, reason in (
        ("wood.power", local(2026, 11, 12), "unknown_point"),  # kW: not a counter
        ("nowhere.energy", local(2026, 11, 12), "unknown_point"),
        ("oil.litres", clock.now() + timedelta(minutes=1), "future"),
    ):
        with pytest.raises(MeterRefused) as refused:
            await meters.enter_reading(AGENT, point, at, 9000.0)
        assert refused.value.reason == reason
    with pytest.raises(MeterRefused) as refused:
        await meters.confirm_replacement(AGENT, "oil.litres", local(2026, 11, 13), 9000.0, -1.0)
    assert refused.value.reason == "negative"
    with writer.engine.connect() as conn:
        assert counter_delta(
            conn, historian_config.site.id, "oil.litres", local(2026, 11, 1), local(2026, 11, 10, 12)
        ) == (pytest.approx(5100.0 - 5000.0 + 400.0 - 20.0))
    rows = await audited(writer)
    reading, replacement = ActionKind.MANUAL_READING.value, ActionKind.METER_REPLACEMENT.value
    assert rows == [
        (reading, "ok"),
        (reading, "refused"),
        (replacement, "refused"),
        (replacement, "ok"),
        (reading, "ok"),
        (reading, "refused"),
        (reading, "refused"),
        (reading, "refused"),
        (reading, "refused"),
        (replacement, "refused"),
    ]


async def test_the_migration_upgrades_a_0008_database(historian_db: HistorianDb) -> None:
    engine = historian_db.engine()
    database.migrate(engine, "0008")
    with engine.begin() as conn:
        conn.execute(schema.points.insert().values(site_id="joucas", name="meter.energy", unit="kWh"))
    assert not {t.name for t in METER_TABLES} & set(inspect(engine).get_table_names())
    database.migrate(engine)
    assert {t.name for t in METER_TABLES} <= set(inspect(engine).get_table_names())
    assert (
        database.current_revision(engine)
        == ScriptDirectory.from_config(database.alembic_config()).get_current_head()
    )
    with engine.connect() as conn:
        assert conn.execute(select(schema.points.c.name)).scalars().all() == ["meter.energy"]
    engine.dispose()


async def test_the_simulators_replaced_meter_is_suspected_then_its_energy_is_continuous_once_confirmed(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    """End to end: the simulator's school heat meter polled over M-Bus on loopback every hour
    for 12 hours, replaced after 6 (its index back to 3); the history stores what the bridge
    published. The true consumption is the simulator's own counter, which no replacement touches."""
    port = free_port()
    cfg = with_meters(historian_config, port, poll_s=HOUR_S)
    plant = Plant(cfg)
    plant.step(2 * HOUR_S)
    ecole = plant.meters.meters["ecole"]
    link = cfg.links["meters"]
    assert isinstance(link, MbusLink)
    source = MbusLinkSource("meters", link, cfg.points_of("meters"), bus, clock)
    server = MbusGatewayServer("meters", plant.meters, port)
    await server.start()
    true, swapped_at = [], clock.now()
    try:
        async with HistorianWriter(cfg, bus, clock) as writer, running(source):
            for hour in range(13):
                if hour == 7:
                    ecole.replace(initial=3.0)
                    swapped_at = clock.now() + timedelta(minutes=30)  # between two polls
                polls = source.polls
                await advance_until(clock, lambda n=polls: source.polls > n, step=HOUR_S, settle=5)  # type: ignore[misc]
                true.append((clock.now(), ecole.energy_kwh))
                plant.step(HOUR_S)
            await writer.flush()
            engine = writer.engine
            (start, first), (end, last) = true[0], true[-1]
            site, name = cfg.site.id, "heat.ecole.energy"
            with engine.connect() as conn:
                assert shortfall(conn, site, name, start, end + timedelta(seconds=1)) is Shortfall.RESET
            final, initial = ecole.replacements[-1]
            await MeterLog(cfg, engine, bus, clock).confirm_replacement(
                AGENT, name, swapped_at, final, initial
            )
            with engine.connect() as conn:
                assert shortfall(conn, site, name, start, end + timedelta(seconds=1)) is None
                delta = counter_delta(conn, site, name, start, end + timedelta(seconds=1))
    finally:
        await server.stop()
    assert last - first > 10.0  # a cold day: the school used heat
    assert delta == pytest.approx(last - first, abs=0.2)  # the records' 0.1 kWh, twice
