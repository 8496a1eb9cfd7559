"""Who may act on an alarm, and whether its fault may be reset remotely: one rule for every channel.

The HMI's alarm page, the acknowledgement page behind an SMS or email link and the SMS reply
all ask here; none keeps its own copy. *Remote reset* is the pulse on a PLC fault's reset point
(wood boiler fault, jammed screw, oil boiler fault), sent through the bridge and confirmed by
read-back; the reset of a latched alarm (STB, burn-back) in the alarm state machine, once it is
back to normal and acknowledged, is an alarm operation and needs no PLC (see docs/alarms.md).
"""

from __future__ import annotations

from enum import StrEnum

from chaufferie.config.alarming import AlarmDefinition
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState, Role

ACK_ROLE = Role.TECHNICIAN
"""Acknowledging an alarm (HMI, ack link, SMS reply)."""
RESET_ROLE = Role.TECHNICIAN
"""Resetting a latched alarm or a PLC fault."""
SHELVE_ROLE = Role.OPERATOR
COMMENT_ROLE = Role.OPERATOR


class ResetRefusal(StrEnum):
    """Why a fault may not be reset remotely; the value is the reason written to the audit log."""

    UNKNOWN_ALARM = "unknown_alarm"
    NOT_RESETTABLE = "not_resettable"
    NO_PLC_LINK = "no_plc_link"


def remote_reset_refusal(cfg: PlantConfig, code: str, *, plc_link: bool) -> ResetRefusal | None:
    """Why the PLC fault behind alarm ``code`` may not be reset from afar (None: it may).

    Only faults the catalogue marks ``resettable`` may be, and only with a path to the PLC.
    Whether the person may is :data:`RESET_ROLE`, checked by the caller at the moment of acting.
    """
    definition = _definition(cfg, code)
    if definition is None:
        return ResetRefusal.UNKNOWN_ALARM
    if not definition.resettable:
        return ResetRefusal.NOT_RESETTABLE
    if not plc_link:
        return ResetRefusal.NO_PLC_LINK
    return None


def latch_waiting(cfg: PlantConfig, code: str, state: AlarmState) -> bool:
    """A latched alarm back to normal and acknowledged, waiting for its reset."""
    definition = _definition(cfg, code)
    return definition is not None and definition.latched and state is AlarmState.LATCHED


def _definition(cfg: PlantConfig, code: str) -> AlarmDefinition | None:
    try:
        return cfg.alarm(code)
    except KeyError:
        return None
