"""``chaufferie sim``: run the plant simulator (the PLCs), print its map, or check it headless.

- ``chaufferie sim [--scenario S] [--speed X] [--start T --start-wall W] [--modbus-port P]
  [--opcua-port P] [--mbus-port P] [--data-dir D]`` serves the config's points on 127.0.0.1 until
  SIGINT/SIGTERM (clean stop); the plant's clock is plant time T at Unix time W, then X × wall
  time (``chaufferie demo`` gives the system the same clock).
- ``chaufferie sim --print-map`` prints the register/node map (Markdown).
- ``chaufferie sim --trust CERT.der [--data-dir D]`` adds an OPC UA client certificate (a
  commissioning tool such as UaExpert; DER or PEM) to the simulator's trust list
  (``<data-dir>/pki/trusted-clients/``) and exits; a running simulator takes it at the next session.
- ``chaufferie sim --headless --load 0.8 [--json]``: fixed-load commissioning check.
- ``chaufferie sim --headless --scenario S [--days N] [--json]``: a replay. HOOK: when the
  module ``chaufferie.replay`` exists (closed loop with the supervisor), its
  ``run_replay(cfg, scenario=S, days=N) -> dict`` is called; otherwise the plant runs open loop
  (physics only, no supervisor) and its counters are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaufferie.config.clock import Anchor
from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.private import close_data_dir
from chaufferie.simulations.headless import fixed_load_check
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.pointmap import point_map_markdown
from chaufferie.simulations.scenarios import SCENARIOS, get_scenario
from chaufferie.simulations.security import SimulatorConfigError, trust_client
from chaufferie.simulations.server import SimulatorServers

MESSAGES = {
    "serving": (
        "Simulateur « {scenario} » ×{speed:g} : Modbus 127.0.0.1:{modbus}, OPC UA {opcua} "
        "(Ctrl-C pour arrêter)"
        " / Simulator '{scenario}' ×{speed:g}: Modbus 127.0.0.1:{modbus}, OPC UA {opcua} (Ctrl-C to stop)"
    ),
    "stopped": "Simulateur arrêté / Simulator stopped",
    "cannot_listen": (
        "Impossible d'écouter (port déjà pris ?) / Cannot listen (port already in use?): {error}"
    ),
    "bad_speed": "--speed doit être > 0 / --speed must be > 0",
    "no_scenario": "--headless demande --load ou --scenario / --headless needs --load or --scenario",
    "trusted": "Certificat client approuvé / client certificate trusted: {path}",
}


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sim", help="simulateur de la chaufferie / plant simulator (Modbus TCP + OPC UA)"
    )
    p.add_argument("--config", help="YAML configuration (default: the shipped joucas.yaml)")
    p.add_argument("--scenario", choices=list(SCENARIOS), help="named scenario (default nominal)")
    p.add_argument("--speed", type=float, default=1.0, help="model seconds per wall second")
    p.add_argument(
        "--start",
        type=_aware,
        help="plant time (ISO 8601 with offset) at --start-wall; default: now (the demo passes its own)",
    )
    p.add_argument(
        "--start-wall", type=float, help="the Unix time at which the plant time is --start (default: now)"
    )
    p.add_argument("--modbus-port", type=int, help="override the Modbus link's port")
    p.add_argument("--opcua-port", type=int, help="override the OPC UA link's port")
    p.add_argument("--mbus-port", type=int, help="override the M-Bus gateway's port")
    p.add_argument("--data-dir", help="data folder (PKI goes to <data-dir>/pki)")
    p.add_argument("--print-map", action="store_true", help="print the register/node map and exit")
    p.add_argument(
        "--trust",
        metavar="CERT",
        action="append",
        help="trust this OPC UA client certificate (DER/PEM) and exit / approuver ce certificat client",
    )
    p.add_argument("--headless", action="store_true", help="physics only, no servers")
    p.add_argument("--load", type=float, help="fixed boiler load (fraction) for --headless")
    p.add_argument("--days", type=float, help="days to replay with --headless --scenario")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    if args.print_map:
        print(point_map_markdown(cfg))
        return 0
    if args.trust:
        return _trust(cfg, args.trust)
    if args.headless:
        return _headless(cfg, args)
    close_data_dir(args.data_dir or cfg.data_dir)
    if not args.speed > 0:
        print(MESSAGES["bad_speed"], file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(cfg, args))
    except SimulatorConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as exc:
        print(MESSAGES["cannot_listen"].format(error=exc), file=sys.stderr)
        return 2
    print(MESSAGES["stopped"])
    return 0


def _trust(cfg: PlantConfig, certs: list[str]) -> int:
    """Copy each certificate into the trust list of the simulator whose data folder is ``cfg``'s."""
    for cert in certs:
        try:
            path = trust_client(Path(cfg.data_dir) / "pki", Path(cert))
        except (OSError, SimulatorConfigError) as exc:
            print(exc, file=sys.stderr)
            return 2
        print(MESSAGES["trusted"].format(path=path))
    return 0


def _aware(text: str) -> datetime:
    """An ISO 8601 time with its offset (argparse type)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--start needs a time zone offset: {text}")
    return value


def _headless(cfg: PlantConfig, args: argparse.Namespace) -> int:
    if args.load is not None:
        try:
            result = fixed_load_check(cfg, args.load)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    elif args.scenario:
        result = _replay(cfg, args.scenario, args.days)
    else:
        print(MESSAGES["no_scenario"], file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def _replay(cfg: PlantConfig, scenario: str, days: float | None) -> dict[str, Any]:
    """HOOK for the supervisor's closed-loop replay; open-loop physics when it is absent."""
    try:
        replay = importlib.import_module("chaufferie.replay")
    except ModuleNotFoundError:
        replay = None
    if replay is not None:
        result: dict[str, Any] = replay.run_replay(cfg, scenario=scenario, days=days)
        return result
    wall0 = time.perf_counter()
    plant = Plant(cfg)
    plant.apply_scenario(get_scenario(scenario))
    hours = days * 24.0 if days is not None else get_scenario(scenario).duration_h
    plant.step(hours * 3600.0)
    return {
        "scenario": scenario,
        "closed_loop": False,
        "model_seconds": plant.t,
        "wall_seconds": round(time.perf_counter() - wall0, 3),
        **plant.counters.as_dict(),
    }


async def _serve(cfg: PlantConfig, args: argparse.Namespace) -> None:
    if not getattr(args, "verbose", False):
        for noisy in ("asyncua", "pymodbus"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    plant = Plant(cfg)
    plant.apply_scenario(get_scenario(args.scenario or "nominal"))
    anchor = Anchor(args.start or datetime.now(UTC), args.start_wall or time.time(), args.speed)
    servers = SimulatorServers(
        cfg,
        plant,
        modbus_port=args.modbus_port,
        opcua_port=args.opcua_port,
        mbus_port=args.mbus_port,
        data_dir=args.data_dir,
        speed=args.speed,
        anchor=anchor,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with servers:
        modbus = ", ".join(str(m.port) for m in servers.modbus.values())
        opcua = ", ".join(o.endpoint for o in servers.opcua.values())
        print(
            MESSAGES["serving"].format(
                scenario=plant.scenario_name, speed=args.speed, modbus=modbus, opcua=opcua
            ),
            flush=True,
        )
        await stop.wait()
