"""The end and the start of the heating season, on their dates, with the agent's confirmation.

Closed loop (the simulator's physics, the production supervisor, the real alarm engine) over
ten days of a typical late May at Joucas, with a short summer agreed for the test: stop on
15 May, start again on 20 May. Nothing changes on a date by itself: the supervisor keeps
heating and the HMI's notice stays until the agent confirms; then the plant goes into summer
mode (no oil, boilers and network pumps as ``season.summer`` says) and, after the start is
confirmed, heats again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chaufferie.config.season import SeasonSettings, SummerMode
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    Context,
    OperatorAction,
    PlantEventKind,
    PlantMode,
    Role,
    SeasonRequest,
)
from chaufferie.replay import Replay
from chaufferie.simulations.scenarios import Scenario
from chaufferie.simulations.weather import typical_season
from chaufferie.supervisor.season import Pending

pytestmark = pytest.mark.timeout(120)

FIRST_DAY = datetime(2026, 5, 12, tzinfo=UTC)
DAY_S = 86400.0
STEP_S = 60.0
AGENT = Context(origin="hmi", user="agent", channel=Channel.HMI, address="127.0.0.1")
HEATING = (PlantMode.WOOD, PlantMode.WOOD_WITH_TOPUP)


def _late_may(cfg: PlantConfig) -> Scenario:
    return Scenario(
        "late-may",
        "Fin mai à Joucas",
        "Late May at Joucas",
        lambda c: typical_season(FIRST_DAY, 10, c.simulation.season_seed, c.plant.design_outdoor_c),
        duration_h=240.0,
    )


def _replay(config: PlantConfig, summer: SummerMode) -> Replay:
    season = SeasonSettings(start="05-20", stop="05-15", summer=summer, dhw_setpoint_c=62.0)
    cfg = config.model_copy(update={"season": season})
    return Replay(cfg, _late_may(cfg), step_s=STEP_S)


def _at(replay: Replay, day: int, hour: float) -> None:
    """Run to ``day`` of May at ``hour`` UTC."""
    target = (datetime(2026, 5, day, tzinfo=UTC) - FIRST_DAY).total_seconds() + hour * 3600
    replay.run(until_s=target)


def _confirm(replay: Replay, summer: bool) -> list[OperatorAction]:
    request = SeasonRequest(summer, replay.plant.now, AGENT, role=Role.OPERATOR)
    decisions = list(replay.core.season_request(replay.plant.t, request))
    replay.request(decisions)
    return [d for d in decisions if isinstance(d, OperatorAction)]


def _oil_starts_since(replay: Replay, index: int) -> int:
    return sum(1 for e in replay.events[index:] if e.kind is PlantEventKind.OIL_STARTED)


@pytest.mark.parametrize("summer", [SummerMode.STOPPED, SummerMode.DHW_ONLY])
def test_season_stops_and_starts_on_its_dates_once_the_agent_confirms(
    config: PlantConfig, summer: SummerMode
) -> None:
    replay = _replay(config, summer)
    plant, core = replay.plant, replay.core
    _at(replay, 14, 12)
    assert core.season_pending() is None  # in season, before the stop date
    assert replay.core.mode in HEATING

    _at(replay, 15, 10)  # the stop date, nobody has confirmed yet: the plant keeps heating
    assert core.season_pending() == Pending(summer=True, on=date(2026, 5, 15))
    assert replay.core.mode in HEATING
    assert plant.read("wood.enable") is True

    [audit] = _confirm(replay, summer=True)
    assert (audit.kind, audit.result, audit.context.user) == (
        ActionKind.SEASON_CHANGE,
        ActionResult.OK,
        "agent",
    )
    assert audit.details["scheduled_on"] == "2026-05-15"
    assert replay.core.mode is PlantMode.SUMMER
    confirmed_at, alarms_before = len(replay.events), sum(replay.alarm_counts.values())
    _at(replay, 19, 12)  # four days of summer
    assert replay.core.mode is PlantMode.SUMMER
    assert core.season_pending() is None
    assert _oil_starts_since(replay, confirmed_at) == 0
    assert plant.read("oil.enable") is False
    if summer is SummerMode.STOPPED:
        assert plant.read("wood.enable") is False
        assert plant.read("pumps.enable") is False
        assert plant.read("network.flow") == 0.0
        assert plant.read("wood.power") == 0.0
    else:  # hot water only: the wood boiler holds the buffer at the summer setpoint, pumps on
        assert plant.read("wood.enable") is True
        assert plant.read("wood.setpoint") == 62.0
        assert plant.read("pumps.enable") is True
        assert plant.read("network.flow") > 0.5
        assert plant.read("buffer.temp_top") == pytest.approx(62.0, abs=3.0)
    assert sum(replay.alarm_counts.values()) == alarms_before  # no buffer band alarm (TDP-REG) in summer

    _at(replay, 20, 10)  # the start date: the plant stays in summer until the agent confirms
    assert core.season_pending() == Pending(summer=False, on=date(2026, 5, 20))
    assert replay.core.mode is PlantMode.SUMMER
    [audit] = _confirm(replay, summer=False)
    assert audit.result is ActionResult.OK
    heat_before = plant.counters.heat_wood_kwh
    _at(replay, 21, 10)
    assert replay.core.mode in HEATING
    assert core.season_pending() is None
    assert plant.read("wood.enable") is True
    assert plant.read("pumps.enable") is True
    assert plant.counters.heat_wood_kwh - heat_before > 50.0  # a day of late-May heating from wood
    assert plant.read("buffer.temp_top") == pytest.approx(plant.read("wood.setpoint"), abs=3.0)


def test_a_restarted_supervisor_resumes_summer_mode_without_asking_again(config: PlantConfig) -> None:
    replay = _replay(config, SummerMode.STOPPED)
    _at(replay, 15, 10)
    _confirm(replay, summer=True)
    _at(replay, 15, 12)
    plant = replay.plant
    plant.schedule(plant.t + 60, "supervisor_absent")
    plant.schedule(plant.t + 600, "supervisor_back")
    _at(replay, 16, 0)
    assert replay.restarts == 1
    assert replay.core.mode is PlantMode.SUMMER  # the new core took the recorded season back
    assert replay.core.season_pending() is None
    assert plant.read("wood.enable") is False


def test_an_early_confirmation_answers_the_coming_date_and_a_viewer_cannot_confirm(
    config: PlantConfig,
) -> None:
    replay = _replay(config, SummerMode.STOPPED)
    _at(replay, 13, 10)
    viewer = SeasonRequest(True, replay.plant.now, AGENT, role=Role.VIEWER)
    [refused] = [
        d for d in replay.core.season_request(replay.plant.t, viewer) if isinstance(d, OperatorAction)
    ]
    assert (refused.result, refused.details["reason"]) == (ActionResult.REFUSED, "not_authorised")
    assert replay.core.mode in HEATING
    _confirm(replay, summer=True)  # two days early: the agent may
    assert replay.core.mode is PlantMode.SUMMER
    _at(replay, 15, 10)
    assert replay.core.season_pending() is None  # the stop date finds the plant in summer already
    [again] = _confirm(replay, summer=True)
    assert (again.result, again.details["reason"]) == (ActionResult.REFUSED, "unchanged")
