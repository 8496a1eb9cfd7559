"""Plant physics and cascade settings: every figure of docs/domain.md as a named setting.

``PlantSettings`` describes the real equipment (used by the simulator, the silo forecast
and the reports); ``CascadeSettings`` the supervisor's thresholds and delays;
``SupervisorIO`` which point plays which role for the supervisor.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import Field, model_validator

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import (
    Bar,
    Delay,
    Fraction,
    Hours,
    Kelvin,
    Kilowatts,
    MarginK,
    MoisturePct,
    OutdoorC,
    Percent,
    Period,
    WaterC,
)

Positive = Annotated[float, Field(gt=0, le=1e6)]
"""A physical quantity above zero (a mass, a volume, a heating value...), finite."""
Litres = Annotated[float, Field(gt=0, le=100_000)]


class PlantSettings(Frozen):
    """The equipment as built (tender figures and sound defaults)."""

    wood_nominal_kw: Kilowatts = 100.0
    wood_min_modulation: Fraction = 0.30
    wood_efficiency_nominal: Fraction = 0.90
    wood_efficiency_min_load: Fraction = 0.85
    chips_lhv_kwh_per_t: Positive = 3500.0
    chips_bulk_density_kg_m3: Positive = 230.0
    chips_humidity: Fraction = 0.25
    chips_humidity_min_pct: MoisturePct = 20.0
    chips_humidity_max_pct: MoisturePct = 35.0
    """The humidity range the supply contract accepts (tender: 20–35 %); a delivery outside it
    is recorded and flagged "hors contrat" (the physical bound is :data:`MoisturePct`)."""
    ash_fraction: Fraction = 0.02
    silo_useful_m3: Annotated[float, Field(gt=0, le=10_000)] = 20.0
    silo_low_level_fraction: Fraction = 0.15
    ash_bin_capacity_kg: Positive = 270.0
    buffer_litres: Litres = 1000.0
    regulation_band_k: Kelvin = 1.5
    """The contract's regulation band: the buffer's outlet held within ± this of the boiler's
    setpoint (CCTP: ± 1,5 °C); the replay's and the reports' time-in-band figure."""
    design_load_kw: Kilowatts = 130.0
    design_outdoor_c: OutdoorC = -7.0
    no_heating_outdoor_c: OutdoorC = 17.0
    dhw_load_kw: float = Field(default=3.0, ge=0, le=10_000)
    oil_capacity_kw: Kilowatts = 150.0
    oil_efficiency: Fraction = 0.85
    oil_kwh_per_litre: Annotated[float, Field(gt=0, le=20)] = 9.96
    degree_day_base_c: OutdoorC = 18.0
    network_nominal_bar: Bar = 2.0
    network_max_bar: Bar = 4.0
    network_low_pressure_bar: Bar = 0.8

    @property
    def silo_full_kg(self) -> float:
        return self.silo_useful_m3 * self.chips_bulk_density_kg_m3

    def heat_demand_kw(self, outdoor_c: float) -> float:
        """Heat the buildings ask for at ``outdoor_c``: the design line (space heating from
        ``design_load_kw`` at ``design_outdoor_c`` to nothing at ``no_heating_outdoor_c``) plus
        domestic hot water."""
        span = self.no_heating_outdoor_c - self.design_outdoor_c
        heating = self.design_load_kw * (self.no_heating_outdoor_c - outdoor_c) / span
        return max(0.0, heating) + self.dhw_load_kw

    @model_validator(mode="after")
    def _coherent(self) -> PlantSettings:
        if self.design_outdoor_c >= self.no_heating_outdoor_c:
            raise ValueError("design_outdoor_c must be below no_heating_outdoor_c")
        if self.network_low_pressure_bar >= self.network_nominal_bar:
            raise ValueError("network_low_pressure_bar must be below network_nominal_bar")
        if self.chips_humidity_min_pct >= self.chips_humidity_max_pct:
            raise ValueError("chips_humidity_min_pct must be below chips_humidity_max_pct")
        return self

    def humidity_in_contract(self, humidity_pct: float) -> bool:
        """``humidity_pct`` lies in the contract's range (bounds included)."""
        return self.chips_humidity_min_pct <= humidity_pct <= self.chips_humidity_max_pct

    def ash_fill(self, burnt_kg: float) -> float:
        """Share of the ash bin filled by burning ``burnt_kg`` of chips (``ash_fraction`` of
        the mass, in a bin of ``ash_bin_capacity_kg``); may exceed 1 when overdue."""
        return burnt_kg * self.ash_fraction / self.ash_bin_capacity_kg


class SimulationSettings(Frozen):
    """Simulator-only parameters (the PLC's own behaviour and the model's)."""

    step_s: Period = 10.0
    ignition_s: Period = 600.0
    burn_out_s: Period = 300.0
    de_ashing_every_h: Hours = 12.0
    de_ashing_s: Period = 120.0
    oil_start_delay_s: Period = 90.0
    boiler_water_litres: Litres = 250.0
    network_water_litres: Litres = 2000.0
    buffer_loss_kw_per_k: float = Field(default=0.004, ge=0, le=100)
    wood_gain_kp: Annotated[float, Field(gt=0, le=100)] = 0.25
    wood_gain_ki: Annotated[float, Field(gt=0, le=100)] = 0.002
    screw_nominal_current_a: Annotated[float, Field(gt=0, le=1000)] = 2.5
    screw_jam_current_a: Annotated[float, Field(gt=0, le=1000)] = 6.0
    season_seed: int = Field(default=2026, ge=0, le=2**32 - 1)
    season_start: str = "10-01"
    season_end: str = "05-31"
    # the simulated PLCs' own behaviour (tunable when commissioning against the simulator)
    wood_firing_lag_s: Period = 60.0
    wood_stop_above_k: Kelvin = 1.0
    wood_restart_below_k: Kelvin = 0.5
    wood_stb_trip_c: WaterC = 110.0
    oil_on_below_k: Kelvin = 1.0
    oil_off_above_k: Kelvin = 3.0
    screw_reverse_test_s: Period = 60.0
    # the hydraulic PLC's dead-man on the supervisor's life counter (docs/domain.md §6)
    fallback_after_s: Period = 60.0
    local_band_k: Kelvin = 5.0


