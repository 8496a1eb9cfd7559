"""The simulator's runtime command language (for the HMI's commissioning page and tools).

Owns: :func:`run`, which parses one line and acts on a running :class:`.server.SimulatorServers`.
Verbs: ``scenario NAME``, ``inject CODE``, ``clear CODE``, ``clear all``, ``force POINT VALUE``
(``nan``, ``inf``, ``true``/``false`` accepted), ``unforce POINT``, ``deliver [KG]``,
``empty-ash``, ``speed X [MODEL_ISO WALL_UNIX]`` (with an anchor: plant time MODEL_ISO at Unix
time WALL_UNIX, so the caller's clock and the simulator's are one), ``meter KEY FAULT`` (an M-Bus
meter — ``wood``, a building's id, ``elec``, ``water`` — ``silent``, ``garbled`` (wrong
checksum), ``replace [INITIAL]`` (a new meter, index back to INITIAL) or ``ok``), ``status``. The answer
starts with ``ok`` or ``error``; a bad line never raises.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaufferie.config.clock import Anchor

if TYPE_CHECKING:
    from chaufferie.simulations.server import SimulatorServers

Verb = Callable[["SimulatorServers", list[str]], str]


def _value(text: str) -> float | bool:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    return float(text)


def _scenario(sim: SimulatorServers, args: list[str]) -> str:
    sim.apply_scenario(args[0])
    return f"ok scenario {args[0]}"


def _inject(sim: SimulatorServers, args: list[str]) -> str:
    sim.plant.inject(args[0])
    return f"ok injected {args[0]}"


def _clear(sim: SimulatorServers, args: list[str]) -> str:
    codes = sorted(sim.plant.faults) if args[0] == "all" else [args[0]]
    for code in codes:
        sim.plant.clear(code)
    return f"ok cleared {' '.join(codes) or 'nothing'}"


def _force(sim: SimulatorServers, args: list[str]) -> str:
    sim.force(args[0], _value(args[1]))
    return f"ok forced {args[0]}"


def _unforce(sim: SimulatorServers, args: list[str]) -> str:
    sim.unforce(args[0])
    return f"ok unforced {args[0]}"


def _deliver(sim: SimulatorServers, args: list[str]) -> str:
    kg = sim.plant.feed.deliver(float(args[0]) if args else sim.plant.feed.full_kg)
    return f"ok delivered {kg:.0f} kg"


def _empty_ash(sim: SimulatorServers, args: list[str]) -> str:
    sim.plant.feed.ash_kg = 0.0
    return "ok ash bin emptied"


def _meter(sim: SimulatorServers, args: list[str]) -> str:
    meter = sim.plant.meters.meters.get(args[0])
    if meter is None:
        raise ValueError(f"no meter '{args[0]}'; known: {', '.join(sim.plant.meters.meters)}")
    fault = args[1].lower()
    if fault == "replace":
        meter.replace(float(args[2]) if len(args) > 2 else 3.0)
        return f"ok meter {meter.key} replaced: index {meter.index:.1f}, number {meter.ident:08d}"
    if fault not in ("silent", "garbled", "ok"):
        raise ValueError(f"unknown meter fault '{args[1]}': silent, garbled, replace [INITIAL] or ok")
    meter.silent, meter.garbled = fault == "silent", fault == "garbled"
    return f"ok meter {meter.key} {fault}"


def _speed(sim: SimulatorServers, args: list[str]) -> str:
    """``speed X``: re-anchor now; ``speed X MODEL_ISO WALL``: take the caller's anchor exactly."""
    if sim.clock is None:
        raise ValueError("the plant is stepped by hand (no clock)")
    anchor = Anchor.parse(args) if len(args) == 3 else sim.clock.rescaled(float(args[0]))
    sim.clock.adopt(anchor)
    return f"ok speed {anchor.speed:g}"


def _status(sim: SimulatorServers, args: list[str]) -> str:
    p = sim.plant
    return "ok " + json.dumps(
        {
            "scenario": p.scenario_name,
            "model_time": p.now.isoformat(),
            "faults": sorted(p.faults),
            "links_down": sorted(p.links_down),
            "forced": sorted(sim.forced),
            "speed": sim.speed,
            "clock": sim.clock.anchor().text() if sim.clock is not None else None,
            "fallback": {  # the hydraulic PLC's local program (docs/domain.md §6)
                "local_mode": int(p.fallback.mode),
                "local_mode_s": p.fallback.local_s(p.t),
                "local_oil_starts": p.fallback.oil_starts,
            },
            "plant": {
                "buffer_top_c": round(p.buffer.temp_c, 2),
                "wood_setpoint_c": p.wood.setpoint_c,
                "oil_enable": p.oil.enable,
                "oil_enablings": p.oil.enablings,
                "demand_kwh": round(p.counters.demand_kwh, 3),
                "unmet_kwh": round(p.counters.unmet_kwh, 3),
            },
        }
    )


VERBS: dict[str, tuple[Verb, int]] = {
    "scenario": (_scenario, 1),
    "inject": (_inject, 1),
    "clear": (_clear, 1),
    "force": (_force, 2),
    "unforce": (_unforce, 1),
    "deliver": (_deliver, 0),
    "empty-ash": (_empty_ash, 0),
    "speed": (_speed, 1),
    "meter": (_meter, 2),
    "status": (_status, 0),
}


def run(sim: SimulatorServers, line: str) -> str:
    """Run one command line; the answer says ``ok …`` or ``error …`` (never raises)."""
    words = line.split()
    if not words:
        return "error empty command"
    entry = VERBS.get(words[0].lower())
    if entry is None:
        return f"error unknown command '{words[0]}'; known: {', '.join(VERBS)}"
    verb, needed = entry
    if len(words) - 1 < needed:
        return f"error '{words[0]}' needs {needed} argument(s)"
    try:
        return verb(sim, words[1:])
    except (KeyError, ValueError, TypeError) as exc:
        return f"error {exc}"
