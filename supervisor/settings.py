"""The cascade settings in force, as the supervisor's parts read them.

The parts never keep a copy of :class:`CascadeSettings`: each is given a reader (the core's,
over the process's :class:`~chaufferie.config.live.LiveConfig`) and reads ``self.s`` when it
decides, so thresholds, delays and the heating curve changed from the HMI apply at the next
evaluation while the parts keep their timers and state.

Imports: the ground floor only.
"""

from __future__ import annotations

from collections.abc import Callable

from chaufferie.config.plant import CascadeSettings

SettingsReader = Callable[[], CascadeSettings]
"""Returns the cascade settings in force now."""


class InForce:
    """Base of a part that reads the cascade settings in force (``self.s``)."""

    __slots__ = ("_settings",)

    def __init__(self, settings: SettingsReader) -> None:
        self._settings = settings

    @property
    def s(self) -> CascadeSettings:
        return self._settings()
