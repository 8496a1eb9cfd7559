"""City-wide queries: records by site and time, and two views for analysis tools.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

A central database holds many sites' records; the city view and analysis tools ask for one
site's records over a period. The record tables are keyed by (site_id, seq) with an index on
time alone, so each gets an index on (site_id, time) (cheap on a site: records are few).
These indexes live here only, not on the tables of :mod:`~chaufferie.historian.schema`
(revision 0001 creates those tables from the metadata).

Two read-only views, documented in docs/central.md ("Vues d'analyse / Analysis views"):
``city_points_hourly``, the hourly rollups with their site, point name, unit and labels (no
join to write); ``city_sites``, each registered site with its last sequence stored, its last
batch and its refusals count. Monthly energy is deliberately not a view: it needs the meters'
rule (replacements, resets; docs/historian.md, « Compteurs »), which lives once, in the report.
"""

from __future__ import annotations

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

RECORD_TABLES = (  # as of this revision (a migration does not follow later changes of the schema)
    "plant_events",
    "alarm_transitions",
    "notifications",
    "operator_actions",
    "link_events",
    "commands",
    "chip_deliveries",
    "ash_removals",
)

POINTS_HOURLY = """
CREATE VIEW city_points_hourly AS
SELECT p.site_id, p.name AS point, p.unit, p.label_fr, p.label_en,
       r.bucket, r.mean, r.min, r.max, r.last, r.count, r.good_ratio
FROM rollup_hour r JOIN points p ON p.id = r.point_id
"""

SITES = """
CREATE VIEW city_sites AS
SELECT s.site_id, s.name, s.kind, s.registered_at, s.revoked_at,
       COALESCE(q.last_seq, 0) AS last_seq,
       (SELECT MAX(b.received_at) FROM central_batches b WHERE b.site_id = s.site_id) AS last_batch_at,
       (SELECT COUNT(*) FROM central_refusals f WHERE f.claimed_site = s.site_id) AS refusals
FROM central_sites s LEFT JOIN site_sequences q ON q.site_id = s.site_id
"""


def _index(table: str) -> str:
    return f"ix_{table}_site_time"


def upgrade() -> None:
    for table in RECORD_TABLES:
        op.create_index(_index(table), table, ["site_id", "time"])
    op.execute(POINTS_HOURLY)
    op.execute(SITES)


def downgrade() -> None:
    op.execute("DROP VIEW city_sites")
    op.execute("DROP VIEW city_points_hourly")
    for table in reversed(RECORD_TABLES):
        op.drop_index(_index(table), table_name=table)
