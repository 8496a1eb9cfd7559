"""Tables of the city-wide exchange (docs/central.md), on the historian's ``metadata``.

A site's database holds ``forward_cursors``: for each central receiver it forwards to, the
last sequence number that receiver said it stored (the site's queue is its own history after
that number: nothing is copied), how many records were lost (gone by retention before they
were forwarded) and the last attempt's outcome.

A central database holds the historian's own tables for every site (the batches' rows, keyed
by site and sequence) and: ``central_sites``, the sites allowed to send (their public key,
revocation; the last sequence stored stays in ``site_sequences``); ``central_batches``, one
row per batch stored; ``central_refusals``, one row per request refused, with its reason.
Created by the Alembic revision ``0010``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from chaufferie.historian.schema import SITE, metadata
from chaufferie.historian.sqltypes import UtcTime

RECEIVER = 128

forward_cursors = Table(
    "forward_cursors",
    metadata,
    Column("receiver", String(RECEIVER), primary_key=True),
    Column("acked_seq", BigInteger, nullable=False, default=0),
    Column("lost", BigInteger, nullable=False, default=0),
    Column("last_attempt", UtcTime(), nullable=True),
    Column("last_success", UtcTime(), nullable=True),
    Column("last_error", Text, nullable=True),
)

central_sites = Table(
    "central_sites",
    metadata,
    Column("site_id", String(SITE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, default="plant"),  # plant | meters (no plant software)
    Column("public_key", Text, nullable=True),  # PEM; None for a site fed only by uploads
    Column("registered_at", UtcTime(), nullable=False),
    Column("revoked_at", UtcTime(), nullable=True),
)

central_batches = Table(
    "central_batches",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("site_id", String(SITE), nullable=False),
    Column("first_seq", BigInteger, nullable=True),
    Column("last_seq", BigInteger, nullable=True),
    Column("rows", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", UtcTime(), nullable=False),
    Column("receiver", String(RECEIVER), nullable=False),
    Index("central_batches_site", "site_id", "received_at"),
)

central_refusals = Table(
    "central_refusals",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("received_at", UtcTime(), nullable=False),
    Column("claimed_site", String(SITE), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("remote", String(64), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("receiver", String(RECEIVER), nullable=False),
    Index("central_refusals_time", "received_at"),
)

CENTRAL_TABLES: tuple[Table, ...] = (forward_cursors, central_sites, central_batches, central_refusals)
