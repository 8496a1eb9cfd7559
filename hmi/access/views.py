"""Building the phone page's view of an alarm: config labels, live bus values, plant story."""

from __future__ import annotations

from chaufferie.config.points import Point
from chaufferie.config.vocabulary import TagValue
from chaufferie.config.words import point_value
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
    """A value as the technician reads it (``config/words.py``): a state or yes/no in both
    languages (« défaut / fault »), a number with its unit and the French decimal comma."""
    fr = point_value(point, value, "fr")
    en = point_value(point, value, "en")
    words = isinstance(value, bool) or point.is_bool or point.states is not None
    return f"{fr} / {en}" if words and fr != en else fr
