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
    "export",
    "central",
    "forward",
    "run",
    "demo",
    "notify_test",
    "sim_modem",
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

PEER_GONE = ("Cancel send, because not connected!",)
"""pymodbus messages that say only that the other end of a connection went away (a client that
stopped while the simulator answered it, a PLC that dropped the bridge): the link state says
what matters, so these are warnings, not errors, in our log."""


class PeerGone(logging.Filter):
    """Logs a library's "the other end went away" at WARNING instead of ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        first = record.getMessage().split("\n", 1)[0]  # pymodbus appends its last frames
        if record.levelno > logging.WARNING and first in PEER_GONE:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = first, None
        return True


def configure_logging(verbose: bool) -> None:
    """Our format on stderr; chatty libraries quiet unless ``verbose``; see :class:`PeerGone`."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        for noisy in NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    pymodbus = logging.getLogger("pymodbus.logging")
    if not any(isinstance(f, PeerGone) for f in pymodbus.filters):
        pymodbus.addFilter(PeerGone())


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
    configure_logging(args.verbose)
    try:
        with private_umask():
            code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
