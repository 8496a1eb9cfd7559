"""``chaufferie report``: the monthly or seasonal energy or contract report as CSV, XML or HTML.

``chaufferie report --month 2026-01 --format csv`` (or ``--season 2025-2026``) reads the
history in the configured database and writes the energy report to standard output or
``--output``; ``--contract`` gives the maintenance contract's report instead (calls, delays,
late days, penalties, disputes; calls still open counted up to now). CSV is French by
default (``;``, decimal comma, UTF-8 with BOM); ``--csv-style rfc4180`` gives the plain
variant. XML follows ``historian/exchange.xsd``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from chaufferie.commands import documents
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.contract import build_contract_report
from chaufferie.historian.contract_format import contract_csv, contract_html, contract_xml
from chaufferie.historian.report import Period, build_report
from chaufferie.historian.report_format import report_csv, report_html, report_xml


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report", help="energy or contract report / rapport énergétique ou du contrat (CSV, XML, HTML)"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM, e.g. 2026-01")
    when.add_argument("--season", help="YYYY-YYYY heating season, e.g. 2025-2026")
    p.add_argument(
        "--contract",
        action="store_true",
        help="the maintenance contract's report / le rapport du contrat d'exploitation",
    )
    p.add_argument("--format", choices=("csv", "xml", "html"), default="csv")
    p.add_argument("--csv-style", choices=("fr", "rfc4180"), default="fr")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="HTML language")
    documents.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def build(engine: Engine, cfg: PlantConfig, period: Period | None) -> bytes:
        if period is None:  # argparse requires --month or --season
            raise documents.DocumentError("a month or a season is needed", 2)
        return _contract(engine, cfg, period, args) if args.contract else _energy(engine, cfg, period, args)

    return documents.produce(args, args.month or args.season, build)


def _contract(engine: Engine, cfg: PlantConfig, period: Period, args: argparse.Namespace) -> bytes:
    report = build_contract_report(engine, cfg, period, datetime.now(UTC))
    tz = ZoneInfo(cfg.site.timezone)
    if args.format == "csv":
        return contract_csv(report, tz, args.csv_style)
    if args.format == "xml":
        return contract_xml(report, tz, cfg.site.timezone)
    return contract_html(report, tz, args.lang)


def _energy(engine: Engine, cfg: PlantConfig, period: Period, args: argparse.Namespace) -> bytes:
    report = build_report(engine, cfg, period)
    tz, lhv = ZoneInfo(cfg.site.timezone), cfg.plant.chips_lhv_kwh_per_t
    if args.format == "csv":
        return report_csv(report, lhv, tz, args.csv_style)
    if args.format == "xml":
        return report_xml(report, lhv, tz, cfg.site.timezone)
    return report_html(report, lhv, tz, args.lang)
