"""The only path towards the PLC: check a :class:`Command`, write it, confirm it, audit it.

:class:`WriteGuard` is the whitelist, as pure checks: the point exists and is
``read_write``; a boolean point gets a bool (a ``pulse`` point only ``True``: the PLC resets
it, the bridge never fights it); a numeric point gets a finite number within its ``bounds``
(and a whole number for integer types); the previous write to the point is at least
``write_min_interval_s`` old. Anything else raises :class:`~.errors.WriteRefused`.

:class:`CommandExecutor` runs an accepted command on the point's source, which writes and
reads back: a matching read-back confirms it (a pulse is confirmed once acknowledged by the
PLC, whatever it reads back), anything else fails it. Every outcome — confirmed, refused,
failed — is published as a :class:`CommandResult` and as an :class:`OperatorAction`
(``kind=COMMAND``) carrying the command's context, so the audit log says who asked. The
exception is the supervisor's life counter to each PLC (``links.<name>.supervisor_heartbeat_point``,
docs/domain.md §6): written every few seconds, it is not an operator action; its writes are
checked the same way but neither published nor audited, and only a change between success
and failure is logged.

Imports only :mod:`chaufferie.config` and sibling modules.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.points import DataType, ModbusSource, OpcUaSource, OpcUaType, PlcTrust, Point
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Command,
    CommandResult,
    CommandStatus,
    OperatorAction,
    Scalar,
)
from chaufferie.plc_bridge.base import TagSource
from chaufferie.plc_bridge.errors import DecodeError, LinkError, WriteRefused
from chaufferie.plc_bridge.texts import say
from chaufferie.plc_bridge.tracking import is_number

log = logging.getLogger(__name__)

_INTEGER_OPCUA = {OpcUaType.INT16, OpcUaType.UINT16, OpcUaType.INT32, OpcUaType.UINT32}
_INTEGER_MODBUS = {DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32}


def _integer_only(point: Point) -> bool:
    src = point.source
    if isinstance(src, ModbusSource):
        return src.type in _INTEGER_MODBUS and src.scale == 1.0 and src.offset == 0.0
    if isinstance(src, OpcUaSource):
        return src.type in _INTEGER_OPCUA
    return False


def check_value(point: Point, value: Scalar) -> None:
    """Refuse a value that does not suit ``point`` (pure: no clock, no state)."""
    name = point.name
    if not point.writable:
        raise WriteRefused("read_only", say("read_only", point=name))
    if point.is_bool:
        if not isinstance(value, bool):
            raise WriteRefused("not_bool", say("not_bool", point=name, value=value))
        if point.pulse and value is not True:
            raise WriteRefused("pulse_true_only", say("pulse_true_only", point=name))
        return
    if not is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise WriteRefused("not_number", say("not_number", point=name, value=value))
    number = float(value)  # type: ignore[arg-type]
    if _integer_only(point) and not number.is_integer():
        raise WriteRefused("not_integer", say("not_integer", point=name, value=value))
    bounds = point.bounds
    if bounds is not None and not bounds.contains(number):
        raise WriteRefused(
            "out_of_bounds", say("out_of_bounds", point=name, value=value, min=bounds.min, max=bounds.max)
        )


class WriteGuard:
    """The whitelist and the per-point rate limit."""

    def __init__(self, points: Iterable[Point], clock: Clock) -> None:
        self._points = {p.name: p for p in points}
        self._clock = clock
        self._last_write: dict[str, float] = {}

    def check(self, command: Command) -> Point:
        """The point to write for ``command``; raises :class:`WriteRefused` otherwise."""
        point = self._points.get(command.point)
        if point is None:
            raise WriteRefused("unknown_point", say("unknown_point", point=command.point))
        check_value(point, command.value)
        last = self._last_write.get(point.name)
        if last is not None:
            wait = last + point.write_min_interval_s - self._clock.monotonic()
            if wait > 0:
                raise WriteRefused(
                    "rate_limited", say("rate_limited", point=point.name, wait=math.ceil(wait))
                )
        return point

    def record(self, point: str) -> None:
        """A write to ``point`` is being attempted now."""
        self._last_write[point] = self._clock.monotonic()


def confirms(point: Point, written: Scalar, readback: Scalar) -> bool:
    """Does ``readback`` confirm ``written``? (within half a step of the point's resolution)"""
    if point.pulse:
        return True
    if point.is_bool:
        return readback is written or readback == written
    if not is_number(readback) or not is_number(written):
        return False
    src = point.source
    step = abs(src.scale) / 2 if isinstance(src, ModbusSource) and src.type in _INTEGER_MODBUS else 0.0
    a, b = float(readback), float(written)  # type: ignore[arg-type]
    return abs(a - b) <= step + 1e-9 or math.isclose(a, b, rel_tol=1e-6)


class CommandExecutor:
    """Runs commands against the sources and publishes their results and audit entries."""

    def __init__(
        self,
        guard: WriteGuard,
        points: Iterable[Point],
        sources: Mapping[str, TagSource],
        bus: Bus,
        clock: Clock,
        quiet: Iterable[str] = (),
    ) -> None:
        self._guard = guard
        self._links = {p.name: p.link for p in points}
        self._sources = sources
        self._bus = bus
        self._clock = clock
        self._quiet = frozenset(quiet)
        self._quiet_failing: dict[str, bool] = {}

    async def execute(self, command: Command) -> CommandResult:
        """Check, write, read back and audit ``command``; never raises for a bad command."""
        try:
            point = self._guard.check(command)
        except WriteRefused as refused:
            return self._finish(command, CommandStatus.REFUSED, refused.message)
        source = self._sources.get(self._links[point.name])
        if source is None:
            message = say("no_link", link=self._links[point.name], point=point.name)
            return self._finish(command, CommandStatus.REFUSED, message)
        self._guard.record(point.name)
        try:
            readback = await source.write(point, command.value)
        except (LinkError, DecodeError) as exc:
            return self._finish(command, CommandStatus.FAILED, say("link_down", point=point.name, error=exc))
        except Exception as exc:  # a bug must still answer the command and leave an audit entry
            log.exception("write of %s failed unexpectedly", point.name)
            return self._finish(
                command, CommandStatus.FAILED, say("link_down", point=point.name, error=repr(exc))
            )
        if not confirms(point, command.value, readback):
            message = say("readback_mismatch", point=point.name, readback=readback, value=command.value)
            return self._finish(command, CommandStatus.FAILED, message, readback)
        key = "pulse_sent" if point.pulse else "confirmed"
        return self._finish(
            command, CommandStatus.CONFIRMED, say(key, point=point.name, readback=readback), readback
        )

    def _finish(
        self, command: Command, status: CommandStatus, message: str, readback: Scalar = None
    ) -> CommandResult:
        now = self._clock.now()
        result = CommandResult(
            command.id, command.point, command.value, status, now, message, readback, command.context
        )
        if command.point in self._quiet:
            self._quietly(command.point, status, message)
            return result
        audit = OperatorAction(
            kind=ActionKind.COMMAND,
            time=now,
            context=command.context,
            target=command.point,
            result=_AUDIT[status],
            details={
                "command_id": command.id,
                "value": command.value,
                "readback": readback,
                "status": status.value,
                "message": message,
                "reason": command.reason,
            },
        )
        level = logging.INFO if status is CommandStatus.CONFIRMED else logging.WARNING
        log.log(
            level,
            "command %s %s=%r by %s: %s",
            status.value,
            command.point,
            command.value,
            command.context.user or command.context.origin,
            message,
        )
        self._bus.publish(result)
        self._bus.publish(audit)
        return result

    def _quietly(self, point: str, status: CommandStatus, message: str) -> None:
        failing = status is not CommandStatus.CONFIRMED
        if self._quiet_failing.get(point, False) != failing:
            self._quiet_failing[point] = failing
            if failing:
                log.warning("life counter %s not written: %s", point, message)
            else:
                log.info("life counter %s written again", point)


def life_counters(links: Mapping[str, PlcTrust]) -> frozenset[str]:
    """The supervisor's life-counter points, one per link that declares one."""
    names = (link.supervisor_heartbeat_point for link in links.values())
    return frozenset(name for name in names if name is not None)


_AUDIT = {
    CommandStatus.CONFIRMED: ActionResult.OK,
    CommandStatus.REFUSED: ActionResult.REFUSED,
    CommandStatus.FAILED: ActionResult.FAILED,
}
