"""Tables of the meters' logbook entries, on the historian's ``metadata``.

Owns: ``meter_replacements``, one row per meter replacement the agent confirmed (the point,
when, the old meter's final index and the new meter's initial index, a comment, who); and
``manual_readings``, one row per index read by hand (the point, when, the index, who). Both
name the point by (site, name), not by ``points.id``: a meter that is not connected has no
row in ``points``. How the readings use them is :mod:`.readings`'s rule. Created by the
Alembic revision ``0009``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from chaufferie.historian.schema import NAME, SITE, metadata
from chaufferie.historian.sqltypes import UtcTime

meter_replacements = Table(
    "meter_replacements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(SITE), nullable=False),
    Column("point", String(NAME), nullable=False),
    Column("replaced_at", UtcTime(), nullable=False),
    Column("old_final", Float, nullable=False),
    Column("new_initial", Float, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", UtcTime(), nullable=False),
    Index("meter_replacements_point", "site_id", "point", "replaced_at"),
)

manual_readings = Table(
    "manual_readings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(SITE), nullable=False),
    Column("point", String(NAME), nullable=False),
    Column("read_at", UtcTime(), nullable=False),
    Column("value", Float, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", UtcTime(), nullable=False),
    Index("manual_readings_point", "site_id", "point", "read_at"),
)

METER_TABLES = (meter_replacements, manual_readings)
