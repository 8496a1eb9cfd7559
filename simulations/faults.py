"""Fault injection: one entry per alarm of the catalogue (docs/domain.md §3) the plant can cause.

Owns: :data:`FAULTS` (alarm code → how to cause it and how to repair it) and
:func:`run_action` (the verbs of a scenario timeline). ``inject`` sets a *cause* in the model;
the PLC logic then trips as it would on site (a jam → over-current → cut-off → starved boiler →
fault). ``clear`` removes the cause and does what the technician does on site (cleans the
screw, refills the silo, resets the STB, tops up the network) plus a PLC fault reset.
Communication faults (COM-API, COM-HYD) put a link in ``plant.links_down``: the servers stop
answering on it. FIO-REL, FIO-APP, SUP-HBT, NOT-DEF are raised by our own system, not the plant;
SUP-LOC by its absence (the PLC's dead-man, :mod:`.fallback`: stop the supervisor to cause it).
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaufferie.config.points import MbusLink

if TYPE_CHECKING:
    from chaufferie.simulations.plant import Plant

Effect = Callable[["Plant"], None]


@dataclass(frozen=True)
class Fault:
    inject: Effect
    clear: Effect
    what: str


def _set(obj_attr: Callable[[Plant], object], attr: str, value: object) -> Effect:
    def effect(p: Plant) -> None:
        setattr(obj_attr(p), attr, value)

    return effect


def _both(*effects: Effect) -> Effect:
    def effect(p: Plant) -> None:
        for e in effects:
            e(p)

    return effect


def _reset_wood(p: Plant) -> None:
    p.wood.fault_reset()
    p.feed.reset_jam()


def _lose_flame(p: Plant) -> None:
    p.wood.lose_flame()


def _reset_stb(p: Plant) -> None:
    p.wood.reset_stb()


def _fail_duty_pump(p: Plant) -> None:
    p.pumps.fault[p.pumps.duty - 1] = True


def _repair_pumps(p: Plant) -> None:
    p.pumps.fault = [False, False]
    p.pumps.no_flow = [False, False]


def _duty_pump_no_flow(p: Plant) -> None:
    p.pumps.no_flow[p.pumps.duty - 1] = True


def _fail_both_pumps(p: Plant) -> None:
    p.pumps.fault = [True, True]


def _silo_to(fraction: float) -> Effect:
    def effect(p: Plant) -> None:
        p.feed.silo_kg = p.feed.full_kg * fraction

    return effect


def _refill_silo(p: Plant) -> None:
    p.feed.deliver(p.feed.full_kg)


def _fill_ash(p: Plant) -> None:
    p.feed.ash_kg = p.cfg.plant.ash_bin_capacity_kg


def _empty_ash(p: Plant) -> None:
    p.feed.ash_kg = 0.0


def _start_failing_test(p: Plant) -> None:
    p.feed.cause_reverse_fail = True
    p.feed.start_reverse_test()


def _test_passes(p: Plant) -> None:
    p.feed.cause_reverse_fail = False
    p.feed.test_failed = False


def _refill_network(p: Plant) -> None:
    p.network.leaking = False
    p.network.refill()


def _link(io_point: Callable[[Plant], str], down: bool) -> Effect:
    def effect(p: Plant) -> None:
        link = p.cfg.point(io_point(p)).link
        if down:
            p.links_down.add(link)
        else:
            p.links_down.discard(link)

    return effect


def _mbus_links(down: bool) -> Effect:
    def effect(p: Plant) -> None:
        for name, link in p.cfg.links.items():
            if isinstance(link, MbusLink):
                (p.links_down.add if down else p.links_down.discard)(name)

    return effect


def _wood(p: Plant) -> object:
    return p.wood


def _feed(p: Plant) -> object:
    return p.feed


def _oil(p: Plant) -> object:
    return p.oil


def _boiler_link(p: Plant) -> str:
    return p.cfg.io.wood_state


def _hydraulic_link(p: Plant) -> str:
    return p.cfg.io.buffer_outlet


def _oil_reset(p: Plant) -> None:
    p.oil.fault_reset()


FAULTS: dict[str, Fault] = {
    "CHB-STB": Fault(
        _set(_wood, "cause_stb", True),
        _both(_set(_wood, "cause_stb", False), _reset_stb),
        "STB trips: lockout until reset on site",
    ),
    "CHB-DEF": Fault(
        _set(_wood, "cause_sensor", True),
        _both(_set(_wood, "cause_sensor", False), _reset_wood),
        "generic boiler fault (sensor)",
    ),
    "CHB-ALL": Fault(
        _both(_set(_wood, "cause_ignition", True), _lose_flame),
        _both(_set(_wood, "cause_ignition", False), _reset_wood),
        "flame lost, every ignition fails",
    ),
    "CHB-RDF": Fault(
        _set(_wood, "cause_burnback", True),
        _both(_set(_wood, "cause_burnback", False), _reset_wood),
        "burn-back safety trips",
    ),
    "VIS-BLQ": Fault(
        _set(_feed, "cause_jam", True),
        _both(_set(_feed, "cause_jam", False), _reset_wood),
        "transfer screw jams: cut-off, boiler starved",
    ),
    "VIS-INV": Fault(_start_failing_test, _test_passes, "reverse-rotation test fails"),
    "SIL-BAS": Fault(_silo_to(0.12), _refill_silo, "silo down to 12 %"),
    "SIL-VID": Fault(_silo_to(0.0), _both(_refill_silo, _reset_wood), "silo empty: boiler starved"),
    "CEN-PLN": Fault(_fill_ash, _empty_ash, "ash bin full"),
    "FUM-HT": Fault(_set(_wood, "cause_flue", True), _set(_wood, "cause_flue", False), "flue gas +100 K"),
    "PMP-BAS": Fault(_fail_duty_pump, _repair_pumps, "duty pump fails"),
    "PMP-FLOW": Fault(_duty_pump_no_flow, _repair_pumps, "duty pump runs but no flow (no fault contact)"),
    "PMP-2DF": Fault(_fail_both_pumps, _repair_pumps, "both pumps fail"),
    "PRS-BAS": Fault(_set(lambda p: p.network, "leaking", True), _refill_network, "network leaks 1 bar/h"),
    "EAU-APP": Fault(
        _set(lambda p: p.network, "topped_up", True),
        _set(lambda p: p.network, "topped_up", False),
        "slow leak made up by the filling unit: 5 L/h of make-up water",
    ),
    "PRS-HT": Fault(
        _set(lambda p: p.network, "high_fault", True),
        _set(lambda p: p.network, "high_fault", False),
        "expansion vessel failed: +1.8 bar",
    ),
    "TDP-REG": Fault(
        _set(_wood, "output_limit", 0.4),
        _set(_wood, "output_limit", 1.0),
        "chips bridging in the silo: boiler starved to 40 %",
    ),
    "FIO-DEF": Fault(
        _set(_oil, "cause_fault", True),
        _both(_set(_oil, "cause_fault", False), _oil_reset),
        "oil burner lockout",
    ),
    "COM-API": Fault(_link(_boiler_link, True), _link(_boiler_link, False), "boiler PLC stops answering"),
    "COM-HYD": Fault(
        _link(_hydraulic_link, True), _link(_hydraulic_link, False), "hydraulic module stops answering"
    ),
    "COM-CPT": Fault(
        _set(lambda p: p.meter, "comm_fault", True),
        _set(lambda p: p.meter, "comm_fault", False),
        "heat meter stops answering (Bad status)",
    ),
    "COM-MBS": Fault(_mbus_links(True), _mbus_links(False), "the M-Bus meters' gateway stops answering"),
}


def inject(plant: Plant, code: str) -> None:
    fault = FAULTS.get(code)
    if fault is None:
        raise KeyError(f"unknown fault '{code}'; known: {', '.join(sorted(FAULTS))}")
    fault.inject(plant)
    plant.faults.add(code)


def clear(plant: Plant, code: str) -> None:
    fault = FAULTS.get(code)
    if fault is None:
        raise KeyError(f"unknown fault '{code}'; known: {', '.join(sorted(FAULTS))}")
    fault.clear(plant)
    plant.faults.discard(code)


def _deliver(plant: Plant, arg: str) -> None:
    plant.feed.deliver(float(arg) if arg else plant.feed.full_kg)


def _silo_fraction(plant: Plant, arg: str) -> None:
    plant.feed.silo_kg = plant.feed.full_kg * float(arg)


def _clear_all(plant: Plant, arg: str) -> None:
    for code in sorted(plant.faults):
        clear(plant, code)


ACTIONS: dict[str, Callable[[Plant, str], None]] = {
    "inject": inject,
    "clear": clear,
    "clear_all": _clear_all,
    "deliver": _deliver,
    "silo_fraction": _silo_fraction,
    "empty_ash_bin": lambda p, arg: _empty_ash(p),
    "supervisor_absent": lambda p, arg: setattr(p, "supervisor_absent", True),
    "supervisor_back": lambda p, arg: setattr(p, "supervisor_absent", False),
}


def run_action(plant: Plant, action: str, arg: str = "") -> None:
    """Run one timeline verb (KeyError naming the known verbs when unknown)."""
    verb = ACTIONS.get(action)
    if verb is None:
        raise KeyError(f"unknown action '{action}'; known: {', '.join(sorted(ACTIONS))}")
    verb(plant, arg)
