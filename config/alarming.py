"""Alarm definitions, contacts, on-call rota, escalation and notifier settings."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import Deadband, Delay, Magnitude, Minutes, Period, PriceIndex
from chaufferie.config.vocabulary import OilRole, PlantEventKind, Role


class PointCondition(Frozen):
    """Active while ``point op value`` holds (numbers with the alarm's deadband)."""

    kind: Literal["point"] = "point"
    point: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Magnitude | bool


class BadQualityCondition(Frozen):
    """Active while the point's value is not Good (link lost, sentinel, stale)."""

    kind: Literal["bad_quality"] = "bad_quality"
    point: str


class DeviationCondition(Frozen):
    """Active while ``|point - reference| > band`` (e.g. buffer temperature vs setpoint)."""

    kind: Literal["deviation"] = "deviation"
    point: str
    reference: str
    band: float = Field(gt=0, le=1e6)


class IncreaseCondition(Frozen):
    """Active while the counter ``point`` rose by more than ``limit`` (its unit) within the
    last ``window_s`` seconds: make-up water litres a day, the sign of a leak. A counter going
    back (a new meter) starts the window again."""

    kind: Literal["increase"] = "increase"
    point: str
    limit: float = Field(gt=0, le=1e9)
    window_s: float = Field(default=86_400.0, gt=0, le=7 * 86_400)


class LinkDownCondition(Frozen):
    """Active while a PLC link is down."""

    kind: Literal["link_down"] = "link_down"
    link: str


class EventCondition(Frozen):
    """Raised by a plant event (one occurrence per event), cleared by ``clear_on``."""

    kind: Literal["event"] = "event"
    event: PlantEventKind
    oil_role: OilRole | None = None
    clear_on: PlantEventKind | None = None


class InternalCondition(Frozen):
    """Raised by chaufferie itself (notification failure, silent alerting chain...)."""

    kind: Literal["internal"] = "internal"
    signal: Literal[
        "notification_failed", "watchdog", "spool_overflow", "modem_down", "central_down", "central_loss"
    ]


Condition = Annotated[
    PointCondition
    | DeviationCondition
    | IncreaseCondition
    | BadQualityCondition
    | LinkDownCondition
    | EventCondition
    | InternalCondition,
    Field(discriminator="kind"),
]


class Suppression(StrEnum):
    PLANT_STOPPED = "plant_stopped"
    WOOD_OFF = "wood_off"
    OIL_OFF = "oil_off"
    SUMMER = "summer"
    """Outside the heating season (plant mode ``summer``): e.g. the buffer's regulation band."""


CALL_OUT_MAX_PRIORITY = 2
"""Alarms of this priority or more urgent call the contractor out unless they say otherwise."""


class AlarmDefinition(Frozen):
    """One alarm of the catalogue (docs/domain.md §3)."""

    code: str = Field(pattern=r"^[A-Z]{3}-[A-Z0-9]{2,4}$")
    priority: Annotated[int, Field(ge=1, le=3)]
    label_fr: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    condition: Condition
    deadband: Deadband = 0.0
    on_delay_s: Delay = 0.0
    off_delay_s: Delay = 0.0
    latched: bool = False
    suppress_when: tuple[Suppression, ...] = ()
    resettable: bool = False
    reset_point: str | None = None
    """The writable pulse point a remote reset writes (``io.wood_fault_reset`` when unset)."""
    values: tuple[str, ...] = ()
    help_fr: str = ""
    help_en: str = ""
    call_out: bool | None = None
    """Whether this alarm is a call for the maintenance contractor (« appel de la centrale »,
    docs/domain.md §4): its first notification opens an intervention with its deadline.
    Unset: P1 and P2 are. False for what is not a breakdown of the contractor's equipment
    (the oil top-up, normal in a cold spell; the chip stock, the commune's conduite)."""

    @property
    def calls_out(self) -> bool:
        return self.call_out if self.call_out is not None else self.priority <= CALL_OUT_MAX_PRIORITY


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class Contact(Frozen):
    """A person the alarms can reach."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    language: Language = Language.FR
    role: Role = Role.TECHNICIAN


class RotaException(Frozen):
    """From ``start`` to ``end`` (inclusive dates), ``on_call`` replaces the rota."""

    start: date
    end: date
    on_call: str
    second: str | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> RotaException:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Rota(Frozen):
    """Weekly on-call rota: ``cycle[i]`` is on call in the i-th week from ``anchor``."""

    anchor: date = date(2026, 1, 5)
    handover_weekday: Annotated[int, Field(ge=0, le=6)] = 0
    handover_time: time = time(8, 0)
    cycle: tuple[str, ...] = Field(min_length=1)
    manager: str
    exceptions: tuple[RotaException, ...] = ()


class Escalation(Frozen):
    """How one priority reaches people."""

    channels: tuple[Literal["sms", "email"], ...]
    escalate_after_min: tuple[Minutes, ...] = ()
    working_hours_only: bool = False


class WorkingHours(Frozen):
    """Contract working hours for response deadlines (French public holidays excluded).

    ``weekdays`` are the contract's working days, Monday = 0: the tender's *jours ouvrables*,
    Monday to Saturday, by default (docs/domain.md §4); another contract may set Monday to Friday.
    """

    weekdays: tuple[Annotated[int, Field(ge=0, le=6)], ...] = (0, 1, 2, 3, 4, 5)
    periods: tuple[tuple[time, time], ...] = ((time(8, 0), time(12, 0)), (time(13, 30), time(17, 30)))
    country: str = "FR"
    deadline_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 8.0
    penalty_eur_per_day: float = Field(default=100.0, ge=0, le=1e6)


class ContractIndices(Frozen):
    """The three indices of the tender's price revision (§3.11; docs/domain.md §4): BT40
    (central heating works), PPEI (industrial producer prices), TCH (services)."""

    bt40: PriceIndex
    ppei: PriceIndex
    tch: PriceIndex


class ContractSettings(Frozen):
    """The maintenance contract's price revision: the indices known at the base date and the
    anniversary on which the commune enters the current ones. Without ``base_indices`` the
    penalty is not indexed (index 1) and current indices cannot be entered."""

    base_indices: ContractIndices | None = None
    anniversary: date | None = None
    """The contract's anniversary (the year is that of the first one; day and month recur)."""


class TwilioSettings(Frozen):
    """SMS through Twilio; secrets come from the environment variables named here."""

    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    from_number: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")
    api_base_url: str | None = None


class SmtpSettings(Frozen):
    """Email through an SMTP server (STARTTLS by default)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username_env: str | None = "CHAUFFERIE_SMTP_USER"
    password_env: str | None = "CHAUFFERIE_SMTP_PASSWORD"
    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    ca_file: str | None = None


class ModemSettings(Frozen):
    """SMS over the mobile network through a USB/serial GSM modem (Gammu's AT driver).

    ``device`` is the modem's serial port by its stable udev name (deploy/99-chaufferie-modem.rules);
    the SIM PIN, when the SIM asks for one, comes from the environment variable ``pin_env``.
    """

    device: str = "/dev/chaufferie-modem"
    connection: str = Field(default="at", pattern=r"^at[0-9]*$")
    """Gammu's connection name: ``at`` (speed detected) or e.g. ``at115200``."""
    pin_env: str | None = "CHAUFFERIE_MODEM_PIN"
    smsc: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    """The SMS centre's number; unset: the one stored on the SIM."""
    poll_s: Period = 10.0
    """How often the modem's health and its received messages are read."""
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 60.0
    """The longest one send may take before it counts as failed."""
    delivery_reports: bool = True
    min_signal_percent: Annotated[int, Field(ge=0, le=100)] = 20
    """Below this signal quality the modem counts as down (NOT-GSM) and is skipped."""


SmsTransport = Literal["twilio", "modem"]


class SmsRoute(Frozen):
    """The channel policy for some contacts and priorities: the SMS transports, in order.

    A message to one of ``contacts`` (every contact when empty) for an alarm of one of
    ``priorities`` (every priority, and messages of no alarm, when empty) goes by ``via[0]``;
    after its retry budget, or at once when it is known to be down, by ``via[1]``, and so on.
    The first rule that matches decides; with none, every configured transport, Twilio first.
    """

    contacts: tuple[str, ...] = ()
    priorities: tuple[Annotated[int, Field(ge=1, le=3)], ...] = ()
    via: tuple[SmsTransport, ...] = Field(min_length=1)

    def matches(self, contact_id: str, priority: int | None) -> bool:
        if self.contacts and contact_id not in self.contacts:
            return False
        return not self.priorities or priority in self.priorities


class NotifierSettings(Frozen):
    """Channels, retries, flood and watchdog. No provider → local outbox folder."""

    sms: TwilioSettings | None = None
    email: SmtpSettings | None = None
    modem: ModemSettings | None = None
    outbox_dir: str = "outbox"
    retry_base_s: Period = 10.0
    retry_max_s: Period = 600.0
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 6
    handover_attempts: Annotated[int, Field(ge=1, le=100)] = 2
    """Attempts on one transport before the message moves to the next one of its route."""
    sms_routes: tuple[SmsRoute, ...] = ()
    probe_s: Period = 60.0
    """How often a transport known to be down is probed (Twilio: a TCP connection to its API)."""
    chatter_count: Annotated[int, Field(ge=2, le=1000)] = 3
    chatter_window_s: Period = 60.0
    flood_count: Annotated[int, Field(ge=2, le=1_000_000)] = 10
    flood_window_s: Period = 600.0
    group_window_s: Period = 120.0
    """Messages to one recipient within this time of the last one are grouped into a summary."""
    group_burst: Annotated[int, Field(ge=1, le=1000)] = 3
    """P1 alarms still go at once while fewer than this many messages went in the window."""
    daily_test_time: time | None = time(9, 0)
    watchdog_ping_url: str | None = None
    watchdog_stall_s: Period = 120.0
