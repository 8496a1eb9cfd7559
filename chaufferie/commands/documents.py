"""What the commands that write a document from the site's history share (``report``,
``export``): their options, the configuration and period read with clear errors, the
database opened and closed, the document written to a file or standard output.

Exit codes: 1 bad configuration, 2 bad period, 3 database (or schema files) unavailable, and
:class:`DocumentError`'s own code when the document cannot be made.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.periods import Period, PeriodError, parse_period


class DocumentError(Exception):
    """The document could not be made; ``code`` is the command's exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, help="plant configuration (default: the shipped one)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")


def write(data: bytes, output: str | None) -> None:
    """``data`` into the file ``output``, or to standard output."""
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def produce(
    args: argparse.Namespace,
    period_label: str | None,
    build: Callable[[Engine, PlantConfig, Period | None], bytes],
) -> int:
    """Read the configuration and the period, ``build`` the document from the database, write it."""
    try:
        cfg = load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))
        period = None if period_label is None else parse_period(period_label, cfg)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except PeriodError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = make_engine(cfg.storage_url, cfg.storage.password_env)
    try:
        migrate(engine)
        data = build(engine, cfg, period)
    except SQLAlchemyError as exc:
        print(f"database unavailable / base indisponible: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3
    except DocumentError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    finally:
        engine.dispose()
    write(data, args.output)
    return 0
