"""The heating season's state read back from the history: the last ``SEASON_CHANGED`` event.

The supervisor keeps no file of its own: each confirmation of the season's end or start is a
plant event the historian records (docs/architecture.md, rule 7: one database), and at start
the composition root hands :func:`recall_season` to the supervisor, which reads it once the
historian has prepared the database. An unreachable database or a record that is not a season
change reads as "no state" (in season), logged once: the agent is asked again on the date.

Imports: the ground floor, the supervisor's :class:`SeasonState` and the historian's schema.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from chaufferie.config.vocabulary import PlantEventKind
from chaufferie.historian import schema
from chaufferie.supervisor.season import SeasonState

log = logging.getLogger(__name__)


def recall_season(engine: Engine, site: str) -> SeasonState | None:
    """The season state of the last ``SEASON_CHANGED`` event of ``site``; None when none."""
    e = schema.plant_events
    query = (
        select(e.c["values"])
        .where(e.c.site_id == site, e.c.kind == PlantEventKind.SEASON_CHANGED.value)
        .order_by(e.c.time.desc(), e.c.seq.desc())
        .limit(1)
    )
    try:
        with engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else SeasonState.from_values(row[0])
    except (SQLAlchemyError, ValueError) as exc:
        log.warning("heating season state not read back (in season until confirmed): %s", exc)
        return None
