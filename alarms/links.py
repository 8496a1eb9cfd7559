"""The acknowledgement link carried by every message: a seam, filled by the access layer.

:class:`LinkMaker` turns (occurrence, contact) into a URL. The signed, single-use, expiring
implementation lives in :mod:`chaufferie.alarms.ack_links` (written with the access
control); :class:`PlainLinkMaker` is the trivial default used by tests and when no secret is
configured: it points at the alarm page and proves nothing by itself.
"""

from __future__ import annotations

from typing import Protocol


class LinkMaker(Protocol):
    def __call__(self, occurrence_id: str, contact_id: str) -> str:
        """A short URL that lets ``contact_id`` open (and acknowledge) ``occurrence_id``."""


class PlainLinkMaker:
    """``{public_url}/a/{occurrence id prefix}`` — no signature, no expiry."""

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")

    def __call__(self, occurrence_id: str, contact_id: str) -> str:
        return f"{self.public_url}/a/{occurrence_id[:12]}"
