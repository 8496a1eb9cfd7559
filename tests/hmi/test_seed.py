"""After a restart the view starts from the alarms' open occurrences."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from chaufferie.alarms.operations import AlarmView
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState
from chaufferie.hmi.seed import alarm_transitions
from chaufferie.hmi.viewmodel import PlantView

T0 = datetime(2026, 1, 12, 2, 14, tzinfo=UTC)


def view(code: str, state: AlarmState, acked_by: str | None = None) -> AlarmView:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(AlarmView):
        values[f.name] = {str: "", bool: False, int: 1}.get(f.type if isinstance(f.type, type) else str, None)
    values.update(
        occurrence_id=f"occ-{code}",
        code=code,
        priority=1,
        state=state,
        active=True,
        acked=acked_by is not None,
        raised_at=T0,
        value=6,
        message="",
        oil_role=None,
        acked_by=acked_by,
        acked_at=T0 + timedelta(minutes=5) if acked_by else None,
        values={},
        live_values={},
        comments=(),
        recipients=(),
        flood_id=None,
        shelved_until=None,
        shelved_by=None,
    )
    return AlarmView(**values)


def test_open_occurrences_come_back_with_who_acknowledged(config: PlantConfig) -> None:
    pv = PlantView(config)
    for tr in alarm_transitions(
        [view("CHB-DEF", AlarmState.ACKED, "tech-martin"), view("PRS-BAS", AlarmState.UNACKED)]
    ):
        pv.apply(tr)
    rows = {r.code: r for r in pv.sorted_alarms()}
    assert rows["CHB-DEF"].state is AlarmState.ACKED
    assert rows["CHB-DEF"].acked_by == "tech-martin"
    assert rows["CHB-DEF"].raised == T0
    assert rows["PRS-BAS"].unacked
    assert pv.unacked_by_priority()[1] == 1
