"""Point and link models: where each value of the plant lives and how it is decoded.

A point is read from one link (a Modbus TCP server or an OPC UA server). Modbus points
name their table, address, data type, word and byte order, optional bit, scale and offset;
OPC UA points name a string node identifier in the link's namespace. Writable points carry
bounds: the PLC bridge refuses any write outside them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chaufferie.config.ranges import DAY_S, Deadband, Magnitude, Period
from chaufferie.config.words import STATE_WORDS

POINT_NAME = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"


class Frozen(BaseModel):
    """Base of every configuration model: immutable, unknown keys refused, and no infinity
    or NaN in any number (each number's range is in :mod:`chaufferie.config.ranges`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ModbusTable(StrEnum):
    HOLDING_REGISTER = "holding_register"
    INPUT_REGISTER = "input_register"
    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"

    @property
    def is_bit_table(self) -> bool:
        return self in (ModbusTable.COIL, ModbusTable.DISCRETE_INPUT)

    @property
    def writable(self) -> bool:
        return self in (ModbusTable.COIL, ModbusTable.HOLDING_REGISTER)


class DataType(StrEnum):
    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def registers(self) -> int:
        """16-bit registers a value of this type occupies."""
        return {"bool": 1, "int16": 1, "uint16": 1, "float64": 4}.get(self.value, 2)


class Order(StrEnum):
    BIG = "big"
    LITTLE = "little"


class ModbusSource(Frozen):
    """A value in a Modbus server's map."""

    protocol: Literal["modbus"] = "modbus"
    table: ModbusTable
    address: int = Field(ge=0, le=65535)
    type: DataType = DataType.UINT16
    word_order: Order = Order.BIG
    byte_order: Order = Order.BIG
    bit: int | None = Field(default=None, ge=0, le=15)
    scale: Magnitude = 1.0
    offset: Magnitude = 0.0

    @model_validator(mode="after")
    def _coherent(self) -> ModbusSource:
        if self.table.is_bit_table and self.type is not DataType.BOOL:
            raise ValueError(f"a {self.table.value} holds bits: type must be bool, not {self.type.value}")
        if self.bit is not None and self.type not in (DataType.UINT16, DataType.INT16, DataType.BOOL):
            raise ValueError("bit applies to 16-bit registers only")
        if not self.table.is_bit_table and self.type is DataType.BOOL and self.bit is None:
            raise ValueError("a bool in a register needs 'bit'")
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        return self

    @property
    def count(self) -> int:
        """Registers (or bits) this point occupies."""
        return 1 if self.table.is_bit_table else self.type.registers


class OpcUaType(StrEnum):
    BOOLEAN = "Boolean"
    INT16 = "Int16"
    UINT16 = "UInt16"
    INT32 = "Int32"
    UINT32 = "UInt32"
    FLOAT = "Float"
    DOUBLE = "Double"
    STRING = "String"


class OpcUaSource(Frozen):
    """A variable node of an OPC UA server, by string identifier in the link's namespace."""

    protocol: Literal["opcua"] = "opcua"
    node: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.]+$")
    type: OpcUaType = OpcUaType.DOUBLE


SYSTEM_LINK = "system"
"""The link of the points chaufferie measures itself (its GSM modem's health): no PLC."""


class SystemSource(Frozen):
    """A value chaufferie publishes about itself (e.g. ``modem.signal``), on link ``system``."""

    protocol: Literal["system"] = "system"
    type: Literal["bool", "int", "float"] = "float"


class MbusSource(Frozen):
    """One data record of an M-Bus meter (EN 13757-3), by its place in the meter's answer.

    The meter is named by its ``primary`` address (1–250) or its ``secondary`` address (the
    8-digit identification number printed on the meter). ``record`` is the record's index in the
    variable data structure (as the meter's documentation and ``chaufferie mbus-scan`` list
    them); ``unit`` is the unit the record must carry (as the library names it: ``Wh``, ``m^3``,
    ``W``, ``m^3/h``, ``C``…; empty: not checked): a meter swapped for one of another layout
    gives Bad quality, never a wrong value. The point's value is the record's value (in that
    unit) × ``scale`` (e.g. 0.001 for Wh → kWh).
    """

    protocol: Literal["mbus"] = "mbus"
    primary: int | None = Field(default=None, ge=1, le=250)
    secondary: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    record: int = Field(ge=0, le=255)
    unit: str = ""
    scale: Magnitude = 1.0

    @model_validator(mode="after")
    def _one_address(self) -> MbusSource:
        if (self.primary is None) == (self.secondary is None):
            raise ValueError("give the meter's primary address or its secondary address, not both")
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        return self

    @property
    def meter(self) -> str:
        """The meter's address as the link polls it (``p<primary>`` or ``s<secondary>``)."""
        return f"p{self.primary}" if self.primary is not None else f"s{self.secondary}"


