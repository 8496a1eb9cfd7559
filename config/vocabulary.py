"""The shared vocabulary: small frozen types that travel on the bus.

Every layer speaks these and nothing else: tag values from the PLC bridge, link-state
changes, plant events from the supervisor, alarm transitions and notification records from
the alarms, operator actions from the HMI and the remote-ack channels, commands towards
the PLC with their results, and the configuration changes put in force. The historian records
every one of them but the last (whose audit record is the operator action that asked for it).

Each message that something *caused* carries a :class:`Context` (who or what caused it and
the parent context) so an oil start can be traced back to the value that triggered it and an
acknowledgement to the technician, channel and address it came from.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaufferie.config.settings import PlantConfig

Scalar = float | int | bool | str | None
"""A point's value: numbers and booleans from the PLC, ``None`` when never read."""


def new_id() -> str:
    """A fresh opaque identifier (UUID4, hex)."""
    return uuid.uuid4().hex


class Quality(StrEnum):
    """OPC-style quality of a value: only ``GOOD`` values may drive the plant."""

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class Channel(StrEnum):
    """Where an action came from."""

    HMI = "hmi"
    LINK = "link"
    SMS_REPLY = "sms_reply"
    SMS_MODEM = "sms_modem"
    """An SMS received by the site's GSM modem (the mobile network, no internet needed)."""
    CLI = "cli"
    SYSTEM = "system"


class Role(StrEnum):
    """Access roles, each including the rights of the ones before it."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    TECHNICIAN = "technician"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True, slots=True)
class Context:
    """Who or what caused a message, and the context it descends from."""

    origin: str
    user: str | None = None
    channel: Channel = Channel.SYSTEM
    address: str | None = None
    parent_id: str | None = None
    id: str = field(default_factory=new_id)

    def child(self, origin: str | None = None) -> Context:
        """A context caused by this one (same user, channel and address)."""
        return Context(
            origin=origin or self.origin,
            user=self.user,
            channel=self.channel,
            address=self.address,
            parent_id=self.id,
        )


SYSTEM = Context(origin="system", id="system")


@dataclass(frozen=True, slots=True)
class TagValue:
    """One point's value as read from the plant.

    ``source_time`` is the PLC's (or server's) timestamp, ``receive_time`` ours. A value
    from a lost link keeps the last good number with ``stale=True`` and quality ``BAD``: it
    is shown greyed with its age, never as fresh.
    """

    point: str
    value: Scalar
    quality: Quality
    source_time: datetime
    receive_time: datetime
    stale: bool = False

    @property
    def good(self) -> bool:
        return self.quality is Quality.GOOD and not self.stale


class LinkState(StrEnum):
    """State of one PLC link (Modbus or OPC UA source)."""

    CONNECTING = "connecting"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A PLC link changed state."""

    link: str
    state: LinkState
    previous: LinkState
    reason: str
    time: datetime
    context: Context = SYSTEM


class PlantMode(StrEnum):
    """Operating mode of the plant as decided by the supervisor."""

    STOPPED = "stopped"
    WOOD = "wood"
    WOOD_WITH_TOPUP = "wood_with_topup"
    OIL_REPLACEMENT = "oil_replacement"
    DEGRADED = "degraded"
    MANUAL = "manual"
    SUMMER = "summer"
    """Outside the heating season, on the agent's confirmation (docs/domain.md, « Saison de
    chauffe »): no heating; the wood boiler keeps the buffer for hot water only if configured."""


class OilRole(StrEnum):
    """Why the oil boiler runs: standing in for wood (relève) or helping it (appoint)."""

    REPLACEMENT = "replacement"
    TOP_UP = "top_up"


