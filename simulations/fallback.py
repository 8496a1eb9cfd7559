"""The hydraulic PLC's dead-man on the supervisor's life counter (docs/domain.md §6).

The supervisor writes a counter to the PLC every few seconds
(``links.hydraulic.supervisor_heartbeat_point``). When the counter has not changed for
``simulation.fallback_after_s`` the PLC goes *local*:

- the oil boiler enabled when the buffer top is ``local_band_k`` below the wood boiler's
  setpoint while the wood boiler delivers nothing; it then fires on its own aquastat around
  its own setpoint, and is disabled again once the wood boiler delivers (each enabling is
  counted);
- the pumps keep running: the standby pump takes over if the duty pump has failed;
- the wood boiler keeps its last setpoint (its own controller does that without us).

The PLC stays local until the supervisor, heard again, asks for control back with a pulse on
``hydraulic.remote_request``; nothing is switched at the hand-back (oil that runs keeps
running), so the supervisor takes over without a second start.

The dead-man counts in model time when the plant runs on its own (tests, closed-loop replay);
served by :class:`~.server.SimulatorServers` it counts wall seconds (:attr:`LocalFallback.wall`),
as a real PLC's timer does, whatever the simulator's speed. The time spent in local mode is
reported in model time.

The dead-man is armed by the first change of the counter after power-up: a PLC powered up with
no supervisor runs on its own program and the commands it receives, as commissioning needs.
The contract a real PLC must fulfil is in docs/commissioning-guide.md, "Repli local".

May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from chaufferie.config.plant import SimulationSettings

DELIVERING_KW = 1.0
"""Below this heat output the wood boiler counts as delivering nothing."""


class LocalMode(IntEnum):
    """``hydraulic.local_mode``: who runs the plant."""

    OFF = 0
    """The supervisor (remote), or nobody has armed the dead-man yet."""
    SUPERVISOR_LOST = 1
    """The PLC, since the supervisor's counter stopped (what SUP-LOC watches)."""


@dataclass
class LocalFallback:
    """The dead-man and the local program, in model time."""

    after_s: float
    band_k: float
    mode: LocalMode = LocalMode.OFF
    since_t: float = 0.0
    oil_starts: int = 0
    oil_starts_total: int = 0
    counter: int | None = None
    heard_t: float | None = None
    wall: Callable[[], float] | None = None
    """The dead-man's time base when served (wall seconds); None: model time."""

    @classmethod
    def of(cls, sim: SimulationSettings) -> LocalFallback:
        return cls(sim.fallback_after_s, sim.local_band_k)

    @property
    def local(self) -> bool:
        return self.mode is not LocalMode.OFF

    def local_s(self, t: float) -> int:
        """Whole seconds in local mode (0 when remote)."""
        return int(t - self.since_t) if self.local else 0

    def _now(self, t: float) -> float:
        return self.wall() if self.wall is not None else t

    def beat(self, t: float, value: int) -> None:
        """The supervisor wrote its counter; only a change counts as a sign of life."""
        if value != self.counter:
            self.counter, self.heard_t = value, self._now(t)

    def heard(self, t: float) -> bool:
        return self.heard_t is not None and self._now(t) - self.heard_t < self.after_s

    def take_control(self, t: float) -> bool:
        """The supervisor asks for control back: granted only while it is heard."""
        if not self.local or not self.heard(t):
            return False
        self.mode = LocalMode.OFF
        return True

    def watch(self, t: float) -> None:
        """Go local (at model time ``t``) when the supervisor in control has fallen silent."""
        if self.mode is LocalMode.OFF and self.heard_t is not None and not self.heard(t):
            self.mode, self.since_t, self.oil_starts = LocalMode.SUPERVISOR_LOST, t, 0

    def oil_wanted(self, enabled: bool, buffer_c: float, setpoint_c: float, wood_kw: float) -> bool:
        """What the oil enable should be now, by the local program."""
        wood_delivers = wood_kw >= DELIVERING_KW
        if not enabled and not wood_delivers and buffer_c < setpoint_c - self.band_k:
            self.oil_starts += 1
            self.oil_starts_total += 1
            return True
        if enabled and wood_delivers:
            return False
        return enabled
