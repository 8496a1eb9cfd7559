"""The whole plant model, stepping in model time, usable without any socket.

Owns: the composition of boiler, feed and hydraulic module, model time, the energy counters
and the scenario timeline. The API (used by the servers, the headless check and the
supervisor's closed-loop replay)::

    plant = Plant(cfg)                       # nominal weather, boiler running at setpoint
    plant.apply_scenario(get_scenario("cold-snap", cfg))
    plant.step(3600)                         # advance one model hour (sub-steps of step_s)
    plant.read("buffer.temp_top")            # engineering value of any point of the map
    plant.write("oil.enable", True)          # a command point, as the PLC would receive it
    plant.inject("VIS-BLQ"); plant.clear("VIS-BLQ")   # fault injection by alarm code
    plant.counters.balance_error()           # energy conservation, relative
    plant.links_down                         # links a scenario has made unreachable

May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chaufferie.config.settings import PlantConfig
from chaufferie.simulations import faults, tags
from chaufferie.simulations.fallback import LocalFallback
from chaufferie.simulations.fuel import Feed
from chaufferie.simulations.hydraulics import Buffer, HeatMeter, Network, OilBoiler, Pumps
from chaufferie.simulations.meters import MeterBank
from chaufferie.simulations.scenarios import Scenario, get_scenario
from chaufferie.simulations.weather import OutdoorProfile, heat_demand_kw
from chaufferie.simulations.wood import BURNING, WoodBoiler

DEFAULT_SETPOINT_C = 75.0
DEFAULT_START = datetime(2026, 1, 12, 0, 0, tzinfo=UTC)
NOMINAL_OUTDOOR_C = 8.0
NOMINAL_SWING_K = 8.0
AUTO_DELIVERY_BELOW = 0.20
AUTO_ASH_EMPTY_ABOVE = 0.90
SILO_FAULTS = frozenset({"SIL-BAS", "SIL-VID"})


@dataclass
class Counters:
    """Energy counters in kWh since the start (plus chips and oil quantities)."""

    fuel_wood_kwh: float = 0.0
    fuel_oil_kwh: float = 0.0
    heat_wood_kwh: float = 0.0
    heat_oil_kwh: float = 0.0
    demand_kwh: float = 0.0
    delivered_kwh: float = 0.0
    unmet_kwh: float = 0.0
    losses_kwh: float = 0.0
    stored_initial_kwh: float = 0.0
    stored_kwh: float = 0.0
    chips_kg: float = 0.0
    oil_litres: float = 0.0
    wood_run_s: float = 0.0
    oil_burner_s: float = 0.0

    @property
    def combustion_losses_kwh(self) -> float:
        return self.fuel_wood_kwh + self.fuel_oil_kwh - self.heat_wood_kwh - self.heat_oil_kwh

    def balance_error(self) -> float:
        """Relative error of: heat produced = delivered + losses + change in stored heat."""
        produced = self.heat_wood_kwh + self.heat_oil_kwh
        used = self.delivered_kwh + self.losses_kwh + (self.stored_kwh - self.stored_initial_kwh)
        return abs(produced - used) / max(1.0, produced)

    def as_dict(self) -> dict[str, float]:
        out = {k: round(v, 3) for k, v in self.__dict__.items()}
        out["combustion_losses_kwh"] = round(self.combustion_losses_kwh, 3)
        return out


@dataclass(order=True)
class TimedAction:
    """At model time ``at_s``: ``action`` (inject, clear, link_down, link_up, deliver…)."""

    at_s: float
    action: str = field(compare=False)
    arg: str = field(default="", compare=False)


class Plant:
    """The plant in model time: ``step``, ``read``, ``write``, ``inject``, ``clear``."""

    def __init__(self, cfg: PlantConfig, outdoor: OutdoorProfile | None = None) -> None:
        self.cfg = cfg
        self.points = cfg.points_by_name  # the PLC's point table, looked up at every write
        self.step_s = cfg.simulation.step_s
        self.outdoor = outdoor or OutdoorProfile.constant(DEFAULT_START, NOMINAL_OUTDOOR_C, NOMINAL_SWING_K)
        self.t: float = 0.0
        self.wood: WoodBoiler = WoodBoiler(cfg.plant, cfg.simulation, DEFAULT_SETPOINT_C)
        self.feed: Feed = Feed(cfg.plant, cfg.simulation)
        self.buffer: Buffer = Buffer(cfg.plant, cfg.simulation, DEFAULT_SETPOINT_C)
        self.pumps: Pumps = Pumps()
        self.network: Network = Network(cfg.plant)
        self.meter: HeatMeter = HeatMeter()
        self.meters: MeterBank = MeterBank(cfg)
        self.oil: OilBoiler = OilBoiler(cfg.plant, cfg.simulation, DEFAULT_SETPOINT_C)
        self.counters: Counters = Counters()
        self.fallback: LocalFallback = LocalFallback.of(cfg.simulation)
        self.supervisor_absent = False  # a scenario's "the supervisor is gone" (closed-loop replay)
        self.boiler_counter: int = 0  # the supervisor's counter as the boiler PLC last received it
        self.links_down: set[str] = set()
        self.faults: set[str] = set()
        self.scenario_name = "nominal"
        self._timeline: list[TimedAction] = []
        self.outdoor_c: float = self.outdoor.at(0.0)
        self.demand_kw: float = heat_demand_kw(cfg.plant, self.outdoor_c)
        self.auto_service = True
        self.fixed_demand_kw: float | None = None
        self.resettle()

    # ---- time ------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        """Model date and time."""
        return self.outdoor.start + timedelta(seconds=self.t)

    def step(self, dt: float) -> None:
        """Advance ``dt`` model seconds in sub-steps no longer than ``simulation.step_s``."""
        if dt <= 0:
            return
        n = max(1, math.ceil(dt / self.step_s - 1e-9))
        h = dt / n
        for _ in range(n):
            self._substep(h)

    def resettle(self) -> None:
        """Start in steady state: boiler running at the demand it sees, buffer at setpoint."""
        self.outdoor_c = self.outdoor.at(self.t)
        fixed = self.fixed_demand_kw
        self.demand_kw = heat_demand_kw(self.cfg.plant, self.outdoor_c) if fixed is None else fixed
        load = min(
            1.0, max(self.cfg.plant.wood_min_modulation, self.demand_kw / self.cfg.plant.wood_nominal_kw)
        )
        self.wood.start_running(load)
        self.buffer.temp_c = self.wood.setpoint_c
        self._substep(0.0)  # derive every output (powers, flows, currents) without moving time
        self.counters.stored_initial_kwh = self.counters.stored_kwh = self.buffer.stored_kwh

    def _substep(self, h: float) -> None:
        if self._timeline and self._timeline[0].at_s <= self.t:
            self._run_due_actions()
        if self.auto_service:
            self._service()
        wood, feed, buf, net, oil, c = (
            self.wood,
            self.feed,
            self.buffer,
            self.network,
            self.oil,
            self.counters,
        )
        self.outdoor_c = out = self.outdoor.at(self.t)
        fixed = self.fixed_demand_kw
        self.demand_kw = demand = heat_demand_kw(self.cfg.plant, out) if fixed is None else fixed
        fuel_kw = wood.step(h, buf.temp_c, buf.bottom_c, feed.starved())
        feed.step(h, fuel_kw, wood.state in BURNING)
        self._local_program(wood.heat_kw)
        net.step(h, demand, buf.temp_c, self.pumps.pumping)
        oil.step(h, buf.temp_c)
        loss = buf.loss_kw()
        buf.step(h, wood.heat_kw + oil.heat_kw - net.delivered_kw - loss, net.return_c)
        self.meter.step(h, wood.heat_kw, wood.flow_m3h, wood.outlet_c, wood.return_c)
        hours = h / 3600.0
        c.fuel_wood_kwh += fuel_kw * hours
        c.fuel_oil_kwh += oil.fuel_kw * hours
        c.heat_wood_kwh += wood.heat_kw * hours
        c.heat_oil_kwh += oil.heat_kw * hours
        c.demand_kwh += demand * hours
        c.delivered_kwh += net.delivered_kw * hours
        c.unmet_kwh += (demand - net.delivered_kw) * hours
        c.losses_kwh += loss * hours
        c.stored_kwh = buf.stored_kwh
        c.chips_kg = feed.burnt_kg
        c.oil_litres = oil.litres
        c.wood_run_s = wood.run_s
        if oil.burner_on:
            c.oil_burner_s += h
        self.meters.step(h, self)
        self.t += h

    def _local_program(self, wood_kw: float) -> None:
        """The hydraulic PLC on its own when the supervisor is silent (see :mod:`.fallback`)."""
        fb = self.fallback
        fb.watch(self.t)
        if not fb.local:
            return
        self.oil.set_enable(fb.oil_wanted(self.oil.enable, self.buffer.temp_c, self.wood.setpoint_c, wood_kw))
        pumps = self.pumps
        pumps.enabled = True  # the local program keeps the network pumps running
        if pumps.fault[pumps.duty - 1] and not pumps.fault[2 - pumps.duty]:
            pumps.duty = 3 - pumps.duty

    # ---- scenario timeline -------------------------------------------------------------
    def schedule(self, at_s: float, action: str, arg: str = "") -> None:
        """Run ``action`` (see :mod:`.faults`) at model time ``at_s``."""
        self._timeline.append(TimedAction(at_s, action, arg))
        self._timeline.sort()

    def _run_due_actions(self) -> None:
        while self._timeline and self._timeline[0].at_s <= self.t:
            item = self._timeline.pop(0)
            faults.run_action(self, item.action, item.arg)

    def _service(self) -> None:
        """What the municipal agent does: order chips below 20 %, empty the ash bin at 90 %."""
        feed = self.feed
        if feed.silo_kg < AUTO_DELIVERY_BELOW * feed.full_kg and not self.faults & SILO_FAULTS:
            feed.deliver(feed.full_kg)
        if (
            feed.ash_kg > AUTO_ASH_EMPTY_ABOVE * self.cfg.plant.ash_bin_capacity_kg
            and "CEN-PLN" not in self.faults
        ):
            feed.ash_kg = 0.0

    # ---- faults, reads and writes (delegated to their tables) --------------------------
    def inject(self, code: str) -> None:
        """Inject the fault behind alarm ``code`` (see :data:`.faults.FAULTS`)."""
        faults.inject(self, code)

    def clear(self, code: str) -> None:
        """Remove the cause of ``code`` and reset what the PLC would reset on site."""
        faults.clear(self, code)

    def read(self, point: str) -> float | int | bool:
        """Engineering value of ``point`` as the PLC would serve it."""
        return tags.read(self, point)

    def write(self, point: str, value: float | int | bool) -> bool:
        """A command reaching the PLC; False when the point is not writable or out of bounds."""
        return tags.write(self, point, value)

    def bad_points(self) -> frozenset[str]:
        """Points whose device does not answer now (served with a Bad status)."""
        return tags.bad_points(self)

    def snapshot(self) -> dict[str, float | int | bool]:
        """Every point of the config the model can serve, by name."""
        return {p.name: tags.READERS[p.name](self) for p in self.cfg.points if p.name in tags.READERS}

    def apply_scenario(self, scenario: Scenario | str) -> None:
        """Apply a scenario (or its name): weather, service policy, timed events, from t = 0."""
        (get_scenario(scenario) if isinstance(scenario, str) else scenario).apply(self)
