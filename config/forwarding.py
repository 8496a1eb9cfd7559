"""Where a site forwards its history: the central receivers (docs/central.md, "Forwarder").

An empty ``receivers`` list is the tender's option 1: the site keeps its data locally (and
can still hand over files, ``chaufferie export``). Each receiver gets everything, on its own
cursor. The site's private key is read from the environment variable ``key_env``, never from
this file.

Imports: the ground floor only (pydantic, the config's own base types).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chaufferie.config.points import Frozen
from chaufferie.config.ranges import DAY_S

Seconds = Annotated[float, Field(gt=0, le=DAY_S)]


class CentralReceiver(Frozen):
    """One central receiver: its name (the site's cursor for it), URL and trusted CA."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=128)
    url: str = Field(pattern=r"^https?://[^/\s]+(/\S*)?$")
    """``https://central.ville.fr:8443``; plain ``http://`` only on the same machine."""
    ca_file: str | None = None
    """The CA (PEM) that signed the receiver's certificate, when not a public one."""


class ForwardingSettings(Frozen):
    """The site forwarder: receivers, batch size, timings and the loss alarm's thresholds."""

    receivers: tuple[CentralReceiver, ...] = ()
    key_env: str = "CHAUFFERIE_SITE_KEY"
    batch_rows: Annotated[int, Field(ge=10, le=200_000)] = 5_000
    """Samples and records per batch (a batch stays well under the receiver's 8 MiB)."""
    interval_s: Seconds = 60.0
    """Pause between two rounds once the backlog is sent."""
    timeout_s: Seconds = 60.0
    retry_max_s: Seconds = 600.0
    """Longest pause between retries after failures (doubling from ``interval_s`` / 4)."""
    down_after_s: Seconds = 3_600.0
    """No batch accepted for this long while data waits: COM-CEN (central unreachable)."""
