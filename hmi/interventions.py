"""Arrival on site for a call-out, recorded by the access layer's intervention desk."""

from __future__ import annotations

from chaufferie.config.vocabulary import Context
from chaufferie.hmi.access.interventions import InterventionDesk
from chaufferie.hmi.records import Outcome

REFUSED = "aucune intervention ouverte, ou arrivée déjà enregistrée / none open, or already recorded"


class HmiInterventions:
    """Record arrival on site from the HMI logbook (audited by the desk)."""

    def __init__(self, desk: InterventionDesk) -> None:
        self._desk = desk

    async def arrive(self, occurrence_id: str, context: Context) -> Outcome:
        record = await self._desk.arrive(occurrence_id, context)
        if record is None:
            return Outcome(
                False,
                "aucune intervention ouverte, ou arrivée déjà enregistrée / none open, or already recorded",
            )
        late = f" — {record.late_days} j de retard / days late" if record.late_days else ""
        return Outcome(True, f"arrivée enregistrée / arrival recorded{late}")
