"""Historian: samples, events and audit in SQLite or PostgreSQL; trends, reports and exports.

Owns the database (``database``: connection and migrations; ``schema``, ``access_schema``
and ``sqltypes``: the tables; Alembic revisions in ``migrations/``), the single writer fed by
the bus (``writer``, with ``sampling``: deadband, heartbeat and rollups; ``records``: bus
messages to rows; ``store``: the inserts; ``spool``: on-disk store-and-forward while the
database is away), the queries (``trends``; ``history``: the event history; ``readings``:
counters and run times over a period), the energy reports (``report``, written out by
``report_format``), the exports (``history_export``: French and RFC 4180 CSV; ``exchange``:
the exchange batch, an ESPI / Green Button Atom feed written by ``espi_feed`` with our data in
its extensions as described by ``exchange.xsd``; ``haystack``: the points' tags), the texts of
reports and exports (``catalogue``) and the access-control store (``access_store``: users,
burnt tokens, SMS ids, interventions).

May import: ``chaufferie.config``, ``chaufferie.plc_bridge``, ``chaufferie.supervisor``,
``chaufferie.alarms`` (layers below it), the standard library and third-party libraries.
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