Source = Annotated[ModbusSource | OpcUaSource | SystemSource | MbusSource, Field(discriminator="protocol")]


class Access(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class Bounds(Frozen):
    """Inclusive range a written value must lie in."""

    min: Magnitude
    max: Magnitude

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


class CounterSpec(Frozen):
    """A counter point: an index that only rises (energy, volume, mass burnt, run hours), whose
    drops the history judges (a rollover, a meter replacement) and which may be read by hand.
    ``counter: {}`` declares one; ``rollover`` when its meter wraps."""

    rollover: Magnitude | None = Field(default=None, gt=0)
    """The highest index the meter shows before it wraps to 0 (e.g. 99999999 for 8 digits)."""


class Point(Frozen):
    """One value of the plant."""

    name: str = Field(pattern=POINT_NAME)
    link: str
    label_fr: str
    label_en: str
    unit: str = ""
    source: Source
    access: Access = Access.READ
    bounds: Bounds | None = None
    deadband: Deadband = 0.0
    heartbeat_s: Period = 60.0
    sentinels: tuple[Annotated[float, Field(allow_inf_nan=True)], ...] = ()
    """Raw values the PLC sends for "no measurement" (NaN and infinities are the usual ones)."""
    normal_range: Bounds | None = None
    write_min_interval_s: float = Field(default=1.0, ge=0, le=DAY_S)
    pulse: bool = False
    counter: CounterSpec | None = None
    """Set for a counter (energy, litres, kg burnt, run hours): ``{}``, or its rollover index."""

    states: dict[int, str] | None = None
    """Number → state name; each name must have its words in ``config/words.py``
    (``STATE_WORDS``), which every message and screen shows instead of the number."""

    @field_validator("states")
    @classmethod
    def _states_have_words(cls, states: dict[int, str] | None) -> dict[int, str] | None:
        missing = sorted({name for name in (states or {}).values() if name not in STATE_WORDS})
        if missing:
            raise ValueError(
                f"state names without words in config/words.py STATE_WORDS: {', '.join(missing)}"
            )
        return states

    @property
    def writable(self) -> bool:
        return self.access is Access.READ_WRITE

    @property
    def is_counter(self) -> bool:
        """Whether this is a declared counter (``counter:``): only a counter may have a meter
        replacement or a manual reading recorded (docs/historian.md, « Compteurs »)."""
        return self.counter is not None

    @property
    def is_bool(self) -> bool:
        src = self.source
        if isinstance(src, ModbusSource):
            return src.type is DataType.BOOL or src.bit is not None
        if isinstance(src, SystemSource):
            return src.type == "bool"
        if isinstance(src, MbusSource):
            return False
        return src.type is OpcUaType.BOOLEAN

    @model_validator(mode="after")
    def _write_rules(self) -> Point:
        if self.writable:
            src = self.source
            if isinstance(src, SystemSource):
                raise ValueError("a system point is measured by chaufferie: access must be read")
            if isinstance(src, MbusSource):
                raise ValueError("an M-Bus meter is only read: access must be read")
            if isinstance(src, ModbusSource) and not src.table.writable:
                raise ValueError(f"a {src.table.value} cannot be written: access must be read")
            if self.bounds is None and not self.is_bool:
                raise ValueError("a writable numeric point needs bounds")
        return self


class PlcTrust(Frozen):
    """What every link says about the life counters between its PLC and us (docs/domain.md §6).

    ``heartbeat_point``: the PLC's own counter, read (frozen → the link's points Uncertain, then
    Bad). ``supervisor_heartbeat_point``: ours, written every ``heartbeat_write_s``; the PLC's
    local fallback is read on ``local_mode_point`` (with the time alone and the oil starts) and
    handed back on a pulse on ``remote_request_point``.
    """

    heartbeat_point: str | None = None
    heartbeat_timeout_s: Period = 10.0
    supervisor_heartbeat_point: str | None = None
    heartbeat_write_s: Period = 10.0
    local_mode_point: str | None = None
    local_seconds_point: str | None = None
    local_oil_starts_point: str | None = None
    remote_request_point: str | None = None


class ModbusLink(PlcTrust):
    """A Modbus TCP server (the wood boiler's controller)."""

    protocol: Literal["modbus"] = "modbus"
    host: str = "127.0.0.1"
    port: int = Field(default=5020, ge=1, le=65535)
    unit_id: int = Field(default=1, ge=0, le=247)
    poll_s: float = Field(default=1.0, gt=0, le=3600)
    timeout_s: float = Field(default=1.0, gt=0, le=300)
    max_registers_per_read: int = Field(default=125, ge=1, le=125)
    max_bits_per_read: int = Field(default=2000, ge=1, le=2000)


class SecurityPolicy(StrEnum):
    BASIC256SHA256 = "Basic256Sha256"
    AES128_SHA256_RSAOAEP = "Aes128_Sha256_RsaOaep"
    AES256_SHA256_RSAPSS = "Aes256_Sha256_RsaPss"
    NONE = "None"


class OpcUaLink(PlcTrust):
    """An OPC UA server (the hydraulic module's controller)."""

    protocol: Literal["opcua"] = "opcua"
    endpoint: str = Field(default="opc.tcp://127.0.0.1:4840/chaufferie", pattern=r"^opc\.tcp://")
    namespace_uri: str = "urn:chaufferie:plant"
    security_policies: tuple[SecurityPolicy, ...] = (
        SecurityPolicy.BASIC256SHA256,
        SecurityPolicy.AES128_SHA256_RSAOAEP,
        SecurityPolicy.AES256_SHA256_RSAPSS,
    )
    username_env: str = "CHAUFFERIE_OPCUA_USER"
    password_env: str = "CHAUFFERIE_OPCUA_PASSWORD"
    allow_anonymous_lab: bool = False
    publishing_interval_ms: int = Field(default=500, ge=10, le=3_600_000)
    sampling_interval_ms: int = Field(default=250, ge=0, le=3_600_000)
    session_timeout_s: float = Field(default=60.0, ge=10, le=DAY_S)
    watchdog_interval_s: float = Field(default=5.0, gt=0, le=3600)
    pki_dir: str = "pki"
    trusted_server_certs_dir: str = "pki/trusted"


class MbusLink(PlcTrust):
    """An M-Bus master: a TCP gateway (``host``/``port``, the usual installation) or a level
    converter on a serial ``device`` (``baudrate``, 2400 by default).

    Meters run on batteries: the link polls each meter once every ``poll_s`` (15 min by
    default), one request at a time with ``pause_s`` between meters, and a meter that has not
    answered ``bad_after_polls`` polls in a row has its points Bad (docs/plc-bridge.md).
    """

    protocol: Literal["mbus"] = "mbus"
    host: str | None = None
    port: int = Field(default=10001, ge=1, le=65535)
    device: str | None = None
    baudrate: Literal[300, 600, 1200, 2400, 4800, 9600, 19200, 38400] = 2400
    poll_s: float = Field(default=900.0, gt=0, le=86_400)
    timeout_s: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    pause_s: float = Field(default=0.2, ge=0, le=60)
    bad_after_polls: int = Field(default=2, ge=1, le=100)

    @model_validator(mode="after")
    def _one_way(self) -> MbusLink:
        if (self.host is None) == (self.device is None):
            raise ValueError("give the gateway's host (TCP) or the serial device, not both")
        trust = [f for f in PlcTrust.model_fields if f.endswith("_point") and getattr(self, f) is not None]
        if trust:
            raise ValueError(f"an M-Bus master has no PLC life counter or local mode: {', '.join(trust)}")
        return self

    @property
    def url(self) -> str:
        """Where pyserial opens the bus: ``socket://host:port`` or the device path."""
        return self.device if self.device is not None else f"socket://{self.host}:{self.port}"


Link = Annotated[ModbusLink | OpcUaLink | MbusLink, Field(discriminator="protocol")]
