"""Transfer screws: reverse-rotation test (daily and on demand) and jam cut-off.

A test is a pulse on ``io.screw_reverse_test`` (``SCREW_TEST_STARTED``); its result is
``SCREW_TEST_FAILED`` when the PLC raises ``io.screw_test_failed``, ``SCREW_TEST_PASSED``
when the PLC's ``io.screw_test_running`` went up and down without a failure, and
``SCREW_TEST_FAILED`` (reason ``test_timeout``) when nothing happened within
``screw_test_timeout_s``. No test is started while a screw is jammed or a test is running. A failure flag
still standing from an earlier test counts only once the new test has run.

A jam (``io.screw_jammed``) gives one ``SCREW_JAMMED`` event and asserts the cut-off
(``io.screw_cutoff``); the cut-off is released when the jam flag clears. The boiler starving
is the cascade's business (:mod:`.cascade` treats a jam as wood unavailable).

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

from chaufferie.config.vocabulary import Context, PlantEventKind
from chaufferie.supervisor.emitter import Emitter, Outputs
from chaufferie.supervisor.inputs import Inputs, Signal
from chaufferie.supervisor.reasons import Reason
from chaufferie.supervisor.settings import Held, InForce
from chaufferie.supervisor.timers import Schedule


class Screws(InForce):
    """Reverse tests and jam handling."""

    __slots__ = (
        "_cutoff",
        "_jammed",
        "_parent",
        "_pulse",
        "_request_pulse",
        "_requested",
        "_schedule",
        "_seen_running",
        "_stale_failure",
        "_started_at",
    )

    def __init__(self, held: Held, pulse_point: str, cutoff_point: str, schedule: Schedule) -> None:
        super().__init__(held)
        self._pulse = pulse_point
        self._cutoff = cutoff_point
        self._schedule = schedule
        self._jammed = False
        self._started_at: float | None = None
        self._seen_running = False
        self._stale_failure = False
        self._requested: Context | None = None
        self._request_pulse = True
        self._parent: Context | None = None

    @property
    def testing(self) -> bool:
        return self._started_at is not None

    def request_test(self, parent: Context, pulse: bool = True) -> None:
        """An operator asked for a test: it starts at the next evaluation.

        ``pulse`` False: the operator's own write already started it (the HMI writes the pulse
        itself and audits it); the supervisor only follows it to its result.
        """
        self._requested = parent
        self._request_pulse = pulse

    def step(self, emit: Emitter, inp: Inputs, outputs: Outputs, in_control: bool) -> None:
        jammed = inp.flag(Signal.SCREW_JAMMED)
        if jammed and not self._jammed:
            emit.event(
                PlantEventKind.SCREW_JAMMED,
                Reason.SCREW_CUTOFF,
                {"silo_level_pct": inp.number(Signal.SILO_LEVEL)},
            )
        self._jammed = jammed
        if in_control:
            outputs.want(emit, self._cutoff, jammed, Reason.SCREW_CUTOFF if jammed else Reason.SCREW_RELEASED)
        scheduled = self._schedule.due(emit.now_s)
        busy = jammed or inp.flag(Signal.SCREW_TEST_RUNNING)
        if self._started_at is not None:
            self._follow(emit, inp)
        elif self._requested is not None:
            if not self._request_pulse or not busy:
                self._start(emit, inp, Reason.ON_DEMAND_TEST, self._requested, self._request_pulse)
            self._requested = None
        elif scheduled and in_control and not busy:
            self._start(emit, inp, Reason.SCHEDULED_TEST, None, True)

    def _start(self, emit: Emitter, inp: Inputs, reason: Reason, parent: Context | None, pulse: bool) -> None:
        self._started_at = emit.now_s
        self._seen_running = False
        self._stale_failure = inp.flag(Signal.SCREW_TEST_FAILED)
        self._parent = parent
        if pulse:
            emit.command(self._pulse, True, reason, parent)
        emit.event(PlantEventKind.SCREW_TEST_STARTED, reason, parent=parent)

    def _follow(self, emit: Emitter, inp: Inputs) -> None:
        running = inp.flag(Signal.SCREW_TEST_RUNNING)
        elapsed = emit.now_s - (self._started_at or emit.now_s)
        failed = inp.flag(Signal.SCREW_TEST_FAILED)
        if not failed:
            self._stale_failure = False
        if failed and (self._seen_running or not self._stale_failure):
            self._finish(emit, PlantEventKind.SCREW_TEST_FAILED, Reason.TEST_REPORTED_FAILED, elapsed)
        elif running:
            self._seen_running = True
        elif self._seen_running:
            self._finish(emit, PlantEventKind.SCREW_TEST_PASSED, Reason.TEST_COMPLETED, elapsed)
        elif elapsed >= self._held.s.screw_test_timeout_s:
            self._finish(emit, PlantEventKind.SCREW_TEST_FAILED, Reason.TEST_TIMEOUT, elapsed)

    def _finish(self, emit: Emitter, kind: PlantEventKind, reason: Reason, elapsed: float) -> None:
        emit.event(kind, reason, {"duration_s": elapsed}, parent=self._parent)
        self._started_at = None
        self._parent = None