class PlantEventKind(StrEnum):
    """What happened in the plant (supervisor decisions and logbook entries)."""

    MODE_CHANGED = "mode_changed"
    OIL_STARTED = "oil_started"
    OIL_STOPPED = "oil_stopped"
    SETPOINT_CHANGED = "setpoint_changed"
    PUMP_SWITCHED = "pump_switched"
    PUMP_DUTY_SWAPPED = "pump_duty_swapped"
    PUMPS_BOTH_FAILED = "pumps_both_failed"
    SCREW_TEST_STARTED = "screw_test_started"
    SCREW_TEST_PASSED = "screw_test_passed"
    SCREW_TEST_FAILED = "screw_test_failed"
    SCREW_JAMMED = "screw_jammed"
    WOOD_RESTART = "wood_restart"
    WOOD_RESTARTS_EXHAUSTED = "wood_restarts_exhausted"
    INPUT_BAD = "input_bad"
    INPUT_RESTORED = "input_restored"
    CHIP_DELIVERY = "chip_delivery"
    ASH_REMOVAL = "ash_removal"
    SUPERVISOR_STARTED = "supervisor_started"
    PLC_LOCAL_MODE_ENDED = "plc_local_mode_ended"
    """A PLC ran the plant on its own (docs/domain.md §6) and gave control back."""
    SEASON_CHANGED = "season_changed"
    """The agent confirmed the end (``values["summer"]`` True) or the start of the heating
    season; the last one is the season state a restarted supervisor resumes."""
    WATER_MAKEUP = "water_makeup"
    """Logbook: water added to the network (litres, pressure before/after)."""
    AIR_PURGE = "air_purge"
    """Logbook: air purged from the network (where)."""


@dataclass(frozen=True, slots=True)
class PlantEvent:
    """A plant event: mode change, oil start/stop (with its role), pump switch, ...

    ``reason`` is a stable code (``wood_fault``, ``comm_loss``, ``wood_insufficient``...),
    ``message`` a short English sentence for logs; user-facing texts come from the
    catalogues. ``values`` holds the values that caused the decision.
    """

    kind: PlantEventKind
    time: datetime
    reason: str = ""
    message: str = ""
    mode: PlantMode | None = None
    previous_mode: PlantMode | None = None
    oil_role: OilRole | None = None
    values: Mapping[str, Scalar] = field(default_factory=dict)
    context: Context = SYSTEM
    id: str = field(default_factory=new_id)


class AlarmState(StrEnum):
    """ISA-18.2 / IEC 62682 alarm states."""

    NORMAL = "normal"
    UNACKED = "unacked"
    ACKED = "acked"
    RTN_UNACKED = "rtn_unacked"
    LATCHED = "latched"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"
    OUT_OF_SERVICE = "out_of_service"


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """One alarm occurrence moved from one state to another."""

    code: str
    occurrence_id: str
    priority: int
    previous: AlarmState
    state: AlarmState
    trigger: str
    time: datetime
    active: bool
    value: Scalar = None
    message: str = ""
    oil_role: OilRole | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    context: Context = SYSTEM


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    DELIVERED = "delivered"
    """The network's delivery report: the phone received it (GSM modem)."""
    UNDELIVERED = "undelivered"
    """The network's delivery report: it gave up (GSM modem)."""


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """A notification's life: queued, sent, retried or failed, on one channel."""

    key: str
    channel: str
    recipient: str
    status: NotificationStatus
    time: datetime
    occurrence_id: str | None = None
    code: str | None = None
    body: str = ""
    attempts: int = 0
    error: str = ""
    via: str = ""
    """The transport that carried it or is trying (``twilio``, ``modem``, ``smtp``...)."""
    context: Context = SYSTEM


