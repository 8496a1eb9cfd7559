"""Fuel side of the wood boiler: silo, transfer screws and ash bin.

Owns: the silo's chip mass (20 m³ × 230 kg/m³ by default), deliveries, the low-level switch
and the empty switch; the transfer screws (motor current, jam detection with automatic
cut-off, commanded cut-off, the reverse-rotation test); the ash bin (≤ 2 % of the chip mass
burnt). Chips burnt follow from the boiler's fuel power and the chips' LHV.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from chaufferie.config.plant import PlantSettings, SimulationSettings
from chaufferie.simulations.wood import FaultCode

EMPTY_BELOW_FRACTION = 0.005


class Feed:
    """Silo, screws and ash bin. Masses in kg, currents in A, times in s."""

    def __init__(self, plant: PlantSettings, sim: SimulationSettings) -> None:
        self.p = plant
        self.s = sim
        self.full_kg = plant.silo_full_kg
        self.silo_kg = self.full_kg
        self.ash_kg = 0.0
        self.burnt_kg = 0.0
        self.kg_per_kwh = 1000.0 / plant.chips_lhv_kwh_per_t
        self.screw_running = False
        self.screw_current_a = 0.0
        self.jammed = False
        self.cutoff = False
        self.test_running = False
        self.test_failed = False
        self.test_s = 0.0
        self.cause_jam = False
        self.cause_reverse_fail = False

    @property
    def level_fraction(self) -> float:
        return max(0.0, self.silo_kg) / self.full_kg

    @property
    def low_level(self) -> bool:
        return self.level_fraction < self.p.silo_low_level_fraction

    @property
    def empty(self) -> bool:
        return self.level_fraction < EMPTY_BELOW_FRACTION

    @property
    def ash_fraction_full(self) -> float:
        return self.ash_kg / self.p.ash_bin_capacity_kg

    @property
    def ash_full(self) -> bool:
        return self.ash_kg >= self.p.ash_bin_capacity_kg

    def starved(self) -> FaultCode:
        """Why the screws cannot deliver chips now (``NONE`` when they can)."""
        if self.empty:
            return FaultCode.SILO_EMPTY
        if self.jammed or self.cutoff:
            return FaultCode.SCREW_JAM
        return FaultCode.NONE

    def start_reverse_test(self) -> None:
        if not self.test_running and not self.jammed:
            self.test_running = True
            self.test_s = 0.0

    def reset_jam(self) -> None:
        """The jam indication clears on a fault reset once the cause is gone."""
        if not self.cause_jam:
            self.jammed = False

    def deliver(self, kg: float) -> float:
        """Blow ``kg`` of chips into the silo (capped at the useful volume); kg accepted."""
        accepted = min(max(0.0, kg), self.full_kg - self.silo_kg)
        self.silo_kg += accepted
        return accepted

    def step(self, dt: float, fuel_kw: float, boiler_burning: bool) -> None:
        """Draw the chips for ``fuel_kw`` over ``dt`` seconds; run screw current and tests."""
        if self.test_running:
            self._reverse_test(dt)
        if self.cause_jam and not self.jammed and (boiler_burning or self.test_running):
            self.jammed = True  # over-current → automatic cut-off
        feeding = fuel_kw > 0.0 and self.starved() is FaultCode.NONE
        self.screw_running = feeding or self.test_running
        if self.jammed:
            self.screw_current_a = 0.0
        elif self.screw_running:
            self.screw_current_a = self.s.screw_nominal_current_a * (0.8 + 0.2 * min(1.0, fuel_kw / 100.0))
        else:
            self.screw_current_a = 0.0
        if fuel_kw > 0.0:
            kg = fuel_kw * dt / 3600.0 * self.kg_per_kwh
            self.silo_kg = max(0.0, self.silo_kg - kg) if feeding else self.silo_kg
            self.burnt_kg += kg
            self.ash_kg += kg * self.p.ash_fraction

    def _reverse_test(self, dt: float) -> None:
        self.test_s += dt
        if self.test_s < self.s.screw_reverse_test_s:
            return
        self.test_running = False
        self.test_failed = self.cause_jam or self.cause_reverse_fail or self.jammed
