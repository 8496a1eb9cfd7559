"""The alarms package's exceptions, in one tree.

* :class:`AlarmError` — root of everything raised here;
  * :class:`UnknownOccurrence` — no open or recent occurrence with that id;
  * :class:`ActionRefused` — an operator action not allowed in the occurrence's state
    (reset before return to normal or before acknowledgement, shelving a normal alarm…);
    ``reason`` is a stable code for the HMI catalogue;
  * :class:`NotifierConfigError` — a provider configured without its credentials;
  * :class:`ChannelError` — one delivery attempt failed (network, provider 4xx/5xx); the
    outbox retries with backoff, then falls back to the other channel. Never carries secrets.
"""

from __future__ import annotations


class AlarmError(Exception):
    """Root of the alarms package's exceptions."""


class UnknownOccurrence(AlarmError, KeyError):
    """No occurrence with this id."""


class ActionRefused(AlarmError):
    """An operator action refused in the occurrence's current state."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NotifierConfigError(AlarmError):
    """A notification provider cannot be set up (missing credentials, bad settings)."""


class ChannelError(AlarmError):
    """One delivery attempt failed; ``permanent`` when retrying cannot help (bad number)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
