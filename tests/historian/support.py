"""Helpers shared by the historian tests: building messages and counting rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine, func, make_url, select

from chaufferie.config.loader import default_config_path
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    Message,
    OilRole,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    Quality,
    TagValue,
)
from chaufferie.historian import schema
from chaufferie.replay_tap import PlantTap

if TYPE_CHECKING:
    from tests.historian.conftest import HistorianDb


def tag(point: str, value: float | bool, t: datetime, quality: Quality = Quality.GOOD) -> TagValue:
    return TagValue(point, value, quality, t, t)


def oil_start(t: datetime, role: OilRole = OilRole.REPLACEMENT, reason: str = "wood_fault") -> PlantEvent:
    return PlantEvent(
        PlantEventKind.OIL_STARTED, t, reason=reason, message=f"oil started as {role.value}", oil_role=role
    )


def alarm(
    t: datetime, code: str = "CHB-DEF", priority: int = 1, message: str = "Défaut chaudière bois"
) -> AlarmTransition:
    return AlarmTransition(
        code,
        f"{code}-{t.timestamp():.0f}",
        priority,
        AlarmState.NORMAL,
        AlarmState.UNACKED,
        "activate",
        t,
        True,
        message=message,
    )


def ack(t: datetime, user: str = "alice") -> OperatorAction:
    ctx = Context(origin="hmi", user=user, channel=Channel.LINK, address="127.0.0.1")
    return OperatorAction(ActionKind.ACKNOWLEDGE, t, ctx, target="CHB-DEF")


def delivery(t: datetime, tonnes: float, supplier: str = "Bois du Ventoux") -> OperatorAction:
    ctx = Context(origin="hmi", user="agent", channel=Channel.HMI)
    return OperatorAction(ActionKind.CHIP_DELIVERY, t, ctx, details={"tonnes": tonnes, "supplier": supplier})


def count(engine: Engine, table_name: str) -> int:
    table = schema.metadata.tables[table_name]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def every(start: datetime, step_s: float, n: int) -> list[datetime]:
    return [start + timedelta(seconds=step_s * i) for i in range(n)]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every historian row, point ids replaced by point names, in a stable order."""
    with engine.connect() as conn:
        names = dict(conn.execute(select(schema.points.c.id, schema.points.c.name)).all())
        out: dict[str, list[dict[str, Any]]] = {}
        for table in schema.HISTORIAN_TABLES:
            if table.name in ("site_sequences",):
                continue
            rows = [dict(r) for r in conn.execute(select(table)).mappings()]
            for r in rows:
                if "point_id" in r:
                    r["point"] = names[r.pop("point_id")]
                r.pop("id", None)
            out[table.name] = sorted(rows, key=repr)
    return out


COUNTERS = ("meter.energy", "oil.litres", "wood.fuel_burnt")


def winter_readings(tz: ZoneInfo) -> list[TagValue]:
    """Counters read every hour in January and March 2026 (from 00:30 on the 1st), nothing in
    February, and the heat meter reset (back to 0) on 15 March: January is complete,
    February and March are not."""
    out: list[TagValue] = []
    for month, base in ((1, 0.0), (3, 100_000.0)):
        start = datetime(2026, month, 1, tzinfo=tz).astimezone(UTC) + timedelta(minutes=30)
        for i, t in enumerate(every(start, 3600.0, 31 * 24)):
            for point in COUNTERS:
                value = base + 10.0 * i
                if point == "meter.energy" and month == 3 and i >= 14 * 24:
                    value = 10.0 * (i - 14 * 24)  # the meter was replaced: it starts again from 0
                out.append(tag(point, value, t))
    return out


def config_file(cfg: PlantConfig, folder: Path) -> Path:
    """The shipped configuration with ``cfg``'s storage and data folder, as a file for the CLI."""
    raw = yaml.safe_load(default_config_path().read_text())
    raw["storage"] = {"url": cfg.storage.url}
    raw["data_dir"] = cfg.data_dir
    path = folder / "plant.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


RECORDED = (
    "meter.energy",
    "meter.power",
    "oil.litres",
    "oil.burner_on",
    "wood.fuel_burnt",
    "wood.power",
    "outdoor.temp",
    "buffer.temp_top",
)
"""The points the report reads, and a few to draw (the tap polls each one every model step)."""


class Heartbeat:
    """Republishes each point's last value when it has not changed for ``HEARTBEAT``, as the
    PLC bridge does every ``heartbeat_s`` (60 s) and the replay's tap does not: a counter that
    stands still (oil litres while the oil boiler is off) still has readings, so the report
    sees the period covered. A quarter of an hour keeps the replay quick."""

    HEARTBEAT = timedelta(minutes=15)

    def __init__(self, sink: Callable[[Message], None]) -> None:
        self.sink = sink
        self.last: dict[str, TagValue] = {}

    def accept(self, message: Message) -> None:
        if isinstance(message, TagValue):
            self.last[message.point] = message
        self.sink(message)

    def poll(self, now: datetime) -> None:
        for tag in list(self.last.values()):
            if now - tag.receive_time >= self.HEARTBEAT:
                self.accept(replace(tag, source_time=now, receive_time=now))


class Taps:
    """The replay's own tap, the historian's and its heartbeat, polled together."""

    def __init__(self, *taps: PlantTap | Heartbeat) -> None:
        self.taps = taps

    def poll(self, now: datetime) -> None:
        for tap in self.taps:
            tap.poll(now)


@contextmanager
def unavailable(db: HistorianDb) -> Iterator[None]:
    """The database refuses writes: SQLite held under an exclusive lock, PostgreSQL closed."""
    if db.server is not None:
        db.server.set_available(db.name, False)
        try:
            yield
        finally:
            db.server.set_available(db.name, True)
        return
    holder = sqlite3.connect(str(make_url(db.url).database), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
