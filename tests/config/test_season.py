"""The heating season's dates: what the settings accept, and the calendar the notice asks from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from chaufferie.config.loader import ConfigError, parse_config
from chaufferie.config.season import ScheduledChange, SeasonSettings, last_scheduled
from chaufferie.supervisor.season import Pending, SeasonState, pending


@pytest.mark.parametrize(
    ("start", "stop", "words"),
    [
        ("10-01", "10-01", "stop (10-01) égal à start"),
        ("2025-10-01", "2025-10-01", "doit suivre start (2025-10-01) d'au moins un jour"),
        ("2025-10-01", "2025-09-30", "doit suivre start"),
        ("10-01", "2026-05-15", "même forme"),
        ("10-01", "02-30", "ce jour n'existe pas"),
        ("10-01", "02-29", "ce jour n'existe pas"),  # a month-day must come every year
        ("10-01", "15/05", "MM-JJ ou AAAA-MM-JJ"),
    ],
)
def test_a_season_that_makes_no_sense_is_refused_in_both_languages(start: str, stop: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        SeasonSettings(start=start, stop=stop)
    assert words in str(info.value)


def test_the_loader_names_file_line_field_and_value_of_a_bad_stop(config_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["season"] = {"start": "2026-10-01", "stop": "2026-09-15"}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with pytest.raises(ConfigError) as info:
        parse_config(text, "plant.yaml")
    [issue] = [str(i) for i in info.value.issues]
    assert issue.startswith("plant.yaml:")
    assert "season" in issue
    assert "2026-09-15" in issue


def test_the_shipped_season_runs_october_to_may_and_stops_the_plant_in_summer(config_path: Path) -> None:
    cfg = parse_config(config_path.read_text(encoding="utf-8"), str(config_path))
    assert (cfg.season.start, cfg.season.stop, cfg.season.summer.value) == ("10-01", "05-31", "stopped")


def test_the_latest_scheduled_change_wraps_the_new_year() -> None:
    season = SeasonSettings(start="10-01", stop="05-15")
    assert last_scheduled(season, date(2026, 1, 10)) == ScheduledChange(date(2025, 10, 1), summer=False)
    assert last_scheduled(season, date(2026, 5, 15)) == ScheduledChange(date(2026, 5, 15), summer=True)
    assert last_scheduled(season, date(2026, 9, 30)) == ScheduledChange(date(2026, 5, 15), summer=True)
    one_year = SeasonSettings(start="2026-10-05", stop="2027-05-10")
    assert last_scheduled(one_year, date(2026, 10, 4)) is None
    assert last_scheduled(one_year, date(2027, 6, 1)) == ScheduledChange(date(2027, 5, 10), summer=True)


def test_the_notice_waits_for_the_agent_and_a_later_decision_answers_it() -> None:
    season = SeasonSettings(start="10-01", stop="05-15")
    heating = SeasonState(summer=False, changed_on=date(2025, 10, 2), by="agent")
    assert pending(season, date(2026, 5, 14), heating) is None
    assert pending(season, date(2026, 5, 15), heating) == Pending(True, date(2026, 5, 15))
    assert pending(season, date(2026, 5, 20), heating) == Pending(True, date(2026, 5, 15))  # still asked
    cold_spell = SeasonState(summer=False, changed_on=date(2026, 5, 22), by="agent")  # back to heating
    assert pending(season, date(2026, 5, 25), cold_spell) is None
    early = SeasonState(summer=True, changed_on=date(2026, 5, 10), by="agent")
    assert pending(season, date(2026, 5, 12), early) is None
    assert pending(season, date(2026, 10, 1), early) == Pending(False, date(2026, 10, 1))
    assert SeasonState.from_values(early.values()) == early
