"""The life counter to each PLC and taking control back (docs/domain.md §6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Command, Context, Quality, TagValue
from chaufferie.replay import Replay
from chaufferie.supervisor.lifeline import ASK_AGAIN_S, BEATS_BEFORE_ASKING, Lifeline
from chaufferie.supervisor.service import SupervisorService

T0 = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)


def writes(life: Lifeline, seconds: float, vouch: bool = True) -> list[Command]:
    out: list[Command] = []
    for s in range(int(seconds)):
        out.extend(life.due(float(s), T0, vouch))
    return out


def local(point: str, value: int) -> TagValue:
    return TagValue(point, value, Quality.GOOD, T0, T0)


def test_a_changing_counter_goes_to_every_plc_at_its_period(config: PlantConfig) -> None:
    life = Lifeline(config, Context(origin="supervisor.lifeline"))
    out = writes(life, 60)
    points = {
        link.supervisor_heartbeat_point: link.heartbeat_write_s
        for link in config.links.values()
        if link.supervisor_heartbeat_point  # the meters' M-Bus link has none
    }
    assert set(points) == {"wood.supervisor_heartbeat", "hydraulic.supervisor_heartbeat"}
    for point, every in points.items():
        values = [c.value for c in out if c.point == point]
        assert len(values) == int(60 / every)
        assert values == sorted(set(values)), "every write changes the counter"


def test_no_counter_while_the_supervisor_cannot_vouch_for_its_decisions(config: PlantConfig) -> None:
    life = Lifeline(config, Context(origin="supervisor.lifeline"))
    assert writes(life, 120, vouch=False) == []


def test_a_plc_in_local_mode_is_asked_for_control_after_hearing_the_counter_again(
    config: PlantConfig,
) -> None:
    link = config.links["hydraulic"]
    assert link.local_mode_point is not None
    life = Lifeline(config, Context(origin="supervisor.lifeline"))
    life.observe(local(link.local_mode_point, 1))
    out = writes(life, 120)
    asks = [c for c in out if c.point == link.remote_request_point]
    assert asks, "control asked back"
    first_counter = min(i for i, c in enumerate(out) if c.point == link.supervisor_heartbeat_point)
    assert out.index(asks[0]) > first_counter  # counter first, then the request
    first = BEATS_BEFORE_ASKING * link.heartbeat_write_s  # after the PLC has heard two counters
    assert len(asks) == len(range(int(first), 120, int(ASK_AGAIN_S)))  # then every 30 s while local
    life.observe(local(link.local_mode_point, 0))
    assert [c for c in writes(life, 60) if c.point == link.remote_request_point] == []


def test_a_blind_supervisor_stops_its_counter_and_the_plc_takes_over(
    config: PlantConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closed loop (the replay runs the production core and life counter against the plant):
    the buffer sensor fails, the supervisor cannot vouch for its decisions, the PLC goes local."""
    replay = Replay(config, "nominal").run(days=600 / 86400)
    assert replay.plant.read("hydraulic.supervisor_heartbeat") > 0  # armed
    assert not replay.plant.fallback.local
    blind = frozenset({config.io.buffer_outlet})  # its transmitter answers Bad, as on site
    monkeypatch.setattr(replay.plant, "bad_points", lambda: blind)
    replay.run(days=(config.simulation.fallback_after_s + 120) / 86400)
    assert replay.plant.fallback.local
    assert replay.plant.read("hydraulic.local_mode") == 1
    assert replay.alarm_counts["SUP-LOC"] == 1


async def test_the_counter_is_paced_on_the_links_clock_when_plant_time_runs_faster(
    config: PlantConfig,
) -> None:
    """The demo: plant time ×60, the PLC's dead-man in wall seconds; the counter follows the
    PLC's clock, not sixty writes a minute."""
    plant, links = VirtualClock(T0), VirtualClock(T0)
    bus = Bus()
    service = SupervisorService(config, bus, plant, link_clock=links)
    service.handle(TagValue(config.io.buffer_outlet, 75.0, Quality.GOOD, T0, T0))
    counters = {link.supervisor_heartbeat_point for link in config.links.values()} - {None}
    with bus.subscribe(Command, name="test") as sub:
        for _ in range(600):  # ten plant minutes, no time on the links' clock
            service.keep_trust()
            await plant.advance(1)
        first = [m for m in sub.drain() if isinstance(m, Command) and m.point in counters]
        await links.advance(config.links["hydraulic"].heartbeat_write_s)
        service.keep_trust()
        second = [m for m in sub.drain() if isinstance(m, Command) and m.point in counters]
    assert len(first) == len(counters)  # once each, at start
    assert len(second) == len(counters)


def test_the_episode_keeps_the_time_alone_whatever_order_the_plc_readings_arrive_in(
    config: PlantConfig,
) -> None:
    link = config.links["hydraulic"]
    assert link.local_mode_point is not None
    assert link.local_seconds_point is not None
    assert link.local_oil_starts_point is not None
    life = Lifeline(config, Context(origin="supervisor.lifeline"))
    life.observe(local(link.local_mode_point, 1))
    life.observe(local(link.local_seconds_point, 7200))
    life.observe(local(link.local_oil_starts_point, 1))
    writes(life, 60)  # heard, then asked
    assert life.observe(local(link.local_seconds_point, 0)) is None  # zeroed first, as a PLC may
    episode = life.observe(local(link.local_mode_point, 0))
    assert episode is not None
    assert (episode.values["local_s"], episode.values["oil_starts"]) == (7200, 1)
