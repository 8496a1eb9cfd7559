"""The single writer records samples (deadbanded, with heartbeat), rollups and every record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import schema
from chaufferie.historian.writer import HistorianWriter
from tests.historian.support import ack, alarm, count, delivery, every, oil_start, tag


async def test_samples_inside_deadband_are_skipped_until_the_heartbeat(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    # buffer.temp_top: deadband 0.1 K, heartbeat 60 s in joucas.yaml
    point = historian_config.point("buffer.temp_top")
    assert point.deadband > 0
    t0 = clock.now()
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for i, t in enumerate(every(t0, 1.0, 120)):
            writer.accept(tag(point.name, 70.0 + (0.01 * (i % 2)), t))
        writer.accept(tag(point.name, 71.0, t0 + timedelta(seconds=120)))
        await writer.flush()
        with writer.engine.connect() as conn:
            times = (
                conn.execute(select(schema.samples.c.time).order_by(schema.samples.c.time)).scalars().all()
            )
    offsets = [(t - t0).total_seconds() for t in times]
    assert offsets == [0.0, point.heartbeat_s, 120.0]


async def test_every_record_kind_is_stored_with_site_and_increasing_sequence(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    t = clock.now()
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for message in (oil_start(t), alarm(t), ack(t), delivery(t, 3.2)):
            bus.publish(message)
        await writer.flush()
        engine = writer.engine
        counts = {
            t: count(engine, t)
            for t in ("plant_events", "alarm_transitions", "operator_actions", "chip_deliveries")
        }
        assert counts == {
            "plant_events": 1,
            "alarm_transitions": 1,
            "operator_actions": 2,
            "chip_deliveries": 1,
        }
        with engine.connect() as conn:
            seqs = []
            for table in schema.RECORD_TABLES:
                seqs += conn.execute(select(table.c.site_id, table.c.seq)).all()
            mass = conn.execute(select(schema.chip_deliveries.c.mass_kg)).scalar_one()
    assert {site for site, _ in seqs} == {"joucas"}
    assert sorted(s for _, s in seqs) == sorted({s for _, s in seqs})
    assert mass == 3200.0


async def test_rollups_hold_min_max_mean_count_of_every_value(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    t0 = clock.now().replace(minute=0, second=0)
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for i, t in enumerate(every(t0, 10.0, 12)):  # two minutes of values 0..11
            writer.accept(tag("buffer.temp_top", float(i), t))
        await writer.flush()
        with writer.engine.connect() as conn:
            rows = (
                conn.execute(select(schema.rollup_minute).order_by(schema.rollup_minute.c.bucket))
                .mappings()
                .all()
            )
            hour = conn.execute(select(schema.rollup_hour)).mappings().one()
    assert [(r["min"], r["max"], r["mean"], r["last"], r["count"]) for r in rows] == [
        (0.0, 5.0, 2.5, 5.0, 6),
        (6.0, 11.0, 8.5, 11.0, 6),
    ]
    assert (hour["min"], hour["max"], hour["mean"], hour["count"], hour["good_ratio"]) == (
        0.0,
        11.0,
        5.5,
        12,
        1.0,
    )


async def test_partial_rollups_flushed_twice_merge_into_one_bucket(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    t0 = clock.now().replace(minute=0, second=0)
    async with HistorianWriter(historian_config, bus, clock) as writer:
        writer.accept(tag("buffer.temp_top", 10.0, t0))
        await writer.flush()
        writer.accept(tag("buffer.temp_top", 20.0, t0 + timedelta(seconds=30)))
        await writer.flush()
        with writer.engine.connect() as conn:
            row = conn.execute(select(schema.rollup_minute)).mappings().one()
    assert (row["min"], row["max"], row["mean"], row["last"], row["count"]) == (10.0, 20.0, 15.0, 20.0, 2)


async def test_writer_run_batches_bus_messages_on_the_flush_interval(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    import asyncio

    async with HistorianWriter(historian_config, bus, clock) as writer:
        task = asyncio.create_task(writer.run())
        for i, t in enumerate(every(clock.now(), 1.0, 50)):
            bus.publish(tag("wood.power", float(i), t))
        await clock.advance(historian_config.storage.flush_interval_s)
        for _ in range(100):
            if writer.health.written:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        assert count(writer.engine, "samples") == 50


async def test_stopping_run_when_the_bus_is_drained_loses_no_message(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    """The lifespan's stop: wait for an empty bus queue, cancel run(), leave the context."""
    import asyncio

    t0 = clock.now()
    async with HistorianWriter(historian_config, bus, clock) as writer:
        task = asyncio.create_task(writer.run())
        await asyncio.sleep(0)
        for i in range(30_000):
            bus.publish(tag(f"load.p{i % 10}", float(i), t0 + timedelta(milliseconds=100 * i)))
            if i % 1000 == 0:
                await asyncio.sleep(0)
        for _ in range(10_000):
            if not bus.queue_sizes["historian"]:
                break
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.wait([task])
    assert count(writer.engine, "samples") == 30_000


async def test_retention_trims_raw_and_minutes_and_keeps_hours(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    retention = historian_config.storage.retention  # raw 90 days, minutes 730, hours forever
    now = clock.now()
    old, recent = now - timedelta(days=800), now - timedelta(days=1)
    async with HistorianWriter(historian_config, bus, clock) as writer:
        for t in (old, recent):
            writer.accept(tag("wood.power", 50.0, t))
        await writer.flush()
        dropped = writer.store.apply_retention(now, retention)
        with writer.engine.connect() as conn:
            raw = conn.execute(select(schema.samples.c.time)).scalars().all()
            minutes = conn.execute(select(schema.rollup_minute.c.bucket)).scalars().all()
            hours = conn.execute(select(schema.rollup_hour.c.bucket)).scalars().all()
    assert raw == [recent]
    assert [m.date() for m in minutes] == [recent.date()]
    assert sorted(h.date() for h in hours) == [old.date(), recent.date()]
    assert dropped.get("samples", 0) + dropped.get("samples_partitions", 0) == 1


async def test_a_row_the_database_refuses_is_dropped_alone_and_counted(
    historian_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    t = clock.now()
    async with HistorianWriter(historian_config, bus, clock) as writer:
        good = [writer.maker.plant_event(oil_start(t)), writer.maker.plant_event(oil_start(t))]
        broken = writer.maker.plant_event(oil_start(t))
        broken[1]["kind"] = None  # NOT NULL
        writer._pending.extend([good[0], broken, good[1]])
        await writer.flush()
        assert writer.health.rejected == 1
        assert writer.spool.empty
        assert count(writer.engine, "plant_events") == 2
