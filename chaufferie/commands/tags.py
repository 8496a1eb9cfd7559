"""``chaufferie tags [--config F] [--seconds S]``: every point's live value, like mbpoll for the plant.

Starts the PLC bridge (one source per link of the config, real clock), waits until every
point has been read or ``--seconds`` have passed, then prints one line per point: name, value
(with its state name when the point has ``states``), unit, quality (``stale`` when the link
is lost) and age of the value, followed by the state of each link. Exit code 0 when every link
is up, 2 otherwise (1 for a bad configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from datetime import datetime
from typing import Any

from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.points import Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, Scalar, TagValue
from chaufferie.plc_bridge.service import Bridge

HEADER = ("Point", "Valeur / Value", "Unité / Unit", "Qualité / Quality", "Âge / Age")
TEXTS = {
    "never": "jamais lu / never read",
    "links": "Liaisons / Links",
}


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "tags", help="valeurs en direct de tous les points / live value of every point"
    )
    p.add_argument("--config", default=None, help="configuration file (default: shipped joucas.yaml)")
    p.add_argument("--seconds", type=float, default=5.0, help="how long to wait for the links (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    values, links = asyncio.run(collect(cfg, args.seconds))
    print(render(cfg, values, links, datetime.now().astimezone()))
    return 0 if all(state is LinkState.UP for state in links.values()) else 2


async def collect(cfg: PlantConfig, seconds: float) -> tuple[dict[str, TagValue], dict[str, LinkState]]:
    """Run the bridge until every point is read (or ``seconds``); the values and link states."""
    bus = Bus()
    clock = RealClock()
    names = {p.name for p in plc_points(cfg)}
    async with Bridge(cfg, bus, clock) as bridge:
        task = asyncio.create_task(bridge.run())
        deadline = clock.monotonic() + seconds
        while clock.monotonic() < deadline:
            snapshot = bus.snapshot()
            links_up = all(state is LinkState.UP for state in bridge.link_states().values())
            if links_up and names <= snapshot.keys() and all(v.good for v in snapshot.values()):
                break
            await clock.sleep(0.1)
        links = bridge.link_states()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return bus.snapshot(), links


def render(cfg: PlantConfig, values: dict[str, TagValue], links: dict[str, LinkState], now: datetime) -> str:
    """The table: one row per PLC point of the config, then the links."""
    rows: list[tuple[str, ...]] = [HEADER]
    for p in plc_points(cfg):
        tv = values.get(p.name)
        if tv is None:
            rows.append((p.name, "—", p.unit, "bad", TEXTS["never"]))
            continue
        quality = tv.quality.value + (" stale" if tv.stale else "")
        age = max(0.0, (now - tv.source_time).total_seconds())
        rows.append((p.name, _shown(tv.value, p.states), p.unit, quality, f"{age:.1f} s"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"{TEXTS['links']}: " + ", ".join(f"{name} {state.value}" for name, state in links.items()))
    return "\n".join(lines)


def plc_points(cfg: PlantConfig) -> list[Point]:
    """The points the PLC links serve (chaufferie's own ``system`` points are not read here)."""
    return [p for p in cfg.points if p.link in cfg.links]


def _shown(value: Scalar, states: dict[int, str] | None) -> str:
    if value is None:
        return "—"
    if states is not None and isinstance(value, int) and not isinstance(value, bool) and value in states:
        return f"{value} ({states[value]})"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
