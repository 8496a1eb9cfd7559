"""The acknowledgement link carried by every message: a seam, filled by the access layer.

:class:`LinkMaker` (declared in :mod:`chaufferie.alarms.ack_links`) turns (occurrence,
contact) into a URL; the signed, single-use, expiring implementation lives there too.
:class:`PlainLinkMaker` is the trivial default used by tests and when no secret is
configured: it points at the alarm page and proves nothing by itself.
"""

from __future__ import annotations

from chaufferie.alarms.ack_links import LinkMaker

__all__ = ["LinkMaker", "PlainLinkMaker"]


class PlainLinkMaker:
    """``{public_url}/a/{occurrence id prefix}`` — no signature, no expiry."""

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")

    def __call__(self, occurrence_id: str, contact_id: str) -> str:
        return f"{self.public_url}/a/{occurrence_id[:12]}"

    def reply_code(self, occurrence_id: str) -> str | None:
        """None: without a signing key no reply code can be checked, so none is offered."""
        return None
