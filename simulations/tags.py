"""Point names ↔ model state: what the PLCs serve and what a write does.

Owns: :data:`READERS` (point name → engineering value from the model) and :data:`WRITERS`
(command point → effect on the model). Names are those of joucas.yaml; a config naming a point
not listed here is served as 0 (and :func:`unknown_points` lists them so the servers can say so).
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chaufferie.config.points import MbusSource
from chaufferie.simulations.wood import BURNING

if TYPE_CHECKING:
    from chaufferie.config.settings import PlantConfig
    from chaufferie.simulations.plant import Plant

Value = float | int | bool
Reader = Callable[["Plant"], Value]
Writer = Callable[["Plant", Value], None]


def _modulation(p: Plant) -> float:
    return p.wood.firing * 100.0 if p.wood.state in BURNING or p.wood.firing > 0 else 0.0


READERS: dict[str, Reader] = {
    "wood.state": lambda p: int(p.wood.state),
    "wood.fault_code": lambda p: int(p.wood.fault_code),
    "wood.modulation": _modulation,
    "wood.outlet_temp": lambda p: p.wood.outlet_c,
    "wood.return_temp": lambda p: p.wood.return_c,
    "wood.flue_temp": lambda p: p.wood.flue_c,
    "outdoor.temp": lambda p: p.outdoor_c,
    "wood.heartbeat": lambda p: int(p.t) % 65536,
    "wood.power": lambda p: p.wood.heat_kw,
    "wood.fuel_burnt": lambda p: p.feed.burnt_kg,
    "silo.mass": lambda p: p.feed.silo_kg,
    "silo.level": lambda p: p.feed.level_fraction * 100.0,
    "screw.current": lambda p: p.feed.screw_current_a,
    "ash.bin_level": lambda p: min(100.0, p.feed.ash_fraction_full * 100.0),
    "wood.stb_tripped": lambda p: p.wood.stb_tripped,
    "wood.burnback_tripped": lambda p: p.wood.burnback_tripped,
    "wood.ignition_failed": lambda p: p.wood.ignition_failed,
    "wood.ignitions": lambda p: p.wood.ignitions,
    "wood.run_hours": lambda p: p.wood.run_s / 3600.0,
    "silo.low_level": lambda p: p.feed.low_level,
    "silo.empty": lambda p: p.feed.empty,
    "screw.running": lambda p: p.feed.screw_running,
    "screw.jammed": lambda p: p.feed.jammed,
    "screw.test_running": lambda p: p.feed.test_running,
    "screw.test_failed": lambda p: p.feed.test_failed,
    "ash.bin_full": lambda p: p.feed.ash_full,
    "wood.flue_high": lambda p: p.wood.flue_high,
    "wood.setpoint": lambda p: p.wood.setpoint_c,
    "wood.enable": lambda p: p.wood.enable,
    "wood.fault_reset": lambda p: False,
    "screw.reverse_test": lambda p: False,
    "screw.cutoff": lambda p: p.feed.cutoff,
    "buffer.temp_top": lambda p: p.buffer.temp_c,
    "buffer.temp_middle": lambda p: 0.5 * (p.buffer.temp_c + p.buffer.bottom_c),
    "buffer.temp_bottom": lambda p: p.buffer.bottom_c,
    "pump1.running": lambda p: p.pumps.running(1),
    "pump1.fault": lambda p: p.pumps.fault[0],
    "pump2.running": lambda p: p.pumps.running(2),
    "pump2.fault": lambda p: p.pumps.fault[1],
    "pumps.duty": lambda p: p.pumps.duty,
    "pumps.enable": lambda p: p.pumps.enabled,
    "network.flow": lambda p: p.network.flow_m3h,
    "network.pressure": lambda p: p.network.pressure_bar,
    "network.low_pressure": lambda p: p.network.low_pressure,
    "network.supply_temp": lambda p: p.network.supply_c,
    "network.return_temp": lambda p: p.network.return_c,
    "oil.enable": lambda p: p.oil.enable,
    "oil.setpoint": lambda p: p.oil.setpoint_c,
    "oil.burner_on": lambda p: p.oil.burner_on,
    "oil.fault": lambda p: p.oil.fault,
    "oil.fault_reset": lambda p: False,
    "oil.outlet_temp": lambda p: p.oil.outlet_c,
    "oil.litres": lambda p: p.oil.litres,
    "meter.power": lambda p: p.meter.power_kw,
    "meter.flow": lambda p: p.meter.flow_m3h,
    "meter.supply_temp": lambda p: p.meter.supply_c,
    "meter.return_temp": lambda p: p.meter.return_c,
    "meter.energy": lambda p: p.meter.energy_kwh,
    "meter.volume": lambda p: p.meter.volume_m3,
    "hydraulic.heartbeat": lambda p: int(p.t) % 4294967296,
    "hydraulic.supervisor_heartbeat": lambda p: p.fallback.counter or 0,
    "hydraulic.local_mode": lambda p: int(p.fallback.mode),
    "hydraulic.local_mode_s": lambda p: p.fallback.local_s(p.t),
    "hydraulic.local_oil_starts": lambda p: p.fallback.oil_starts,
    "hydraulic.remote_request": lambda p: False,
    "wood.supervisor_heartbeat": lambda p: p.boiler_counter,
}

METER_POINTS = (
    "meter.power",
    "meter.flow",
    "meter.supply_temp",
    "meter.return_temp",
    "meter.energy",
    "meter.volume",
)


def _set_setpoint(p: Plant, v: Value) -> None:
    p.wood.setpoint_c = float(v)


def _set_enable(p: Plant, v: Value) -> None:
    p.wood.enable = bool(v)


def _fault_reset(p: Plant, v: Value) -> None:
    if v:
        p.wood.fault_reset()
        p.feed.reset_jam()
        if not p.feed.cause_reverse_fail and not p.feed.cause_jam:
            p.feed.test_failed = False


def _reverse_test(p: Plant, v: Value) -> None:
    if v:
        p.feed.start_reverse_test()


def _cutoff(p: Plant, v: Value) -> None:
    p.feed.cutoff = bool(v)


def _duty(p: Plant, v: Value) -> None:
    p.pumps.duty = int(v)


def _pumps_enable(p: Plant, v: Value) -> None:
    p.pumps.enabled = bool(v)


def _oil_enable(p: Plant, v: Value) -> None:
    p.oil.set_enable(bool(v))


def _oil_setpoint(p: Plant, v: Value) -> None:
    p.oil.setpoint_c = float(v)


def _oil_reset(p: Plant, v: Value) -> None:
    if v:
        p.oil.fault_reset()


def _hydraulic_beat(p: Plant, v: Value) -> None:
    p.fallback.beat(p.t, int(v))


def _boiler_beat(p: Plant, v: Value) -> None:
    p.boiler_counter = int(v)  # the boiler PLC keeps its last setpoint on its own: nothing else


def _remote_request(p: Plant, v: Value) -> None:
    if v:
        p.fallback.take_control(p.t)


WRITERS: dict[str, Writer] = {
    "wood.setpoint": _set_setpoint,
    "wood.enable": _set_enable,
    "wood.fault_reset": _fault_reset,
    "screw.reverse_test": _reverse_test,
    "screw.cutoff": _cutoff,
    "pumps.duty": _duty,
    "pumps.enable": _pumps_enable,
    "oil.enable": _oil_enable,
    "oil.setpoint": _oil_setpoint,
    "oil.fault_reset": _oil_reset,
    "hydraulic.supervisor_heartbeat": _hydraulic_beat,
    "wood.supervisor_heartbeat": _boiler_beat,
    "hydraulic.remote_request": _remote_request,
}


def read(plant: Plant, point: str) -> Value:
    """Engineering value of ``point``; KeyError names the point when the model has no such value."""
    reader = READERS.get(point)
    if reader is not None:
        return reader(plant)
    found = plant.points.get(point)
    if found is not None and isinstance(found.source, MbusSource):
        return plant.meters.value(found.source)
    raise KeyError(f"the simulator has no value for point '{point}'")


def write(plant: Plant, point: str, value: Value) -> bool:
    """Apply a command; False (nothing done) when not a writable point or out of its bounds."""
    cfg_point = plant.points.get(point)
    writer = WRITERS.get(point)
    if cfg_point is None or writer is None or not cfg_point.writable:
        return False
    if cfg_point.bounds is not None and not cfg_point.is_bool:
        if not cfg_point.bounds.contains(float(value)):
            return False
    writer(plant, value)
    return True


def unknown_points(cfg: PlantConfig) -> list[str]:
    """PLC points of ``cfg`` the model cannot serve (they will read 0); chaufferie's own
    (``system``) points are none of the PLCs' business, and the M-Bus meters serve theirs."""
    return [
        p.name for p in cfg.points if p.name not in READERS and p.source.protocol not in ("system", "mbus")
    ]


def bad_points(plant: Plant) -> frozenset[str]:
    """Points whose device does not answer right now (the heat meter on its M-Bus)."""
    return frozenset(METER_POINTS) if plant.meter.comm_fault else frozenset()
