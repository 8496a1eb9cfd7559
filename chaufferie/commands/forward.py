"""``chaufferie forward status``: where the site's forwarding stands (docs/central.md).

For each central receiver the site knows: the last sequence number it acknowledged, the
samples and records still waiting (backlog), those lost (trimmed by retention before they
left), the last batch accepted and the last error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from chaufferie.config.loader import ConfigError, load_config
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.forwarder import forward_status
from chaufferie.hmi import format as fmt


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "forward", help="the site's forwarding to the central server / la transmission au serveur central"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="each receiver's cursor, backlog and losses")
    status.add_argument("--config", default=None, help="plant configuration (default: the shipped one)")
    status.add_argument("--data-dir", default=None)
    status.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not cfg.forwarding.receivers:
        print("no central receiver configured: history is kept locally (chaufferie export hands over files)")
        return 0
    engine = make_engine(cfg.storage_url, cfg.storage.password_env)
    try:
        migrate(engine)
        states = {s.receiver: s for s in forward_status(engine, cfg.site.id)}
    except SQLAlchemyError as exc:
        print(f"database unavailable / base indisponible: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3
    finally:
        engine.dispose()
    for receiver in cfg.forwarding.receivers:
        state = states.get(receiver.name)
        if state is None:
            print(f"{receiver.name}\t{receiver.url}\tnever started")
            continue
        print(
            f"{receiver.name}\t{receiver.url}\tacked={state.acked_seq}\tbacklog={state.backlog}\tlost={state.lost}"
            f"\tlast_success={fmt.local_time(state.last_success)}\tlast_error={state.last_error or '-'}"
        )
    return 1 if any(s.lost for s in states.values()) else 0
