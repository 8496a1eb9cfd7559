"""Stable reason codes carried by the supervisor's :class:`PlantEvent` and :class:`Command`.

The code is the contract with the alarms helper and the historian: they turn it into French
and English text from their catalogues and count oil starts by kind and reason for the
subsidy report. Never rename a member; add new ones at the end of their group.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why the supervisor did something (``PlantEvent.reason`` / ``Command.reason``)."""

    # -- the wood boiler can't deliver: oil in replacement (relève) ------------------------
    WOOD_FAULT = "wood_fault"
    """The wood boiler's PLC reports a fault (state ``fault``) with no more specific code."""
    WOOD_LOCKOUT = "wood_lockout"
    """The wood boiler's PLC is locked out (state ``lockout``): a person must reset it."""
    IGNITION_FAILURE = "ignition_failure"
    """The PLC reports an ignition failure (fault code ``ignition_failure``)."""
    START_TIMEOUT = "start_timeout"
    """No ``running`` within ``startup_grace_s`` after a start request (enable or fault reset)."""
    SCREW_JAM = "screw_jam"
    """A transfer screw is jammed: the boiler starves."""
    SILO_EMPTY = "silo_empty"
    """The silo is empty: the boiler starves."""
    COMM_LOSS = "comm_loss"
    """The link to the wood boiler's PLC has been lost for longer than ``comm_loss_s``."""
    # -- the wood boiler runs but can't keep up: oil in top-up (appoint) ---------------------
    WOOD_INSUFFICIENT = "wood_insufficient"
    """Wood at full modulation and outlet below setpoint for the configured delays."""
    TOPUP_NO_LONGER_NEEDED = "topup_no_longer_needed"
    """Outlet back near setpoint for ``topup_exit_s``: top-up ends."""
    WOOD_MODULATION_LOW = "wood_modulation_low"
    """Wood modulation fell below ``topup_exit_modulation_pct``: top-up ends."""
    OIL_SETPOINT = "oil_setpoint"
    """The oil boiler's setpoint: ``topup_oil_setpoint_offset_k`` below the buffer setpoint in
    top-up (wood stays at full fire, oil fills the gap), the buffer setpoint otherwise."""
    # -- back to wood ----------------------------------------------------------------------
    WOOD_RECOVERED = "wood_recovered"
    """The wood boiler ran again for ``replacement_end_run_s`` with outlet near setpoint."""
    # -- supervisor life and inputs ----------------------------------------------------------
    SUPERVISOR_START = "supervisor_start"
    """The supervisor took control once the buffer outlet temperature was known."""
    INPUT_BAD = "input_bad"
    """A value the cascade needs (buffer outlet temperature) is Bad or stale."""
    INPUT_RESTORED = "input_restored"
    """That value is Good again."""
    # -- operator ----------------------------------------------------------------------------
    MANUAL = "manual"
    """An authorised operator forced a mode (or an oil start/stop came with it)."""
    MANUAL_RELEASED = "manual_released"
    """The operator released manual mode: automatic cascade again."""
    MANUAL_EXPIRED = "manual_expired"
    """Manual mode reached its duration (at most ``manual_mode_max_s``)."""
    NOT_AUTHORISED = "not_authorised"
    """An operator action was refused: role below technician."""
    INVALID_REQUEST = "invalid_request"
    """An operator action was refused: unknown mode or bad duration."""
    SEASON_STOP = "season_stop"
    """The agent confirmed the end of the heating season: summer mode (kept across a restart)."""
    SEASON_START = "season_start"
    """The agent confirmed the start of the heating season: heating again."""
    UNCHANGED = "unchanged"
    """An operator action was refused: it asked for the state already in force."""
    # -- heating curve ----------------------------------------------------------------------
    HEATING_CURVE = "heating_curve"
    """Setpoint moved by more than ``setpoint_step_k`` with the outdoor temperature."""
    # -- wood boiler restarts -----------------------------------------------------------------
    AUTO_RESTART = "auto_restart"
    """The supervisor reset a wood boiler fault (counted against ``wood_max_restarts_24h``)."""
    RESTARTS_EXHAUSTED = "wood_restarts_exhausted"
    """``wood_max_restarts_24h`` reached: a person must look at the boiler."""
    # -- pumps -------------------------------------------------------------------------------
    PUMP_FAULT = "pump_fault"
    """The duty pump reports a fault (confirmed ``pump_fault_confirm_s``)."""
    PUMP_NO_FLOW = "pump_no_flow"
    """No network flow while the duty pump is commanded (confirmed ``pump_fault_confirm_s``)."""
    PUMP_RECOVERED = "pump_recovered"
    """The failed duty pump is healthy again and the other one has failed meanwhile."""
    WEEKLY_SWAP = "weekly_swap"
    """Weekly duty/standby swap so both pumps wear evenly."""
    BOTH_PUMPS_FAILED = "both_pumps_failed"
    """Neither pump can run."""
    # -- transfer screws ----------------------------------------------------------------------
    SCHEDULED_TEST = "scheduled_test"
    """The daily reverse-rotation test at ``screw_test_time``."""
    ON_DEMAND_TEST = "on_demand_test"
    """A reverse-rotation test asked for by an operator."""
    TEST_REPORTED_FAILED = "test_reported_failed"
    """The PLC reported the reverse-rotation test as failed."""
    TEST_COMPLETED = "test_completed"
    """The PLC ran the reverse-rotation test and reported no failure."""
    TEST_TIMEOUT = "test_timeout"
    """No test result within ``screw_test_timeout_s``."""
    SCREW_CUTOFF = "screw_cutoff"
    """Cut-off commanded because a screw is jammed."""
    SCREW_RELEASED = "screw_released"
    """Cut-off released: the jam flag cleared."""
    COMMAND_RETRY = "command_retry"
    """A previous write failed or was refused: the supervisor tries again."""


FAULT_CODE_REASONS: dict[str, Reason] = {
    "ignition_failure": Reason.IGNITION_FAILURE,
    "screw_jam": Reason.SCREW_JAM,
    "silo_empty": Reason.SILO_EMPTY,
}
"""Wood boiler fault codes (names from the ``wood.fault_code`` point's states) with a reason."""
