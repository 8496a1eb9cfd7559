"""The hydraulic module: buffer tank, duty/standby pumps, network, heat meter, oil boiler.

Owns: the buffer's energy balance (C = 1.163 kWh/K per m³ of water, standing losses), the
pump pair (the duty pump runs while the pumps are enabled unless failed; no automatic
switchover — that is the supervisor's job), the network's flow, temperatures and pressure
(with the low-pressure switch), the heat meter on the wood boiler's circuit (power, flow,
temperatures, energy, volume, communication status) and the oil boiler (enable, burner start
delay, aquastat on its own setpoint ``oil.setpoint``, capacity, litres burnt, fault and reset).
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from chaufferie.config.plant import PlantSettings, SimulationSettings
from chaufferie.simulations.wood import DESIGN_DELTA_K, KWH_PER_M3_K

PLANT_ROOM_C = 15.0
DELIVERY_FULL_ABOVE_C = 50.0
DELIVERY_ZERO_AT_C = 30.0
EXPANSION_BAR_PER_K = 0.015
PUMP_HEAD_BAR = 0.2
LEAK_BAR_PER_H = 1.0
SLOW_LEAK_BAR_PER_H = 0.25
"""A slow leak made up by the filling unit (EAU-APP): 5 L an hour at 20 L per bar."""
HIGH_PRESSURE_FAULT_BAR = 1.8
MIN_PRESSURE_BAR = 0.2
OIL_OUTLET_RISE_K = 15.0


class Buffer:
    """The 1 000 L buffer as one mixed volume (top = outlet, bottom follows the return)."""

    def __init__(self, plant: PlantSettings, sim: SimulationSettings, temp_c: float) -> None:
        self.capacity_kwh_per_k = KWH_PER_M3_K * plant.buffer_litres / 1000.0
        self.loss_kw_per_k = sim.buffer_loss_kw_per_k
        self.temp_c = temp_c
        self.bottom_c = temp_c - DESIGN_DELTA_K / 2.0

    @property
    def stored_kwh(self) -> float:
        """Heat stored above 0 °C (only differences matter)."""
        return self.capacity_kwh_per_k * self.temp_c

    def loss_kw(self) -> float:
        return self.loss_kw_per_k * (self.temp_c - PLANT_ROOM_C)

    def step(self, dt: float, net_kw: float, return_c: float) -> None:
        self.temp_c += net_kw * dt / 3600.0 / self.capacity_kwh_per_k
        self.bottom_c = 0.5 * (self.temp_c + return_c)


class Pumps:
    """Duty/standby pair: the duty pump runs while enabled (``pumps.enable``, off only for a
    summer stop) unless it has failed."""

    def __init__(self) -> None:
        self.enabled = True
        self.duty = 1
        self.fault = [False, False]
        self.no_flow = [False, False]  # runs but moves no water (seized impeller, closed valve)

    def running(self, pump: int) -> bool:
        return self.enabled and self.duty == pump and not self.fault[pump - 1]

    @property
    def any_running(self) -> bool:
        return self.running(1) or self.running(2)

    @property
    def pumping(self) -> bool:
        """Water actually moves: a pump runs and delivers flow."""
        return any(self.running(n) and not self.no_flow[n - 1] for n in (1, 2))


class Network:
    """District network: delivered heat, flow, supply/return temperatures, pressure."""

    def __init__(self, plant: PlantSettings) -> None:
        self.p = plant
        self.design_flow_m3h = plant.design_load_kw / (KWH_PER_M3_K * DESIGN_DELTA_K)
        self.flow_m3h = self.design_flow_m3h
        self.supply_c = 70.0
        self.return_c = 55.0
        self.delivered_kw = 0.0
        self.leak_bar = 0.0
        self.refilled_bar = 0.0
        """Pressure put back by filling since the start (bar), for the make-up water meter."""
        self.leaking = False
        self.topped_up = False
        """A slow leak that the automatic filling unit keeps making up (pressure stays normal,
        the make-up water meter counts it: the EAU-APP fault)."""
        self.high_fault = False
        self.pressure_bar = plant.network_nominal_bar

    def step(self, dt: float, demand_kw: float, supply_c: float, pumping: bool) -> None:
        self.supply_c = supply_c
        if pumping:
            share = (supply_c - DELIVERY_ZERO_AT_C) / (DELIVERY_FULL_ABOVE_C - DELIVERY_ZERO_AT_C)
            self.delivered_kw = demand_kw * min(1.0, max(0.0, share))
            self.flow_m3h = self.design_flow_m3h
            self.return_c = supply_c - self.delivered_kw / (KWH_PER_M3_K * self.flow_m3h)
        else:
            self.delivered_kw = 0.0
            self.flow_m3h = 0.0
            self.return_c = supply_c
        if self.leaking:
            self.leak_bar += LEAK_BAR_PER_H * dt / 3600.0
        if self.topped_up:
            self.refilled_bar += SLOW_LEAK_BAR_PER_H * dt / 3600.0
        p = self.p.network_nominal_bar + EXPANSION_BAR_PER_K * (0.5 * (supply_c + self.return_c) - 65.0)
        p += (PUMP_HEAD_BAR if pumping else 0.0) + (HIGH_PRESSURE_FAULT_BAR if self.high_fault else 0.0)
        self.pressure_bar = max(MIN_PRESSURE_BAR, p - self.leak_bar)

    @property
    def low_pressure(self) -> bool:
        return self.pressure_bar < self.p.network_low_pressure_bar

    def refill(self) -> None:
        """Top up the network after a leak is repaired (the make-up water meter counts it)."""
        self.refilled_bar += self.leak_bar
        self.leak_bar = 0.0


class HeatMeter:
    """Communicating integrator on the wood boiler's circuit."""

    def __init__(self) -> None:
        self.power_kw = 0.0
        self.flow_m3h = 0.0
        self.supply_c = 70.0
        self.return_c = 55.0
        self.energy_kwh = 0.0
        self.volume_m3 = 0.0
        self.comm_fault = False

    def step(self, dt: float, power_kw: float, flow_m3h: float, supply_c: float, return_c: float) -> None:
        self.power_kw = power_kw
        self.flow_m3h = flow_m3h if power_kw > 0.0 else 0.0
        self.supply_c = supply_c
        self.return_c = return_c
        self.energy_kwh += power_kw * dt / 3600.0
        self.volume_m3 += self.flow_m3h * dt / 3600.0


