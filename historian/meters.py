"""The meters' logbook: replacements confirmed by the agent, manual readings, suspected replacements.

:class:`MeterLog` is what the logbook calls. It checks an entry, stores it in its table
(:mod:`.meter_schema`) and writes the audit record (:class:`OperatorAction`
``METER_REPLACEMENT`` or ``MANUAL_READING``), accepted or refused with its reason; a refusal is
a :class:`MeterRefused` whose ``reason`` the HMI says in words (``meter.refused.<reason>``).
What the entries do to the figures is :mod:`.readings`'s rule (docs/historian.md,
« Compteurs »): once confirmed, a replacement is counted through and no longer suspected; a
manual reading is a reading like any other.

Checks, for both: a known counter point of the configuration, a time not in the future, a
signed-in user. A replacement: the old meter's final index not below the last reading before
its time, the new meter's initial index ≥ 0, not one already confirmed (none within 6 h). A
manual reading: ≥ 0 and not below the previous reading — the new meter's initial index when a
replacement was confirmed since that reading.
Database calls are short and run in a worker thread. Times are UTC, aware.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context, OperatorAction
from chaufferie.historian.meter_schema import manual_readings, meter_replacements
from chaufferie.historian.readings import MAX_GAP, Drop, last_reading, replacements, suspected

log = logging.getLogger(__name__)

COMMENT_MAX = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MeterRefused(ValueError):
    """An entry that cannot be recorded. ``reason``: ``unknown_point``, ``future``,
    ``no_user``, ``negative``, ``below_last`` (a manual reading) or ``final_below_last`` (the
    old meter's final index) with ``value`` the reading it is below, ``already_confirmed`` (a
    replacement of that meter within ``MAX_GAP``) or ``comment_too_long``;
    the HMI says it in words."""

    def __init__(self, reason: str, value: float | None = None) -> None:
        super().__init__(reason if value is None else f"{reason} ({value:g})")
        self.reason = reason
        self.value = value


@dataclass(frozen=True, slots=True)
class Suspect:
    """A suspected replacement of the counter ``point``: when, the index before and after."""

    point: str
    drop: Drop


class MeterLog:
    """The meters' entries of the logbook, on the historian's engine (module docstring)."""

    def __init__(self, cfg: PlantConfig, engine: Engine, bus: Bus, clock: Clock) -> None:
        self.cfg = cfg
        self.engine = engine
        self.bus = bus
        self.clock = clock

    @property
    def counters(self) -> list[str]:
        """The configuration's counter points (those an entry may name), in its order."""
        return [p.name for p in self.cfg.points if p.is_counter]

    async def confirm_replacement(
        self,
        context: Context,
        point: str,
        at: datetime,
        old_final: float,
        new_initial: float,
        comment: str = "",
    ) -> None:
        """Record that the meter of ``point`` was replaced at ``at``; :class:`MeterRefused`
        (audited as refused) when the entry is wrong."""
        comment = comment.strip()
        details: dict[str, Any] = {
            "at": at.isoformat(),
            "old_final": old_final,
            "new_initial": new_initial,
            "comment": comment,
        }
        row = {"replaced_at": at, "old_final": old_final, "new_initial": new_initial, "comment": comment}
        await self._record(ActionKind.METER_REPLACEMENT, context, point, details, row)

    async def enter_reading(self, context: Context, point: str, at: datetime, value: float) -> None:
        """Record the index ``value`` of ``point`` read by hand at ``at``; :class:`MeterRefused`
        (audited as refused) when the entry is wrong."""
        details = {"at": at.isoformat(), "value": value}
        await self._record(
            ActionKind.MANUAL_READING, context, point, details, {"read_at": at, "value": value}
        )

    async def suspected(self, start: datetime, end: datetime) -> list[Suspect]:
        """The suspected replacements of every counter point in [start, end), in time order."""
        return await asyncio.to_thread(self._suspected, start, end)

    def _suspected(self, start: datetime, end: datetime) -> list[Suspect]:
        site, found = self.cfg.site.id, []
        with self.engine.connect() as conn:
            for name in self.counters:
                spec = self.cfg.points_by_name[name].counter
                rollover = None if spec is None else spec.rollover
                found += [Suspect(name, d) for d in suspected(conn, site, name, start, end, rollover)]
        return sorted(found, key=lambda s: s.drop.at)

    async def _record(
        self, kind: ActionKind, context: Context, point: str, details: dict[str, Any], row: dict[str, Any]
    ) -> None:
        try:
            await asyncio.to_thread(self._store, kind, context, point, row)
        except MeterRefused as refused:
            details |= {"reason": refused.reason, "last": refused.value}
            self._audit(kind, context, point, ActionResult.REFUSED, details)
            raise
        self._audit(kind, context, point, ActionResult.OK, details)
        log.info("%s of %s recorded by %s: %s", kind.value, point, context.user, details)

    def _store(self, kind: ActionKind, context: Context, point: str, row: dict[str, Any]) -> None:
        """Check the entry against the configuration and the history, then insert it (one
        transaction, so two entries cannot both pass against the same last reading)."""
        at: datetime = row["replaced_at"] if "replaced_at" in row else row["read_at"]
        self._check(context, point, at, row.get("comment", ""))
        table = meter_replacements if kind is ActionKind.METER_REPLACEMENT else manual_readings
        with self.engine.begin() as conn:
            if kind is ActionKind.METER_REPLACEMENT:
                _check_replacement(conn, self.cfg.site.id, point, row)
            else:
                _check_reading(conn, self.cfg.site.id, point, row)
            who = {"site_id": self.cfg.site.id, "point": point, "recorded_by": context.user}
            conn.execute(insert(table).values(**row, **who, recorded_at=self.clock.now()))

    def _check(self, context: Context, point: str, at: datetime, comment: str) -> None:
        known = self.cfg.points_by_name.get(point)
        if known is None or not known.is_counter:
            raise MeterRefused("unknown_point")
        if at.tzinfo is None or at > self.clock.now():
            raise MeterRefused("future")
        if not context.user:
            raise MeterRefused("no_user")
        if len(comment) > COMMENT_MAX:
            raise MeterRefused("comment_too_long")

    def _audit(
        self, kind: ActionKind, context: Context, point: str, result: ActionResult, details: dict[str, Any]
    ) -> None:
        self.bus.publish(
            OperatorAction(
                kind=kind,
                time=self.clock.now(),
                context=context,
                target=point,
                result=result,
                details=details,
            )
        )


