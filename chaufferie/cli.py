"""The ``chaufferie`` command and its subcommands.

Each subcommand lives in its own module of :mod:`chaufferie.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning the process exit code. Every subcommand runs under umask 077
(:func:`chaufferie.private.private_umask`): what it writes is its user's alone.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from chaufferie import __version__
from chaufferie.private import private_umask

SUBCOMMANDS = (
    "check_config",
    "catalogue",
    "backup",
    "sim",
    "tags",
    "user",
    "report",
    "run",
    "demo",
    "notify_test",
)


NOISY_LOGGERS = (
    "asyncua",
    "pymodbus",
    "uvicorn",
    "nicegui",
    "aiosmtplib",
    "twilio",
    "httpx",
    "alembic",
    "transitions",
)
"""Libraries that log every request at INFO: quiet unless ``--verbose``."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaufferie",
        description="Supervision de chaufferie bois / wood-chip boiler plant supervisor",
    )
    parser.add_argument("--version", action="version", version=f"chaufferie {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"chaufferie.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        with private_umask():
            code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
