"""The cascade settings in force, as the supervisor's parts read them.

The parts never keep a copy of :class:`CascadeSettings`: they share one :class:`Held`, into
which the core reads the settings in force from the process's
:class:`~chaufferie.config.live.LiveConfig` at each entry (evaluation, operator action,
command result), and read ``self._held.s`` from it when they decide. Thresholds, delays and the
heating curve changed from the HMI thus apply at the next evaluation while the parts keep
their timers and state (one read of the live configuration per evaluation, not one per rule).

Imports: the ground floor only.
"""

from __future__ import annotations

from chaufferie.config.live import LiveConfig
from chaufferie.config.plant import CascadeSettings


class Held:
    """The cascade settings in force at this evaluation (see module docstring)."""

    __slots__ = ("_live", "s")

    def __init__(self, live: LiveConfig) -> None:
        self._live = live
        self.s = live.current.cascade

    def read(self) -> CascadeSettings:
        """Read the settings in force now (the core does, at each entry)."""
        self.s = self._live.current.cascade
        return self.s


class InForce:
    """Base of a part that reads the cascade settings in force (``self._held.s``)."""

    __slots__ = ("_held",)

    def __init__(self, held: Held) -> None:
        self._held = held  # read as ``self._held.s``: an attribute, no call, on every rule
