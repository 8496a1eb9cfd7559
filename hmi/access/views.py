"""Building the phone page's view of an alarm: config labels, live bus values, plant story."""

from __future__ import annotations

from chaufferie.config.points import Point
from chaufferie.config.vocabulary import TagValue
from chaufferie.hmi.access.pages import AlarmPanel, ValueRow
from chaufferie.hmi.access.ports import OccurrenceView
from chaufferie.hmi.access.services import AccessServices


def alarm_panel(services: AccessServices, occ: OccurrenceView) -> AlarmPanel:
    cfg = services.cfg
    try:
        alarm = cfg.alarm(occ.code)
        label_fr, label_en, names = alarm.label_fr, alarm.label_en, alarm.values
    except KeyError:
        label_fr, label_en, names = occ.code, occ.code, ()
    points = cfg.points_by_name
    rows = tuple(_row(points[name], services.bus.latest(name)) for name in names if name in points)
    return AlarmPanel(
        code=occ.code,
        priority=occ.priority,
        label_fr=label_fr,
        label_en=label_en,
        since=occ.since,
        active=occ.active,
        timezone=cfg.site.timezone,
        values=rows,
        plant=tuple(services.story.lines()),
        acked_by=occ.acked_by,
        comments=occ.comments,
    )


def _row(point: Point, tag: TagValue | None) -> ValueRow:
    if tag is None or tag.value is None:
        return ValueRow(point.label_fr, point.label_en, "—", False)
    return ValueRow(point.label_fr, point.label_en, format_value(point, tag.value), tag.good)


def format_value(point: Point, value: float | int | bool | str) -> str:
    """A value as the technician reads it: state names, yes/no, one decimal with unit."""
    if isinstance(value, bool):
        return "oui / yes" if value else "non / no"
    if point.states is not None and isinstance(value, int | float) and int(value) in point.states:
        return f"{int(value)} · {point.states[int(value)]}"
    if isinstance(value, float):
        return f"{value:.1f} {point.unit}".strip()
    return f"{value} {point.unit}".strip()
