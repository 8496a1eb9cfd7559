"""The heating season on the HMI: the notice that asks the agent to confirm, and the confirmation.

:class:`HmiSeason` reads the supervisor's season state (an injected callable: the root passes
the running supervisor's) and the dates in force, and says what the overview shows
(:meth:`HmiSeason.notice`: "Arrêt de saison prévu aujourd'hui — confirmer le passage en mode
été" on and after the stop date, the like for the start, until the agent confirms). A
confirmation (:meth:`HmiSeason.confirm`) is a :class:`SeasonRequest` on the bus; the
supervisor executes it and writes its one audit record (the page has checked the role and
audits a refusal itself, as for every action).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig
from chaufferie.config.vocabulary import Context, Role, SeasonRequest
from chaufferie.hmi.records import Outcome
from chaufferie.supervisor.season import CONFIRM_ROLE, Pending, SeasonState, pending

__all__ = ["CONFIRM_ROLE", "HmiSeason", "SeasonNotice"]


@dataclass(frozen=True, slots=True)
class SeasonNotice:
    """What the overview shows: the change waiting (``summer``: the stop), its date, and
    whether that date is today."""

    summer: bool
    on: date
    today: bool

    def text_key(self) -> str:
        """The catalogue key of the notice (:mod:`chaufferie.hmi.texts`)."""
        change = "stop" if self.summer else "start"
        return f"season.{change}_{'today' if self.today else 'since'}"


class HmiSeason:
    """The season as the agent sees and confirms it."""

    def __init__(self, live: LiveConfig, bus: Bus, clock: Clock, state: Callable[[], SeasonState]) -> None:
        self._live, self._bus, self._clock, self._state = live, bus, clock, state

    def state(self) -> SeasonState:
        """The supervisor's season state now."""
        return self._state()

    def today(self) -> date:
        """The site's local date."""
        return self._clock.now().astimezone(ZoneInfo(self._live.current.site.timezone)).date()

    def notice(self) -> SeasonNotice | None:
        """The scheduled start or stop waiting for confirmation, if any."""
        today = self.today()
        due: Pending | None = pending(self._live.current.season, today, self._state())
        return None if due is None else SeasonNotice(due.summer, due.on, due.on == today)

    async def confirm(self, summer: bool, context: Context, role: Role) -> Outcome:
        """Ask the supervisor to go into (``summer``) or out of summer mode."""
        self._bus.publish(SeasonRequest(summer, self._clock.now(), context, role=role))
        return Outcome(True)