class HeatingCurvePoint(Frozen):
    outdoor_c: OutdoorC
    setpoint_c: WaterC


class CascadeSettings(Frozen):
    """Wood first, oil as backup: every threshold and delay of docs/domain.md §2."""

    replacement_confirm_s: Delay = 120.0
    replacement_drop_k: Kelvin = 3.0
    comm_loss_s: Delay = 120.0
    startup_grace_s: Delay = 1800.0
    replacement_end_run_s: Delay = 900.0
    replacement_end_margin_k: MarginK = 1.0
    topup_modulation_pct: Percent = 95.0
    topup_modulation_s: Delay = 1200.0
    topup_drop_k: Kelvin = 2.5
    topup_drop_s: Delay = 600.0
    topup_outdoor_permit_c: OutdoorC | None = None
    topup_exit_margin_k: MarginK = 0.5
    topup_exit_s: Delay = 600.0
    topup_exit_modulation_pct: Percent = 80.0
    topup_oil_setpoint_offset_k: Kelvin = 3.0
    """In top-up the oil boiler's aquastat runs this far below the buffer setpoint, so the wood
    boiler stays at full modulation and oil only fills the gap; in replacement it holds the
    setpoint itself (written to ``io.oil_setpoint``)."""
    oil_min_run_s: Delay = 600.0
    oil_min_off_s: Delay = 600.0
    oil_max_starts_per_hour: Annotated[int, Field(ge=1, le=60)] = 4
    wood_max_restarts_24h: Annotated[int, Field(ge=1, le=100)] = 6
    heating_curve: tuple[HeatingCurvePoint, ...] = (
        HeatingCurvePoint(outdoor_c=-7.0, setpoint_c=85.0),
        HeatingCurvePoint(outdoor_c=15.0, setpoint_c=65.0),
    )
    setpoint_min_c: WaterC = 60.0
    setpoint_max_c: WaterC = 85.0
    setpoint_step_k: Kelvin = 0.5
    pump_no_flow_m3h: float = Field(default=0.5, ge=0, le=1000)
    pump_fault_confirm_s: Delay = 30.0
    pump_swap_weekday: Annotated[int, Field(ge=0, le=6)] = 0
    pump_swap_time: time = time(6, 0)
    screw_test_time: time = time(3, 0)
    screw_test_timeout_s: Period = 180.0
    manual_mode_max_s: Period = 8 * 3600.0
    wood_restart_delay_s: Delay = 300.0
    command_retry_s: Period = 30.0
    eval_interval_s: Annotated[float, Field(gt=0, le=60)] = 1.0

    @model_validator(mode="after")
    def _coherent(self) -> CascadeSettings:
        if self.setpoint_min_c > self.setpoint_max_c:
            raise ValueError("setpoint_min_c is above setpoint_max_c")
        outdoors = [p.outdoor_c for p in self.heating_curve]
        if len(outdoors) < 2 or outdoors != sorted(outdoors) or len(set(outdoors)) != len(outdoors):
            raise ValueError("heating_curve needs two or more points in rising outdoor_c")
        if self.topup_exit_modulation_pct >= self.topup_modulation_pct:
            raise ValueError("topup_exit_modulation_pct must be below topup_modulation_pct")
        return self


class SupervisorIO(Frozen):
    """Which point plays which role for the supervisor (names checked against ``points``)."""

    wood_state: str = "wood.state"
    wood_modulation: str = "wood.modulation"
    wood_enable: str = "wood.enable"
    wood_setpoint: str = "wood.setpoint"
    wood_fault_reset: str = "wood.fault_reset"
    buffer_outlet: str = "buffer.temp_top"
    outdoor: str = "outdoor.temp"
    oil_enable: str = "oil.enable"
    oil_burner: str = "oil.burner_on"
    oil_fault: str = "oil.fault"
    pump1_running: str = "pump1.running"
    pump1_fault: str = "pump1.fault"
    pump2_running: str = "pump2.running"
    pump2_fault: str = "pump2.fault"
    pump_duty: str = "pumps.duty"
    pump_enable: str = "pumps.enable"
    """The network pumps' run permit: off in the ``stopped`` summer mode (config/season.py)."""
    network_flow: str = "network.flow"
    screw_jammed: str = "screw.jammed"
    screw_reverse_test: str = "screw.reverse_test"
    screw_test_failed: str = "screw.test_failed"
    screw_cutoff: str = "screw.cutoff"
    silo_level: str = "silo.level"
    wood_fault_code: str = "wood.fault_code"
    silo_empty: str = "silo.empty"
    screw_test_running: str = "screw.test_running"
    oil_setpoint: str = "oil.setpoint"
