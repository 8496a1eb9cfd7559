"""Historian: samples, events and audit in SQLite or PostgreSQL; trends, reports and exports.

Owns the database schema (``schema``, Alembic revisions in ``migrations/``), the single
writer fed by the bus (``writer``: deadband, rollups, batches, on-disk spool when the
database is away), the queries (``queries``: trends, event history, interventions), the
energy reports (``report``) and the exchange formats (``exports``: French and RFC 4180 CSV,
the XML format described by ``exchange.xsd``).

May import: ``chaufferie.config``, ``chaufferie.plc_bridge``, ``chaufferie.supervisor``,
``chaufferie.alarms`` (layers below it), the standard library and third-party libraries.
"""
