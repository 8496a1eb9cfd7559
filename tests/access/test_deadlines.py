"""Intervention deadline: 8 working hours on *jours ouvrables* (Monday to Saturday, the tender's
word), French public holidays out, DST-safe; late days. Another contract's day set is a setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chaufferie.alarms.deadlines import deadline, is_working_day, lateness, lateness_as_of
from chaufferie.config.alarming import WorkingHours

PARIS = ZoneInfo("Europe/Paris")
HOURS = WorkingHours()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def due(called: datetime) -> datetime:
    return deadline(called.astimezone(UTC), HOURS, "Europe/Paris").astimezone(PARIS)


def test_night_call_is_due_at_the_end_of_the_working_day() -> None:
    assert due(paris(2026, 1, 12, 3, 0)) == paris(2026, 1, 12, 17, 30)


def test_lunch_break_does_not_count() -> None:
    assert due(paris(2026, 1, 13, 11, 0)) == paris(2026, 1, 14, 11, 0)


def test_friday_afternoon_call_runs_into_saturday_a_jour_ouvrable() -> None:
    assert due(paris(2026, 1, 16, 16, 0)) == paris(2026, 1, 17, 16, 0)


def test_saturday_call_is_counted_on_saturday_sunday_is_skipped() -> None:
    assert due(paris(2026, 1, 17, 16, 0)) == paris(2026, 1, 19, 16, 0)


def test_a_monday_to_friday_contract_is_a_setting() -> None:
    weekdays_only = WorkingHours(weekdays=(0, 1, 2, 3, 4))
    called = paris(2026, 1, 17, 10, 0).astimezone(UTC)  # a Saturday: counted from Monday
    assert deadline(called, weekdays_only, "Europe/Paris") == paris(2026, 1, 19, 17, 30)


def test_p1_saturday_night_before_easter_monday_is_due_on_tuesday_evening() -> None:
    assert not is_working_day(paris(2026, 4, 6).date(), HOURS)  # Easter Monday
    assert is_working_day(paris(2026, 4, 4).date(), HOURS)  # the Saturday before: ouvrable
    assert due(paris(2026, 4, 4, 22, 0)) == paris(2026, 4, 7, 17, 30)


def test_bastille_day_is_skipped() -> None:
    assert not is_working_day(paris(2026, 7, 14).date(), HOURS)
    assert due(paris(2026, 7, 13, 10, 0)) == paris(2026, 7, 15, 10, 0)


@pytest.mark.parametrize(
    ("called", "expected", "real_hours"),
    [
        (paris(2026, 3, 28, 15, 0), paris(2026, 3, 30, 15, 0), 47),  # spring forward: an hour less
        (paris(2026, 10, 24, 15, 0), paris(2026, 10, 26, 15, 0), 49),  # fall back: an hour more
    ],
)
def test_working_hours_are_wall_clock_across_a_dst_change(
    called: datetime, expected: datetime, real_hours: int
) -> None:
    result = due(called)
    assert result == expected
    assert result.hour == 15
    assert result.astimezone(UTC) - called.astimezone(UTC) == timedelta(hours=real_hours)


def test_on_time_arrival_costs_nothing() -> None:
    limit = paris(2026, 1, 12, 17, 30)
    assert lateness(limit, limit, HOURS).late_days == 0
    assert lateness(limit, limit - timedelta(hours=2), HOURS).penalty_eur == 0.0


def test_each_started_calendar_day_late_costs_the_penalty() -> None:
    limit = paris(2026, 1, 16, 17, 30)
    ten_minutes = lateness(limit, limit + timedelta(minutes=10), HOURS)
    over_weekend = lateness(limit, paris(2026, 1, 19, 9, 0), HOURS)
    assert (ten_minutes.late_days, ten_minutes.penalty_eur) == (1, 100.0)
    assert (over_weekend.late_days, over_weekend.penalty_eur) == (3, 300.0)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(datetime(2026, 1, 12, 8, 0), HOURS)


def test_no_working_day_at_all_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no working hours"):
        deadline(paris(2026, 1, 12, 8, 0), WorkingHours(weekdays=()))


def test_p1_saturday_before_whit_monday_counts_the_saturday_and_skips_the_holiday() -> None:
    whit_monday = paris(2027, 5, 17).date()
    assert not is_working_day(whit_monday, HOURS)  # Lundi de Pentecôte, from the holidays package
    assert is_working_day(paris(2027, 5, 15).date(), HOURS)  # the Saturday before: ouvrable
    assert due(paris(2027, 5, 15, 22, 0)) == paris(2027, 5, 18, 17, 30)  # Tuesday: 8 h from 8:00
    assert due(paris(2027, 5, 15, 10, 0)) == paris(2027, 5, 18, 10, 0)  # 6 h on Saturday, 2 on Tuesday


@pytest.mark.parametrize(
    ("arrival", "days"),
    [
        (paris(2026, 10, 25, 17, 0), 1),  # 25 real hours across the fall-back: one calendar day
        (paris(2026, 10, 25, 17, 10), 2),
    ],
)
def test_late_days_are_calendar_days_across_the_october_change(arrival: datetime, days: int) -> None:
    limit = paris(2026, 10, 24, 17, 0)
    assert arrival.astimezone(UTC) - limit.astimezone(UTC) >= timedelta(hours=25)
    assert lateness(limit.astimezone(UTC), arrival.astimezone(UTC), HOURS).late_days == days


def test_late_days_are_calendar_days_across_the_march_change() -> None:
    limit = paris(2026, 3, 28, 17, 0)
    arrival = paris(2026, 3, 29, 17, 30)  # 23 h 30 of real time, but the next day after 17:00
    assert arrival.astimezone(UTC) - limit.astimezone(UTC) == timedelta(hours=23, minutes=30)
    assert lateness(limit.astimezone(UTC), arrival.astimezone(UTC), HOURS).late_days == 2


def test_a_call_nobody_reached_keeps_costing_so_far() -> None:
    limit = paris(2026, 1, 12, 17, 30).astimezone(UTC)
    later = paris(2026, 1, 15, 9, 0).astimezone(UTC)
    assert lateness_as_of(limit, None, later, HOURS).late_days == 3
    assert lateness_as_of(limit, None, limit, HOURS).late_days == 0
    arrived = paris(2026, 1, 13, 9, 0).astimezone(UTC)
    assert lateness_as_of(limit, arrived, later, HOURS).late_days == 1  # the arrival stops it


def test_an_index_multiplies_the_penalty_to_the_cent() -> None:
    limit = paris(2026, 1, 16, 17, 30).astimezone(UTC)
    late = lateness(limit, paris(2026, 1, 19, 9, 0).astimezone(UTC), HOURS, index=1.06685)
    assert (late.late_days, late.penalty_eur) == (3, 320.06)  # 3 × 100 € × 1,06685 = 320,055
