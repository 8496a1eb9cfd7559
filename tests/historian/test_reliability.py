"""Nothing is lost: database outages go to the disk spool, replayed in order when it returns."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import SystemEvent
from chaufferie.historian import schema
from chaufferie.historian.database import make_engine
from chaufferie.historian.writer import LOSS_SIGNAL, HistorianWriter
from chaufferie.simulations.tags import READERS as SIMULATED
from tests.conftest import free_port
from tests.historian.conftest import HistorianDb
from tests.historian.support import ack, alarm, count, oil_start, snapshot, tag, unavailable

POINTS = ("buffer.temp_top", "wood.power", "outdoor.temp")


async def _settle(writer: HistorianWriter) -> None:
    """Let the writer's worker threads finish what the last clock step started."""
    for _ in range(50):
        if not writer._lock.locked():
            return
        await asyncio.sleep(0.01)


async def test_one_hour_outage_loses_no_sample_event_or_audit_record(
    historian_config: PlantConfig, historian_db: HistorianDb, bus: Bus, clock: VirtualClock
) -> None:
    engine = historian_db.engine(busy_timeout_s=0.01)
    async with HistorianWriter(historian_config, bus, clock, engine=engine) as writer:
        task = asyncio.create_task(writer.run())
        published = 0
        with unavailable(historian_db):
            for step in range(360):  # one hour of virtual time, a value of each point every 10 s
                t = clock.now()
                for i, point in enumerate(POINTS):
                    bus.publish(tag(point, 20.0 + i + step, t))
                    published += 1
                if step % 60 == 0:
                    bus.publish(oil_start(t))
                    bus.publish(alarm(t))
                    bus.publish(ack(t))
                await clock.advance(10)
                await _settle(writer)
            assert not writer.health.database_ok
            assert writer.spool.size_bytes > 0
        await writer.flush()
        task.cancel()
        assert writer.health.database_ok
        assert writer.spool.empty
        assert writer.health.lost == 0
        assert count(engine, "samples") == published
        assert count(engine, "plant_events") == 6
        assert count(engine, "alarm_transitions") == 6
        assert count(engine, "operator_actions") == 6
        with engine.connect() as conn:
            hours = conn.execute(select(schema.rollup_minute.c.count)).scalars().all()
        assert sum(hours) == published


async def test_spool_full_counts_logs_and_signals_the_loss(
    config: PlantConfig, historian_db: HistorianDb, bus: Bus, clock: VirtualClock, caplog: object
) -> None:
    storage = config.storage.model_copy(update={"url": historian_db.url, "spool_max_mb": 0.01})
    cfg = config.model_copy(update={"storage": storage})
    watch = bus.subscribe(SystemEvent, name="alarms")
    engine = historian_db.engine(busy_timeout_s=0.01)
    async with HistorianWriter(cfg, bus, clock, engine=engine) as writer:
        with unavailable(historian_db):
            for i in range(400):
                writer.accept(oil_start(clock.now() + timedelta(seconds=i)))
            await writer.flush()
        spooled = writer.health.spooled
        assert writer.health.lost == 400 - spooled > 0
        episode = [m for m in watch.drain() if isinstance(m, SystemEvent)]
        assert [(e.signal, e.active) for e in episode] == [(LOSS_SIGNAL, True)]  # once per episode
        assert "enregistrements perdus" in episode[0].detail_fr
        assert "records lost" in episode[0].detail_en
        await writer.flush()
        assert count(engine, "plant_events") == spooled
        over = [(m.signal, m.active) for m in watch.drain() if isinstance(m, SystemEvent)]
        assert over == [(LOSS_SIGNAL, False)]  # the database is back: the episode ends


