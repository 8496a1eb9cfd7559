"""``chaufferie check-config FILE``: validate a configuration file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chaufferie.config.loader import ConfigError, load_config


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "check-config", help="validate a configuration file / valider un fichier de configuration"
    )
    p.add_argument("file", help="YAML configuration file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s) in {exc.file}", file=sys.stderr)
        return 1
    print(
        f"{args.file}: OK — site {cfg.site.id}, {len(cfg.points)} points, "
        f"{len(cfg.links)} links, {len(cfg.alarms)} alarms"
    )
    return 0
