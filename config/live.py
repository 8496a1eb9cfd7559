"""The configuration in force: one :class:`LiveConfig` per process, read by every consumer.

The configuration is read from YAML at start (plus the settings saved from the HMI); some of
its sections may then be changed while the plant runs (:data:`LIVE_SECTIONS`: the cascade
thresholds and heating curve, the heating season's dates, the on-call rota, the contacts).
:meth:`LiveConfig.replace` validates the whole configuration with the new section (the
models' own rules and the cross-references), swaps it in one step and publishes
:class:`ConfigChanged` on the bus.
Consumers hold the :class:`LiveConfig`, never a copy of a live section: they read
``live.current`` when they need a value (a consumer that builds something from a section,
such as the on-call rota, rebuilds it when the section it was built from is no longer the
one in force).

The other sections (site, links, points, alarms, notifiers, storage, hmi…) are not editable
while running; consumers may read them once at start, and a change needs a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from chaufferie.config.bus import Bus
from chaufferie.config.settings import PlantConfig, cross_references
from chaufferie.config.vocabulary import ConfigChanged, Context

log = logging.getLogger(__name__)

LIVE_SECTIONS = frozenset({"cascade", "season", "rota", "contacts"})
"""Sections that may change while running; every other one is read at start."""

SYSTEM = Context(origin="config.live")


class ConfigRefused(ValueError):
    """A replacement the configuration's rules refuse; the message names the field at fault."""


class LiveConfig:
    """Holds the validated configuration in force; :meth:`replace` changes one live section."""

    def __init__(self, cfg: PlantConfig, bus: Bus | None = None) -> None:
        """``cfg`` is validated already (the loader's job); ``bus`` hears of every change."""
        self._current = cfg
        self._bus = bus

    @property
    def current(self) -> PlantConfig:
        """The configuration in force now (read it each time: it may have been replaced)."""
        return self._current

    def validated(self, section: str, value: Any) -> PlantConfig:
        """The configuration in force with ``section`` set to ``value``, checked as a whole;
        :class:`ConfigRefused` when a model or cross-reference rule refuses it."""
        if section not in LIVE_SECTIONS:
            raise ConfigRefused(f"{section}: not changeable while running (restart needed)")
        candidate = self._current.model_copy(update={section: value})
        try:
            checked = PlantConfig.model_validate(candidate.model_dump())
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ()))
            raise ConfigRefused(f"{where}: {err.get('msg', '')}") from exc
        for problem in cross_references(checked):
            where = ".".join(str(p) for p in problem.path)
            raise ConfigRefused(f"{where}: {problem.message} ({problem.value})")
        return checked

    def replace(self, section: str, value: Any, context: Context = SYSTEM) -> PlantConfig:
        """Put ``section`` = ``value`` in force (after :meth:`validated`) and announce it."""
        checked = self.validated(section, value)
        self._current = checked
        log.info("configuration section %s replaced (by %s)", section, context.user or context.origin)
        if self._bus is not None:
            self._bus.publish(ConfigChanged(section=section, config=checked, context=context))
        return checked


def as_live(source: PlantConfig | LiveConfig) -> LiveConfig:
    """``source`` itself when live; a fixed configuration (tools, tests) wrapped otherwise."""
    return source if isinstance(source, LiveConfig) else LiveConfig(source)
