"""The supervisor's life counter to each PLC it commands, and taking control back.

docs/domain.md §6: the plant must not depend on us to stay warm. Every
``links.<name>.heartbeat_write_s`` the supervisor writes a changing counter to the link's
``supervisor_heartbeat_point``; the PLC goes local when the counter stops changing. The counter
is written from the supervisor's own evaluation loop and only while it can vouch for its
decisions (its buffer temperature is known and good): a stalled loop or blind inputs stop it on
purpose, and the PLC takes over.

When a PLC says it runs locally (``local_mode_point`` non-zero), the supervisor first lets
it hear the counter again (two writes), then asks for control back with a pulse on
``remote_request_point``, again every 30 s while the PLC stays local. Nothing else is written
for the hand-back: the plant is read as it is and the cascade goes on from there. When the PLC
says it is remote again, the episode is recorded as one :class:`PlantEvent`
(``plc_local_mode_ended``) with the time the PLC ran alone and the oil starts it made, classed
after the fact as relève: the local program enables oil only while the wood boiler delivers
nothing.

Imports: the ground floor only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    Command,
    Context,
    OilRole,
    PlantEvent,
    PlantEventKind,
    Quality,
    Scalar,
    TagValue,
)

ASK_AGAIN_S = 30.0
BEATS_BEFORE_ASKING = 2


@dataclass
class LinkLife:
    """The counter and the hand-back of one link."""

    link: str
    beat_point: str
    every_s: float
    wrap: int
    local_point: str | None = None
    request_point: str | None = None
    seconds_point: str | None = None
    starts_point: str | None = None
    seconds: Scalar = None
    """The PLC's last reading of its time alone (``local_seconds_point``)."""
    starts: Scalar = None
    """The PLC's last reading of its oil starts while alone (``local_oil_starts_point``)."""
    counter: int = 0
    next_s: float = 0.0
    local: bool = False
    beats_heard_local: int = 0
    asked_s: float = float("-inf")


class Lifeline:
    """What to write, and when, to keep each PLC's trust (see module docstring)."""

    def __init__(self, cfg: PlantConfig, context: Context) -> None:
        self.context = context
        self.links: list[LinkLife] = []
        for name, link in cfg.links.items():
            point = link.supervisor_heartbeat_point
            if point is None:
                continue
            bounds = cfg.point(point).bounds
            wrap = int(bounds.max) if bounds is not None else 65535
            life = LinkLife(name, point, link.heartbeat_write_s, wrap)
            life.local_point, life.request_point = link.local_mode_point, link.remote_request_point
            life.seconds_point, life.starts_point = link.local_seconds_point, link.local_oil_starts_point
            self.links.append(life)
        self._by_local = {life.local_point: life for life in self.links if life.local_point}
        self._by_figure = {
            point: life for life in self.links for point in (life.seconds_point, life.starts_point) if point
        }

    def observe(self, tag: TagValue) -> PlantEvent | None:
        """A reading of a PLC's local-mode points; the episode's event when it has just ended."""
        if tag.quality is not Quality.GOOD:
            return None
        holder = self._by_figure.get(tag.point)
        if holder is not None:
            if tag.point == holder.starts_point:
                holder.starts = tag.value
            elif tag.value:  # the PLC zeroes it when remote again, maybe read before the mode
                holder.seconds = tag.value
        life = self._by_local.get(tag.point)
        if life is None:
            return None
        local = bool(tag.value)
        ended = life.local and not local and life.asked_s > float("-inf")
        if local and not life.local:
            life.beats_heard_local = 0
        life.local = local
        return self._episode(life, tag) if ended else None

    def _episode(self, life: LinkLife, tag: TagValue) -> PlantEvent:
        values: dict[str, Scalar] = {"link": life.link, "local_s": life.seconds, "oil_starts": life.starts}
        role = OilRole.REPLACEMENT if isinstance(life.starts, int | float) and life.starts > 0 else None
        life.seconds = life.starts = None  # the next episode reports its own
        return PlantEvent(
            PlantEventKind.PLC_LOCAL_MODE_ENDED,
            tag.source_time,
            reason="supervisor_lost",
            message=f"PLC of link {life.link} gave control back after running the plant alone",
            oil_role=role,
            values=values,
            context=self.context,
        )

    def due(self, now_s: float, now: datetime, vouch: bool) -> Sequence[Command]:
        """The writes due at monotonic ``now_s``; no counter when we cannot ``vouch``."""
        commands: list[Command] = []
        for life in self.links:
            if now_s < life.next_s:
                continue
            life.next_s = now_s + life.every_s
            if not vouch:
                continue
            life.counter = life.counter % life.wrap + 1
            commands.append(Command(life.beat_point, life.counter, now, self.context, "life counter"))
            if not life.local or life.request_point is None:
                continue
            life.beats_heard_local += 1
            if life.beats_heard_local > BEATS_BEFORE_ASKING and now_s - life.asked_s >= ASK_AGAIN_S:
                life.asked_s = now_s
                reason = "take control back from the PLC's local mode"
                commands.append(Command(life.request_point, True, now, self.context, reason))
        return commands