class OilBoiler:
    """The existing oil boiler: enabled by the supervisor, own aquastat around its own setpoint.

    The aquastat fires below ``setpoint_c − oil_on_below_k`` and stops above ``setpoint_c +
    oil_off_above_k``; ``setpoint_c`` is the ``oil.setpoint`` point (the supervisor lowers it in
    top-up); it starts at the wood boiler's initial setpoint.
    """

    def __init__(self, plant: PlantSettings, sim: SimulationSettings, setpoint_c: float) -> None:
        self.p = plant
        self.setpoint_c = setpoint_c
        self.start_delay_s = sim.oil_start_delay_s
        self.on_below_k = sim.oil_on_below_k
        self.off_above_k = sim.oil_off_above_k
        self.enable = False
        self.fault = False
        self.cause_fault = False
        self.burner_on = False
        self.enabled_s = 0.0
        self.heat_kw = 0.0
        self.fuel_kw = 0.0
        self.litres = 0.0
        self.outlet_c = 40.0
        self.starts = 0
        self.enablings = 0  # rising edges of the enable, whoever set it (supervisor or local program)

    def fault_reset(self) -> None:
        if not self.cause_fault:
            self.fault = False

    def set_enable(self, enable: bool) -> None:
        if enable and not self.enable:
            self.enablings += 1
        self.enable = enable

    def step(self, dt: float, buffer_c: float) -> None:
        setpoint_c = self.setpoint_c
        if self.cause_fault:
            self.fault = True
        self.enabled_s = self.enabled_s + dt if self.enable and not self.fault else 0.0
        ready = self.enabled_s >= self.start_delay_s
        if not ready:
            self.burner_on = False
        elif buffer_c < setpoint_c - self.on_below_k and not self.burner_on:
            self.burner_on = True
            self.starts += 1
        elif buffer_c > setpoint_c + self.off_above_k:
            self.burner_on = False
        self.heat_kw = self.p.oil_capacity_kw if self.burner_on else 0.0
        self.fuel_kw = self.heat_kw / self.p.oil_efficiency
        self.litres += self.fuel_kw * dt / 3600.0 / self.p.oil_kwh_per_litre
        target = buffer_c + (OIL_OUTLET_RISE_K if self.burner_on else 0.0)
        self.outlet_c += (target - self.outlet_c) * min(1.0, dt / 120.0)
