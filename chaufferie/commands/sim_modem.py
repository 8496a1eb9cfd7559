"""``chaufferie sim-modem``: a simulated GSM modem on a pseudo-terminal (docs/modem.md).

For commissioning drills and the tests: ``chaufferie sim-modem --link /tmp/modem`` makes
``/tmp/modem`` a serial port that answers as a GSM modem (the AT commands Gammu uses), until
SIGINT/SIGTERM; ``--control SOCKET`` takes JSON-lines orders (an SMS arrives, no network,
unplugged...). Point ``notifiers.modem.device`` at the link to send through it.
"""

from __future__ import annotations

import argparse
from typing import Any

from chaufferie.simulations.modem import build_parser, run


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sim-modem", help="simulated GSM modem on a pty / modem GSM simulé"
    )
    build_parser(p)
    p.set_defaults(func=run)
