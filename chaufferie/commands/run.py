"""``chaufferie run``: the whole system (bridge, supervisor, alarms, historian, HMI) until stopped.

SIGTERM and SIGINT stop it in stages (inputs, drain, flush, close). Under systemd it says
``READY=1`` once started, pets the watchdog while its event loop answers and logs the loop's
stack when it stalls (:mod:`chaufferie.service_manager`). Exit codes: 0 clean stop,
1 bad configuration, 2 missing secret.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from chaufferie.alarms.ack_links import MissingSecretError
from chaufferie.alarms.errors import NotifierConfigError
from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.private import close_data_dir
from chaufferie.service_manager import DEFAULT_STALL_S, LoopWatch, notify, watchdog_interval_s
from chaufferie.wiring import Runtime, bootstrap_admin, build_runtime

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run", help="run the supervisor with its HMI / lancer la supervision"
    )
    add_common_arguments(p)
    p.add_argument("--no-hmi", action="store_true", help="headless: no web interface")
    p.set_defaults(func=run)


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, help="configuration file (default: shipped joucas.yaml)")
    p.add_argument("--data-dir", default=None, help="data folder (overrides the config's data_dir)")
    p.add_argument("--host", default=None, help="HMI address (default: hmi.host)")
    p.add_argument("--port", type=int, default=None, help="HMI port (default: hmi.port)")


def load(args: argparse.Namespace) -> PlantConfig | None:
    """The configuration named by ``args``, or None after printing its problems."""
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    try:
        return load_config(args.config, **overrides)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    cfg = load(args)
    if cfg is None:
        return 1
    close_data_dir(cfg.data_dir)
    return asyncio.run(
        serve(lambda: build_runtime(cfg, with_hmi=not args.no_hmi, host=args.host, port=args.port))
    )


async def serve(build: Callable[[], Runtime], on_started: Callable[[Runtime], None] | None = None) -> int:
    """Build the runtime in the running loop, run it until SIGTERM/SIGINT, stop it in stages.

    Returns the exit code: 0 after a clean stop, 2 when a needed secret is missing.
    """
    try:
        runtime = build()
    except (MissingSecretError, NotifierConfigError) as exc:
        print(f"chaufferie: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with runtime.system, watching():
            await bootstrap_admin(runtime)
            notify(f"READY=1\nSTATUS=running, HMI on {runtime.cfg.hmi.public_url}")
            if on_started is not None:
                on_started(runtime)
            await stop.wait()
            notify("STOPPING=1")
            log.info("stop requested: stopping inputs, draining, flushing")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


def watching() -> LoopWatch:
    """The loop's watch: petting at half systemd's watchdog period, a stall said well before it."""
    every = watchdog_interval_s()
    return LoopWatch(every, stall_s=DEFAULT_STALL_S if every is None else min(DEFAULT_STALL_S, 2 * every / 3))
