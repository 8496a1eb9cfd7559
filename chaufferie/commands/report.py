"""``chaufferie report``: the monthly or seasonal energy report as CSV, XML or HTML.

``chaufferie report --month 2026-01 --format csv`` (or ``--season 2025-2026``) reads the
history in the configured database and writes the report to standard output or ``--output``.
CSV is French by default (``;``, decimal comma, UTF-8 with BOM); ``--csv-style rfc4180``
gives the plain variant. XML follows ``historian/exchange.xsd``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from chaufferie.config.loader import ConfigError, load_config
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.report import PeriodError, build_report, parse_period
from chaufferie.historian.report_format import report_csv, report_html, report_xml


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report", help="energy report / rapport énergétique (CSV, XML, HTML)"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM, e.g. 2026-01")
    when.add_argument("--season", help="YYYY-YYYY heating season, e.g. 2025-2026")
    p.add_argument("--format", choices=("csv", "xml", "html"), default="csv")
    p.add_argument("--csv-style", choices=("fr", "rfc4180"), default="fr")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="HTML language")
    p.add_argument("--config", default=None, help="plant configuration (default: the shipped one)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))
        period = parse_period(args.month or args.season, cfg)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except PeriodError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = make_engine(cfg.storage_url, cfg.storage.password_env)
    try:
        migrate(engine)
        report = build_report(engine, cfg, period)
    except SQLAlchemyError as exc:
        print(f"database unavailable / base indisponible: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3
    finally:
        engine.dispose()
    tz, lhv = ZoneInfo(cfg.site.timezone), cfg.plant.chips_lhv_kwh_per_t
    if args.format == "csv":
        data = report_csv(report, lhv, tz, args.csv_style)
    elif args.format == "xml":
        data = report_xml(report, lhv, tz, cfg.site.timezone)
    else:
        data = report_html(report, lhv, tz, args.lang)
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
