"""The meters' card of the logbook as plain data: replacements confirmed, manual readings, suspects.

Reads and writes through :class:`~chaufferie.historian.meters.MeterLog` (which checks, stores
and audits each entry); the time the user typed is read in the site's time zone
(:func:`~chaufferie.hmi.maintenance.parse_when`). A refusal comes back as an
:class:`Outcome` in words (``meter.refused.<reason>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from chaufferie.config.vocabulary import Context
from chaufferie.historian.meters import COMMENT_MAX, MeterLog, MeterRefused
from chaufferie.hmi import format as fmt
from chaufferie.hmi.i18n import tr
from chaufferie.hmi.maintenance import parse_when
from chaufferie.hmi.records import Outcome

SUSPECT_DAYS = 90
"""How far back the logbook lists suspected replacements."""


@dataclass(frozen=True, slots=True)
class SuspectRow:
    """A suspected replacement, in words: the point, when, the index before and after."""

    point: str
    label: str
    at: str
    before: str
    after: str


class HmiMeters:
    """The logbook's access to the meters' entries (see module docstring)."""

    def __init__(self, log: MeterLog) -> None:
        self._log = log

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self._log.cfg.site.timezone)

    def counters(self, lang: str) -> dict[str, str]:
        """Counter point → its label, for the form's list."""
        points = self._log.cfg.points_by_name
        return {
            name: f"{points[name].label_en if lang == 'en' else points[name].label_fr} ({name})"
            for name in self._log.counters
        }

    async def suspects(self, lang: str) -> list[SuspectRow]:
        """The suspected replacements of the last :data:`SUSPECT_DAYS` days."""
        now = self._log.clock.now()
        found = await self._log.suspected(now - timedelta(days=SUSPECT_DAYS), now)
        labels = self.counters(lang)
        return [
            SuspectRow(
                s.point,
                labels.get(s.point, s.point),
                fmt.local_time(s.drop.at),
                fmt.number(s.drop.before, "", 1, lang),
                fmt.number(s.drop.after, "", 1, lang),
            )
            for s in found
        ]

    async def replacement(
        self,
        point: str,
        when: str,
        old_final: float,
        new_initial: float,
        comment: str,
        context: Context,
        lang: str,
    ) -> Outcome:
        """Confirm the replacement of ``point``'s meter at ``when`` (site time, empty: now)."""
        now = self._log.clock.now()
        try:
            at = parse_when(when, self.tz, now)
            await self._log.confirm_replacement(context, point, at, old_final, new_initial, comment)
        except MeterRefused as refused:
            return _refused(refused, lang)
        except ValueError as exc:
            return Outcome(False, tr("common.invalid", lang, message=str(exc)))
        return Outcome(True, tr("meter.replacement_recorded", lang))

    async def reading(self, point: str, when: str, value: float, context: Context, lang: str) -> Outcome:
        """Record the index ``value`` of ``point`` read by hand at ``when`` (site time, empty: now)."""
        now = self._log.clock.now()
        try:
            at = parse_when(when, self.tz, now)
            await self._log.enter_reading(context, point, at, value)
        except MeterRefused as refused:
            return _refused(refused, lang)
        except ValueError as exc:
            return Outcome(False, tr("common.invalid", lang, message=str(exc)))
        return Outcome(True, tr("meter.reading_recorded", lang))


def _refused(refused: MeterRefused, lang: str) -> Outcome:
    last = "" if refused.value is None else fmt.number(refused.value, "", 1, lang)
    return Outcome(False, tr(f"meter.refused.{refused.reason}", lang, last=last, most=COMMENT_MAX))