def test_kill_9_mid_batch_then_restart_recovers_the_spool(
    historian_config: PlantConfig, historian_db: HistorianDb, tmp_path: Path
) -> None:
    data_dir = Path(historian_config.data_dir)
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/gone"
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("spool_child.py")), str(data_dir), unreachable],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if int(line.split()[1]) >= 500:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    spool_dir = historian_config.data_path(historian_config.storage.spool_dir)
    lines = [raw for p in spool_dir.glob("*.jsonl") for raw in p.read_bytes().splitlines(keepends=True)]
    complete = sum(raw.endswith(b"\n") for raw in lines)
    assert complete >= 500

    async def restart() -> None:
        async with HistorianWriter(historian_config, Bus(), VirtualClock()) as writer:
            await writer.flush()
            assert writer.spool.empty
            assert writer.health.replayed == complete
            with writer.engine.connect() as conn:
                seqs = conn.execute(select(schema.plant_events.c.seq).order_by("seq")).scalars().all()
            assert seqs == list(range(1, complete + 1))

    asyncio.run(restart())


def test_spool_skips_a_line_cut_short_by_a_crash(tmp_path: Path) -> None:
    from chaufferie.historian.spool import Spool

    spool = Spool(tmp_path, 1 << 20)
    rows = [("plant_events", {"seq": i, "time": None}) for i in range(3)]
    assert spool.append(rows) == 3
    segment = spool.segments()[0]
    with segment.open("ab") as f:
        f.write(b'["plant_events",{"seq":3,"ti')
    assert [r[1]["seq"] for r in Spool(tmp_path, 1 << 20).read(segment)] == [0, 1, 2]


class _Taps:
    def __init__(self, *taps: Any) -> None:
        self.taps = taps

    def poll(self, now: Any) -> None:
        for tap in self.taps:
            tap.poll(now)


async def _replay_into(cfg: PlantConfig, engine: Engine, outage: HistorianDb | None) -> None:
    """Two model hours of the cold snap into a writer; the first hour with the database away."""
    from chaufferie.replay import Replay
    from chaufferie.replay_tap import PlantTap

    replay = Replay(cfg, "cold-snap", alarms=False)
    clock = VirtualClock(replay.plant.now)
    names = [p.name for p in cfg.points if p.name in SIMULATED]
    async with HistorianWriter(cfg, Bus(), clock, engine=engine) as writer:
        replay.tap = _Taps(replay.tap, PlantTap(cfg, replay.plant, names, [writer.accept]))  # type: ignore[assignment]
        with unavailable(outage) if outage is not None else nullcontext():
            for minute in range(120):
                if minute == 60 and outage is not None:
                    break
                await _minute(replay, writer, clock, minute)
            if outage is not None:
                assert writer.spool.size_bytes > 0
        for minute in range(60 if outage is not None else 120, 120):
            await _minute(replay, writer, clock, minute)
        await writer.flush()
        assert writer.spool.empty
        assert writer.health.lost == 0


async def _minute(replay: Any, writer: HistorianWriter, clock: VirtualClock, minute: int) -> None:
    before = len(replay.events)
    replay.run(until_s=(minute + 1) * 60.0)
    for event in replay.events[before:]:
        writer.accept(event)
    if minute % 15 == 0:
        writer.accept(ack(replay.plant.now, user=f"tech{minute}"))
    await clock.advance(60)
    await writer._commit()


async def test_simulator_hour_with_database_away_keeps_the_same_history_as_without(
    historian_config: PlantConfig, historian_db: HistorianDb, tmp_path: Path
) -> None:
    away = historian_db.engine(busy_timeout_s=0.01)
    await _replay_into(historian_config, away, historian_db)
    reference_cfg = historian_config.model_copy(update={"data_dir": str(tmp_path / "reference")})
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    await _replay_into(reference_cfg, reference, None)
    got, expected = snapshot(away), snapshot(reference)
    assert len(expected["samples"]) > 1000
    assert len(expected["plant_events"]) > 0
    assert len(expected["operator_actions"]) == 8
    for table in ("samples", "plant_events", "operator_actions", "rollup_minute", "rollup_hour"):
        assert len(got[table]) == len(expected[table]), table
    for table in ("samples", "rollup_minute", "rollup_hour"):
        assert got[table] == expected[table], table
    away.dispose()
    reference.dispose()