def _check_replacement(conn: Connection, site: str, point: str, row: dict[str, Any]) -> None:
    """The new meter starts at 0 or more; the old one ended at or above its last reading; no
    other replacement of that meter is confirmed within ``MAX_GAP`` (the same one twice would
    count the old meter twice)."""
    if row["new_initial"] < 0 or row["old_final"] < 0:
        raise MeterRefused("negative")
    at = row["replaced_at"]
    if replacements(conn, site, point, at - MAX_GAP, at + MAX_GAP):
        raise MeterRefused("already_confirmed")
    last = last_reading(conn, site, point, at)
    if last is not None and row["old_final"] < last[1]:
        raise MeterRefused("final_below_last", last[1])


def _check_reading(conn: Connection, site: str, point: str, row: dict[str, Any]) -> None:
    """A reading is 0 or more and not below the previous one (or, when a replacement was
    confirmed since, below the new meter's initial index)."""
    if row["value"] < 0:
        raise MeterRefused("negative")
    at = row["read_at"]
    last = last_reading(conn, site, point, at)
    since = EPOCH if last is None else last[0]
    swaps = replacements(conn, site, point, since, at)
    previous = swaps[-1].new_initial if swaps else None if last is None else last[1]
    if previous is not None and row["value"] < previous:
        raise MeterRefused("below_last", previous)
