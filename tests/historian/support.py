"""Helpers shared by the historian tests: building messages and counting rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from chaufferie.config.vocabulary import (
    ActionKind,
    AlarmState,
    AlarmTransition,
    Channel,
    Context,
    OilRole,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    Quality,
    TagValue,
)
from chaufferie.historian import schema


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
