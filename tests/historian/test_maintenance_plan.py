"""Is a maintenance task due? Hand-counted cases of the pure arithmetic."""

from __future__ import annotations

import pytest

from chaufferie.config.maintenance import MaintenanceTask, Trigger
from chaufferie.historian.maintenance_plan import Stage, Usage, assess, stage_of

EXCHANGER = MaintenanceTask(
    id="ramonage-echangeur",
    label_fr="Ramonage de l'échangeur",
    label_en="Exchanger cleaning",
    every_run_hours=500,
    every_tonnes=15,
    warn_before=0.1,
    overdue_after=0.2,
)
"""Soon from 450 h or 13.5 t, due from 500 h or 15 t, overdue from 600 h or 18 t."""


@pytest.mark.parametrize(
    ("hours", "tonnes", "stage"),
    [
        (0.0, 0.0, Stage.OK),
        (449.9, 13.4, Stage.OK),
        (450.0, 2.0, Stage.SOON),  # 500 − 10 %
        (100.0, 13.5, Stage.SOON),  # 15 − 10 %
        (499.9, 2.0, Stage.SOON),
        (500.0, 2.0, Stage.DUE),
        (120.0, 15.0, Stage.DUE),  # the first trigger reached decides
        (599.9, 17.9, Stage.DUE),
        (600.0, 2.0, Stage.OVERDUE),  # 500 + 20 %
        (10.0, 18.0, Stage.OVERDUE),
    ],
)
def test_the_furthest_trigger_decides(hours: float, tonnes: float, stage: Stage) -> None:
    assert assess(EXCHANGER, Usage(hours, tonnes, days=3.0)).stage is stage


def test_each_trigger_says_what_is_used_and_left() -> None:
    result = assess(EXCHANGER, Usage(run_hours=480.0, tonnes=6.0, days=40.0))
    hours, tonnes = result.triggers
    assert (hours.trigger, hours.interval, hours.used, hours.left, hours.stage) == (
        Trigger.RUN_HOURS,
        500.0,
        480.0,
        20.0,
        Stage.SOON,
    )
    assert (tonnes.trigger, tonnes.left, tonnes.stage) == (Trigger.TONNES, 9.0, Stage.OK)
    assert result.stage is Stage.SOON


def test_a_counter_never_read_decides_nothing() -> None:
    flue = MaintenanceTask(id="flue", label_fr="Ramonage", label_en="Sweep", every_days=182, every_tonnes=20)
    assert assess(flue, Usage(None, None, days=10.0)).stage is Stage.OK
    assert assess(flue, Usage(None, None, days=182.0)).stage is Stage.DUE
    only_hours = MaintenanceTask(id="h", label_fr="h", label_en="h", every_run_hours=20)
    assert assess(only_hours, Usage(None, None, days=400.0)).stage is Stage.UNKNOWN


def test_warn_before_zero_never_shows_soon() -> None:
    assert stage_of(19.99, 20.0, 0.0, 0.25) is Stage.OK
    assert stage_of(20.0, 20.0, 0.0, 0.25) is Stage.DUE
    assert stage_of(25.0, 20.0, 0.0, 0.25) is Stage.OVERDUE
