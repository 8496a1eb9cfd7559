"""The wood-chip boiler as its own PLC runs it: states, safeties and buffer regulation.

Owns: the boiler state machine (off, ignition, running, burn-out, de-ashing, standby, fault,
lockout — the numbering of ``wood.state`` in joucas.yaml), its PI controller holding the buffer
outlet at ``wood.setpoint`` by modulating 30–100 % (on/off cycling below 30 %), the firing
rate's lag, the efficiency curve (0.85 at 30 % → 0.90 at nominal), the STB, burn-back and
ignition safeties and the boiler's temperatures. Fuel supply comes from :mod:`.fuel`.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from enum import IntEnum

from chaufferie.config.plant import PlantSettings, SimulationSettings

KWH_PER_M3_K = 1.163
DESIGN_DELTA_K = 20.0
STB_RESET_BELOW_C = 90.0
FLUE_HIGH_C = 220.0


class WoodState(IntEnum):
    OFF = 0
    IGNITION = 1
    RUNNING = 2
    BURN_OUT = 3
    DE_ASHING = 4
    STANDBY = 5
    FAULT = 6
    LOCKOUT = 7


class FaultCode(IntEnum):
    NONE = 0
    IGNITION_FAILURE = 1
    OVERHEAT_STB = 2
    BURN_BACK = 3
    SCREW_JAM = 4
    SILO_EMPTY = 5
    FLUE_HIGH = 6
    SENSOR = 7


BURNING = (WoodState.IGNITION, WoodState.RUNNING, WoodState.DE_ASHING)


def efficiency(plant: PlantSettings, load: float) -> float:
    """LHV efficiency at ``load`` (fraction of nominal): concave from min load to nominal."""
    lo = plant.wood_min_modulation
    x = min(1.0, max(0.0, (load - lo) / (1.0 - lo)))
    return plant.wood_efficiency_min_load + (
        plant.wood_efficiency_nominal - plant.wood_efficiency_min_load
    ) * (2.0 * x - x * x)


class WoodBoiler:
    """State, controller and safeties of the wood boiler. Powers in kW, times in s."""

    def __init__(self, plant: PlantSettings, sim: SimulationSettings, setpoint_c: float) -> None:
        self.p = plant
        self.s = sim
        self.enable = True
        self.setpoint_c = setpoint_c
        self.state = WoodState.OFF
        self.fault_code = FaultCode.NONE
        self.state_s = 0.0
        self.phase_s = sim.ignition_s
        self.after_burn_out = WoodState.OFF
        self.firing = 0.0  # actual output, fraction of nominal
        self.command = 0.0  # PI output, fraction of nominal
        self.integral = 0.0
        self.since_de_ash_s = 0.0
        self.ignitions = 0
        self.run_s = 0.0
        self.stb_tripped = False
        self.burnback_tripped = False
        self.ignition_failed = False
        self.outlet_c = setpoint_c
        self.return_c = setpoint_c - DESIGN_DELTA_K
        self.flue_c = 40.0
        self.heat_kw = 0.0
        self.fuel_kw = 0.0
        # injected causes (fault injection)
        self.cause_ignition = False
        self.cause_burnback = False
        self.cause_stb = False
        self.cause_sensor = False
        self.cause_flue = False
        self.output_limit = 1.0
        self.fed = True
        self.starved = FaultCode.NONE
        self.flow_m3h = plant.wood_nominal_kw / (KWH_PER_M3_K * DESIGN_DELTA_K)

    # ---- commands from the supervisor -------------------------------------------------
    def start_running(self, command: float) -> None:
        """Put the boiler straight into running at ``command`` (initial steady state)."""
        self.state = WoodState.RUNNING
        self.command = self.firing = self.integral = command

    def fault_reset(self) -> None:
        """Rising edge of ``wood.fault_reset``: clear a fault whose cause is gone."""
        if self.state is WoodState.FAULT and not (self.cause_burnback or self.cause_sensor):
            self.burnback_tripped = False
            self.ignition_failed = False
            self._goto(WoodState.OFF)
        elif self.state is not WoodState.LOCKOUT:
            self.ignition_failed = False

    def reset_stb(self) -> None:
        """Manual STB reset on site: only once the boiler has cooled down."""
        if not self.cause_stb and self.outlet_c < STB_RESET_BELOW_C:
            self.stb_tripped = False
            if self.state is WoodState.LOCKOUT:
                self._goto(WoodState.OFF)

    def lose_flame(self) -> None:
        """Flame lost while burning: the PLC tries to re-ignite."""
        if self.state in BURNING:
            self._ignite(self.s.ignition_s)

    # ---- physics ----------------------------------------------------------------------
    def step(self, dt: float, buffer_top_c: float, buffer_bottom_c: float, starved: FaultCode) -> float:
        """Advance ``dt`` seconds; return the fuel power drawn (kW) so the feed can follow.

        ``starved`` is ``FaultCode.NONE`` while the screws deliver chips, otherwise why not
        (``SCREW_JAM`` or ``SILO_EMPTY``): the fire then dies down and the boiler faults.
        """
        self.state_s += dt
        self.starved = starved
        fed = starved is FaultCode.NONE
        self.fed = fed
        self._safeties()
        self._transition(dt, buffer_top_c, fed)
        target = self._target()
        self.firing += (target - self.firing) * min(1.0, dt / self.s.wood_firing_lag_s)
        if self.firing < 1e-4:
            self.firing = 0.0
        self.heat_kw = self.firing * self.p.wood_nominal_kw
        self.fuel_kw = self.heat_kw / efficiency(self.p, self.firing) if self.heat_kw else 0.0
        if self.state is WoodState.RUNNING:
            self.run_s += dt
        self._temperatures(dt, buffer_bottom_c)
        return self.fuel_kw

    def _safeties(self) -> None:
        if self.cause_stb or self.outlet_c > self.s.wood_stb_trip_c:
            self.stb_tripped = True
        if self.stb_tripped and self.state is not WoodState.LOCKOUT:
            self._trip(WoodState.LOCKOUT, FaultCode.OVERHEAT_STB)
        elif self.cause_burnback and self.state is not WoodState.LOCKOUT:
            self.burnback_tripped = True
            if self.state is not WoodState.FAULT:
                self._trip(WoodState.FAULT, FaultCode.BURN_BACK)
        elif self.cause_sensor and self.state not in (WoodState.FAULT, WoodState.LOCKOUT):
            self._trip(WoodState.FAULT, FaultCode.SENSOR)

    def _transition(self, dt: float, top_c: float, fed: bool) -> None:
        st = self.state
        if st in (WoodState.FAULT, WoodState.LOCKOUT):
            return
        if not self.enable and st in (*BURNING, WoodState.STANDBY):
            self._burn_out(WoodState.OFF)
            return
        if st is WoodState.OFF:
            if self.enable:
                self._ignite(self.s.ignition_s)
        elif st is WoodState.STANDBY:
            if top_c < self.setpoint_c - self.s.wood_restart_below_k:
                self._ignite(self.s.ignition_s / 5.0)
        elif st is WoodState.IGNITION:
            self._ignition(fed)
        elif st is WoodState.BURN_OUT:
            if self.state_s >= self.s.burn_out_s:
                self._goto(self.after_burn_out)
        else:
            self._running(dt, top_c, fed)

    def _ignite(self, duration_s: float) -> None:
        self.ignitions += 1
        self.phase_s = duration_s
        self.integral = max(self.integral, self.p.wood_min_modulation)
        self._goto(WoodState.IGNITION)

    def _ignition(self, fed: bool) -> None:
        if self.state_s < self.phase_s:
            return
        if self.cause_ignition:
            self.ignition_failed = True
            self._trip(WoodState.FAULT, FaultCode.IGNITION_FAILURE)
        elif not fed:
            self._starved()
        else:
            self._goto(WoodState.RUNNING)

    def _running(self, dt: float, top_c: float, fed: bool) -> None:
        if not fed:
            if self.firing < 0.05:
                self._starved()
            return
        self._regulate(dt, top_c)
        self.since_de_ash_s += dt
        if self.state is WoodState.DE_ASHING:
            if self.state_s >= self.s.de_ashing_s:
                self._goto(WoodState.RUNNING)
        elif self.since_de_ash_s >= self.s.de_ashing_every_h * 3600.0:
            self.since_de_ash_s = 0.0
            self._goto(WoodState.DE_ASHING)
        elif (
            self.command <= self.p.wood_min_modulation and top_c - self.setpoint_c > self.s.wood_stop_above_k
        ):
            self._burn_out(WoodState.STANDBY)

    def _regulate(self, dt: float, top_c: float) -> None:
        """PI with conditional integration (no wind-up) between min modulation and 100 %."""
        lo = self.p.wood_min_modulation
        hi = self.output_limit
        err = self.setpoint_c - top_c
        raw = self.s.wood_gain_kp * err + self.integral
        if not ((raw >= hi and err > 0) or (raw <= lo and err < 0)):
            self.integral += self.s.wood_gain_ki * err * dt
            self.integral = min(hi, max(lo, self.integral))
        self.command = min(hi, max(lo, self.s.wood_gain_kp * err + self.integral))

    def _target(self) -> float:
        """Firing the fuel feed aims at: the PI output while burning normally and fed."""
        if self.fed and self.state in (WoodState.RUNNING, WoodState.DE_ASHING):
            return self.command
        return 0.0

    def _starved(self) -> None:
        self._trip(WoodState.FAULT, self.starved)

    def _burn_out(self, then: WoodState) -> None:
        self.after_burn_out = then
        self._goto(WoodState.BURN_OUT)

    def _trip(self, state: WoodState, code: FaultCode) -> None:
        self.fault_code = code
        self.state = state
        self.state_s = 0.0

    def _goto(self, state: WoodState) -> None:
        if state in (WoodState.OFF, WoodState.RUNNING, WoodState.IGNITION):
            self.fault_code = FaultCode.NONE
        self.state = state
        self.state_s = 0.0

    def _temperatures(self, dt: float, bottom_c: float) -> None:
        self.return_c = bottom_c
        self.outlet_c = bottom_c + self.heat_kw / (KWH_PER_M3_K * self.flow_m3h)
        flue_target = 60.0 + 120.0 * self.firing + (100.0 if self.cause_flue else 0.0)
        if self.state not in BURNING and self.firing == 0.0:
            flue_target = 40.0
        self.flue_c += (flue_target - self.flue_c) * min(1.0, dt / 300.0)

    @property
    def flue_high(self) -> bool:
        return self.flue_c > FLUE_HIGH_C
