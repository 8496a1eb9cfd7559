"""``chaufferie export``: a slice of the site's history as an exchange batch file.

``chaufferie export --month 2026-01 -o joucas-2026-01.xml`` (or ``--season 2025-2026``, or
``--from-seq N`` for everything from a sequence number on) writes the site's points, samples,
rollups and records of that period from the configured database as a batch feed
(docs/exchange.md: a NAESB ESPI / Green Button Atom feed with our records in its extensions),
the file a site that keeps its data locally hands over, or a central server imports
(``chaufferie central import``). The document is checked against ESPI's schema and our
profile before it is written.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine

from chaufferie.commands import documents
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.espi_schema import SchemaMissingError, batch_error
from chaufferie.historian.exchange import export_batch
from chaufferie.historian.periods import Period


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export", help="history as an exchange batch (ESPI XML) / historique en lot d'échange (XML ESPI)"
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", help="YYYY-MM, e.g. 2026-01")
    which.add_argument("--season", help="YYYY-YYYY heating season, e.g. 2025-2026")
    which.add_argument("--from-seq", type=int, help="every record and sample from this sequence number on")
    p.add_argument("--no-rollups", action="store_true", help="raw samples and records only")
    documents.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def build(engine: Engine, cfg: PlantConfig, period: Period | None) -> bytes:
        start, end = (None, None) if period is None else (period.start, period.end)
        data = export_batch(engine, cfg, start, end, from_seq=args.from_seq, rollups=not args.no_rollups)
        try:
            error = batch_error(data)
        except SchemaMissingError as exc:
            raise documents.DocumentError(str(exc), 3) from exc
        if error is not None:  # a defect of ours: say so rather than hand it over
            raise documents.DocumentError(f"the batch is not valid, nothing written: {error}", 4)
        return data

    return documents.produce(args, None if args.from_seq is not None else args.month or args.season, build)