class ActionKind(StrEnum):
    """Operator actions recorded in the audit log."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ACKNOWLEDGE = "acknowledge"
    COMMENT = "comment"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    RESET = "reset"
    COMMAND = "command"
    MANUAL_MODE = "manual_mode"
    SETTING_CHANGED = "setting_changed"
    CONFIG_CHANGED = "config_changed"
    USER_CHANGED = "user_changed"
    CHIP_DELIVERY = "chip_delivery"
    ASH_REMOVAL = "ash_removal"
    ARRIVAL_ON_SITE = "arrival_on_site"
    MAINTENANCE_DONE = "maintenance_done"
    """A task of the preventive maintenance plan recorded as done (who, when, note)."""
    MAKING_SAFE = "making_safe"
    END_OF_REPAIR = "end_of_repair"
    PHONE_CALL = "phone_call"
    CONTRACT_INDICES = "contract_indices"
    CALL_DISPUTED = "call_disputed"
    DISPUTE_ACCEPTED = "dispute_accepted"
    DISPUTE_REJECTED = "dispute_rejected"
    CONTRACT_REPORT = "contract_report"
    """The contract report exported (it names callers and the parties' reasons)."""
    LINK_REFUSED = "link_refused"
    SEASON_CHANGE = "season_change"
    WATER_MAKEUP = "water_makeup"
    AIR_PURGE = "air_purge"
    METER_REPLACEMENT = "meter_replacement"
    """A meter replaced, confirmed in the logbook (old meter's final index, new one's initial)."""
    MANUAL_READING = "manual_reading"
    """A meter's index read by hand and entered in the logbook."""


class ActionResult(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """Who did what, from where, by which channel, and with what result (the audit log)."""

    kind: ActionKind
    time: datetime
    context: Context
    target: str = ""
    result: ActionResult = ActionResult.OK
    details: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class Command:
    """A request to write one whitelisted PLC point (checked against config bounds)."""

    point: str
    value: Scalar
    time: datetime
    context: Context
    reason: str = ""
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class ManualModeRequest:
    """Ask the supervisor to force ``mode`` for ``duration_s`` (its setting when None), or to
    return to automatic (``mode`` None). Not an audit record: the supervisor, which executes
    it, writes the one ``OperatorAction(MANUAL_MODE)``, accepted or refused with its reason.
    ``role`` is the role the publisher authenticated (the supervisor checks it again)."""

    mode: PlantMode | None
    time: datetime
    context: Context
    role: Role | None = None
    duration_s: float | None = None
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class SeasonRequest:
    """Ask the supervisor to leave the heating season (``summer`` True: summer mode) or to
    start it again, as the agent confirmed on the HMI. Not an audit record: the supervisor,
    which executes it, writes the one ``OperatorAction(SEASON_CHANGE)``, accepted or refused.
    ``role`` is the role the publisher authenticated (the supervisor checks it again)."""

    summer: bool
    time: datetime
    context: Context
    role: Role | None = None
    id: str = field(default_factory=new_id)


class CommandStatus(StrEnum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What became of a :class:`Command`: confirmed by read-back, refused or failed."""

    command_id: str
    point: str
    value: Scalar
    status: CommandStatus
    time: datetime
    message: str = ""
    readback: Scalar = None
    context: Context = SYSTEM


@dataclass(frozen=True, slots=True)
class ConfigChanged:
    """A section of the configuration in force was replaced (see :mod:`~chaufferie.config.live`).

    ``config`` is the whole new configuration, validated; ``section`` names the part that
    changed. The audit record of the change is the :class:`OperatorAction` of whoever asked.
    """

    section: str
    config: PlantConfig
    context: Context
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class SystemEvent:
    """A condition of the system itself, not of the plant, that an internal alarm watches.

    ``signal`` is the name an alarm's ``{kind: internal, signal: ...}`` condition waits for
    (``spool_overflow``: the historian is losing records, HIS-PER). The part that sees the
    condition publishes it; the alarms raise or clear, with no callback across the layers.
    """

    signal: str
    active: bool
    time: datetime
    detail_fr: str = ""
    detail_en: str = ""
    context: Context = SYSTEM


Message = (
    TagValue
    | LinkEvent
    | PlantEvent
    | AlarmTransition
    | NotificationRecord
    | OperatorAction
    | Command
    | CommandResult
    | ManualModeRequest
    | SeasonRequest
    | ConfigChanged
    | SystemEvent
)
"""Everything that may travel on the bus."""
